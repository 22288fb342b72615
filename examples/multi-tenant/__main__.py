"""Several tenants in one stack: named connections.

The default connection (top-level keys) is the staging tenant and the NCCM instance; "prod" is a connection of
its own. Only its name is kept in the state; its token is a stack secret:

    pulumi config set pulumi-policies:resourceManagerUrl https://staging.example.com
    pulumi config set --secret pulumi-policies:resourceManagerToken "$STAGING_TOKEN"
    pulumi config set pulumi-policies:nccmUrl https://nccm.example.com
    pulumi config set --secret pulumi-policies:nccmApiKey "$NCCM_KEY"
    pulumi config set --path 'pulumi-policies:connections.prod.resourceManagerUrl' https://prod.example.com
    pulumi config set --secret --path 'pulumi-policies:connections.prod.resourceManagerToken' "$PROD_TOKEN"

Moving a policy to another tenant is changing its connection: the preview shows a replacement. Adopting
what a tenant already has works by name: ``import_id="name:<name>"`` (or ``"<profile_id>/<name>"`` for a
profile policy, ``"<policyid>/<organization>"`` for a configuration policy).
"""

import pulumi

from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy

TENANTS = {"staging": None, "prod": "prod"}  # tenant -> connection (None: the default one)
PROFILE = pulumi.Config().get("profileId") or "prof-engineering"  # the profile on both tenants

on_call: dict[str, ProfilePolicy] = {}
for tenant, connection in TENANTS.items():
    on_call[tenant] = ProfilePolicy(
        f"{tenant}-oncall-db",
        connection=connection,
        profile_id=PROFILE,
        name="oncall-db-access",
        description=f"On-call engineers may check out {tenant} database access with a change ticket.",
        members={"tags": [{"name": "oncall"}]},
        settings=[{"settings_type": "JUSTIFICATION", "is_justification_required": True,
                   "justification_regex": "^CHG[0-9]{7}$"}],
    )

audit = ResourcePolicy(
    "prod-audit-read",
    connection="prod",
    name="audit-read-only",
    description="Auditors read everything labelled env=prod.",
    access_level="read",
    members={"tags": [{"name": "auditors"}]},
    resource_labels={"env": ["prod"]},
)

backup = ConfigurationPolicy(
    "core-backup",
    policyid="core-nightly-backup",
    organization="acme",
    description="Back up running configurations of the core routers every night.",
    policy_schedule={"frequency": "daily", "time": "02:00", "timezone": "UTC"},
)

# Every output is declared on its class: an IDE lists them, and mypy checks this file (make test runs it).
pulumi.export("oncall_policy_ids", {tenant: policy.policy_id for tenant, policy in on_call.items()})
pulumi.export("oncall_connections", {tenant: policy.connection for tenant, policy in on_call.items()})
pulumi.export("audit", {"id": audit.policy_id, "access_level": audit.access_level, "labels": audit.resource_labels})
pulumi.export("backup", {"id": backup.id, "status": backup.status, "created": backup.creationtime})

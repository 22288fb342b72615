"""Quickstart: one policy of each kind, against the endpoints configured for this stack.

    pulumi config set pulumi-policies:resourceManagerUrl https://tenant.example.com
    pulumi config set --secret pulumi-policies:resourceManagerToken ...
    pulumi config set pulumi-policies:nccmUrl https://nccm.example.com
    pulumi config set --secret pulumi-policies:nccmApiKey ...

`make demo` sets these for the embedded API server and runs `pulumi up`.
"""

import pulumi

from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy

config = pulumi.Config()

# Who may request engineering's production access, and what they must say when they do.
prod_access = ProfilePolicy(
    "prod-db-access",
    profile_id=config.get("profileId") or "prof-engineering",
    name="prod-db-access",
    description="On-call engineers may check out production database access with a change ticket.",
    is_active=True,
    access_type="Allow",
    members={
        "users": [{"name": "alice@example.com"}, {"name": "bob@example.com"}],
        "tags": [{"name": "oncall"}],
    },
    settings=[
        {
            "settings_type": "ITSM",
            "connection_id": "71b94622-30ef-4d17-babb-94972ce4b2db",
            "connection_type": "servicenow",
            "itsm_filter_criteria": [{"supported_ticket_type": "change_request", "filter": {"sysparm_query": ""}}],
        },
        {"settings_type": "JUSTIFICATION", "is_justification_required": True, "justification_regex": "^CHG[0-9]{7}$"},
    ],
)

# Read-only access to anything labelled env=staging, for the platform team's service identity.
staging_read = ResourcePolicy(
    "staging-read",
    name="staging-read-only",
    description="The platform automation reads staging resources.",
    access_type="Allow",
    access_level="read",
    members={"service_identities": [{"name": "platform-automation"}]},
    resource_labels={"env": ["staging"], "team": ["platform"]},
    # Only on weekdays, 06:00 to 22:00 Berlin time, from the office network.
    condition={
        "ip_address": "10.20.0.0/16",
        "time_of_access": {"days_schedule": {"from_time": "06:00:00", "to_time": "22:00:00",
                                             "timezone": "Europe/Berlin",
                                             "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    },
)

# Nightly configuration backup of the core routers.
nightly_backup = ConfigurationPolicy(
    "nightly-backup",
    policyid="core-nightly-backup",
    organization="acme",
    name="Core routers nightly backup",
    description="Back up running configurations of the core routers every night.",
    associated_rules="backup-running-config",
    policy_schedule={"frequency": "daily", "time": "02:00", "timezone": "UTC"},
)

pulumi.export("prod_access_id", prod_access.policy_id)
pulumi.export("staging_read_id", staging_read.policy_id)
pulumi.export("nightly_backup_id", nightly_backup.id)
pulumi.export("nightly_backup_status", nightly_backup.status)

"""Release v1 or v2 of a team's policies (`pulumi config set release v2`).

v2 changes every v1 policy and adds two: the update `run.py` makes fail half-way.
"""

import pulumi

from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy

release = pulumi.Config().get("release") or "v1"
v2 = release == "v2"

for team in ("payments", "search", "identity"):
    ResourcePolicy(
        f"{team}-read",
        name=f"{team}-read",
        description=f"{team} engineers read their staging resources ({release})",
        resource=f"{team}-staging",
        members={"tags": [{"name": f"{team}-engineers"}], "users": [{"name": f"{team}-lead"}] if v2 else []},
        resource_labels={"env": ["staging"], "team": [team]},
    )

ProfilePolicy(
    "oncall-prod",
    profile_id=pulumi.Config().get("profileId") or "prof-engineering",
    name="oncall-prod",
    description=f"on-call production access ({release})",
    members={"tags": [{"name": "oncall"}]},
    settings=[{"settings_type": "JUSTIFICATION", "justification_regex": "^INC[0-9]{6}$"}],
)

ConfigurationPolicy(
    "nightly-backup",
    policyid="nightly-backup",
    organization="acme",
    description=f"core routers backup ({release})",
    policy_schedule={"frequency": "daily", "time": "03:00" if v2 else "02:00"},
)

if v2:
    ResourcePolicy("audit-read", name="audit-read", description="auditors read everything in staging",
                   resource="staging", members={"tags": [{"name": "auditors"}]}, resource_labels={"env": ["staging"]})
    ConfigurationPolicy("weekly-audit", policyid="weekly-audit", organization="acme",
                        policy_schedule={"frequency": "weekly", "day": "sunday"})

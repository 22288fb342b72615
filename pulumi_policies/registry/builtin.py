"""The built-in kinds: NCCM configuration policies, and Britive's profile and resource policies."""

from __future__ import annotations

from ..models import (
    ConfigurationPolicyArgs,
    ConfigurationPolicyRecord,
    ProfilePolicyArgs,
    ResourcePolicyArgs,
    RmPolicyRecord,
)
from .remotes import (
    NccmRemote,
    ResourceManagerRemote,
    by_name,
    by_policyid_and_organization,
    by_profile_and_name,
    profile_scopes,
)
from .spec import CONNECTION, ResourceSpec, register

CONFIGURATION_POLICY = ResourceSpec(
    kind="ConfigurationPolicy",
    args_model=ConfigurationPolicyArgs,
    record_model=ConfigurationPolicyRecord,
    remote=lambda scope: NccmRemote(scope.get(CONNECTION)),
    natural_key=("policyid", "organization"),
    full_replace=True,
    family="nccm",
    wire_by_alias=False,
    title_fields=("name", "policyid"),
    import_key=by_policyid_and_organization,
)

PROFILE_POLICY = ResourceSpec(
    kind="ProfilePolicy",
    args_model=ProfilePolicyArgs,
    record_model=RmPolicyRecord,
    remote=lambda scope: ResourceManagerRemote(scope["profile_id"], scope.get(CONNECTION)),
    natural_key=("name",),
    scope_fields=("profile_id",),
    id_output="policy_id",
    describe_scope=lambda inputs: f" in profile {inputs.get('profile_id')!r}",
    scopes=profile_scopes,
    import_key=by_profile_and_name,
)

RESOURCE_POLICY = ResourceSpec(
    kind="ResourcePolicy",
    args_model=ResourcePolicyArgs,
    record_model=RmPolicyRecord,
    remote=lambda scope: ResourceManagerRemote(None, scope.get(CONNECTION)),
    natural_key=("name",),
    id_output="policy_id",
    import_key=by_name,
    import_bare_name=True,
)

for _spec in (CONFIGURATION_POLICY, PROFILE_POLICY, RESOURCE_POLICY):
    register(_spec)

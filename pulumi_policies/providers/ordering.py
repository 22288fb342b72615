"""The dynamic provider of ``ProfilePolicyOrder``: the order in which a resource-manager profile evaluates its
policies (Britive's policy prioritisation), as one resource per profile.

The wire (client/resource_manager.py ``ProfileOrdering``; britive-client-go resource_manager_profile.go 74-200, and
britive 4.7.0 access_broker/profiles/policy_prioritization.py 1-46):
- create/update: ``PATCH /profiles/{id}`` ``{"policyOrderingEnabled": true}``, list the profile's policies, then one
  ``POST /profiles/{id}/policies/order`` of the *complete* order: the declared policies first, in the declared order,
  then every other policy in the order the server holds them (how Terraform's ``mapResourceToModel`` fills the slots
  nobody assigned, resource_resource_manager_profile_policy_prioritization.go 262-327);
- read: ``GET /profiles/{id}`` and its policies: the declared policies' current relative order, and whether ordering
  is still on;
- delete: ``PATCH`` ``{"policyOrderingEnabled": false}`` (the server keeps the order for when it is switched on again).

Inputs: ``profile_id`` (replaces), ``policies`` (each a policy id or a policy name of the profile, highest priority
first), ``connection`` (replaces). Outputs: the inputs, ``policy_ids`` and ``policy_names`` (the declared policies,
resolved, in the declared order), ``order`` (every policy id of the profile by priority) and ``enabled``.

Pulumi id: the profile id, URL-escaped (``segment``): one order per profile, so the profile names it; the id Britive's
Terraform provider records, ``resource-manager/<profile_id>/policies/priority`` (prioritization.go 341-343), is read
too, so ``ProfilePolicyOrder.get`` takes either.

Like every provider here (``base.ProviderBase``: configuration, failures redacted through the client's ``Redactor``,
the operation errors, the connection check), this object carries no attributes (it is pickled into the state) and its
class lives in this installed module under this name, so that it pickles by reference (states written by earlier
versions name ``pulumi_policies.providers.ordering.ProfilePolicyOrderProvider``); credentials are read from
``connections``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .. import connections
from ..client import NotFoundError, segment
from ..client.resource_manager import ProfileOrdering
from ..engine_state import UNKNOWN, contains_unknown, user_props
from ..errors import PulumiPoliciesError
from ..registry import CONNECTION
from .base import OPERATION_ERRORS, PolicyProviderError, ProviderBase, check_connection, failed

KIND = "ProfilePolicyOrder"
PROFILE_ID = "profile_id"
POLICIES = "policies"
POLICY_IDS = "policy_ids"
POLICY_NAMES = "policy_names"
ORDER = "order"
ENABLED = "enabled"
ARGUMENTS = (PROFILE_ID, POLICIES, CONNECTION)
OUTPUTS = (PROFILE_ID, POLICIES, POLICY_IDS, POLICY_NAMES, ORDER, ENABLED, CONNECTION)
TF_ID = re.compile(r"^/?(?:api/)?resource-manager/(?P<profile_id>[^/]+)/policies/priority$")
LISTED = 20  # policies an error lists by name, at most


class OrderError(PulumiPoliciesError, ValueError):
    """The declared order cannot be applied to what the profile holds (said before anything is sent)."""


def describe(values: Mapping[str, Any]) -> str:
    on = f" on connection {values[CONNECTION]!r}" if values.get(CONNECTION) else ""
    return f"{KIND} (profile {values.get(PROFILE_ID)!r}{on})"


def pulumi_id(profile_id: str) -> str:
    return segment(profile_id)


def parse_id(id_: str) -> str:
    """The profile id of a Pulumi id: ``<profile_id>`` (escaped) or Terraform's ``resource-manager/<profile_id>/
    policies/priority``."""
    found = TF_ID.match(id_)
    text = found["profile_id"] if found else id_
    if not text or "/" in text:
        raise ValueError(f"{KIND} id {id_!r} is neither <profile id> (URL-escaped) nor "
                         "resource-manager/<profile id>/policies/priority")
    return unquote(text)


def _listing(policies: Sequence[Mapping[str, Any]]) -> str:
    if not policies:
        return "the profile has no policies"
    shown = ", ".join(f"{p.get('name')!r} ({p['id']})" for p in policies[:LISTED])
    more = f" and {len(policies) - LISTED} more" if len(policies) > LISTED else ""
    return f"its policies, by priority: {shown}{more}"


def resolve(declared: Sequence[str], policies: Sequence[Mapping[str, Any]], profile_id: str) -> list[Mapping[str, Any]]:
    """The policy each declared item names (its id, else its name), in the declared order. An item that names none,
    a name that several policies hold, or two items naming one policy: an OrderError that says each, and what the
    profile holds."""
    by_id = {str(p["id"]): p for p in policies}
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for listed in policies:
        if isinstance(listed.get("name"), str):
            by_name.setdefault(listed["name"], []).append(listed)
    found: list[Mapping[str, Any]] = []
    first: dict[str, int] = {}
    problems: list[str] = []
    for index, item in enumerate(declared):
        policy: Mapping[str, Any] | None = by_id.get(item)
        if policy is None:
            named = by_name.get(item, [])
            if len(named) > 1:
                ids = ", ".join(repr(p["id"]) for p in named)
                problems.append(f"policies[{index}] {item!r} is the name of {len(named)} policies of profile "
                                f"{profile_id!r} (ids {ids}): give the id of the one meant")
                continue
            if not named:
                problems.append(f"policies[{index}] {item!r} is neither the id nor the name of a policy of profile "
                                f"{profile_id!r}")
                continue
            policy = named[0]
        pid = str(policy["id"])
        if pid in first:
            problems.append(f"policies[{index}] {item!r} and policies[{first[pid]}] {declared[first[pid]]!r} name the "
                            f"same policy ({policy.get('name')!r}, id {pid!r}): list it once")
            continue
        first[pid] = index
        found.append(policy)
    if problems:
        raise OrderError(f"{'; '.join(problems)}; {_listing(policies)}")
    return found


def complete_order(declared_ids: Sequence[str], by_priority: Sequence[str]) -> list[str]:
    """Every policy id once: the declared ones first, in the declared order, then the others as the server orders
    them."""
    chosen = set(declared_ids)
    return [*declared_ids, *(pid for pid in by_priority if pid not in chosen)]


def current_order(recorded: Mapping[str, Any], by_priority: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The recorded declaration (``policies`` with their ``policy_ids`` and ``policy_names``) as the server orders it
    now: the declared policies still on the profile, by their current priority, each item in its declared form (its
    id, or its name: the policy's current name, so that a policy renamed by hand no longer matches the name
    declared). A state without a declaration (``ProfilePolicyOrder.get``): every policy of the profile, by id."""
    items, ids = recorded.get(POLICIES), recorded.get(POLICY_IDS)
    if not isinstance(items, list) or not isinstance(ids, list) or len(items) != len(ids):
        every = [str(p["id"]) for p in by_priority]
        return {POLICIES: every, POLICY_IDS: every, POLICY_NAMES: [str(p.get("name") or "") for p in by_priority]}
    declared = {str(pid): item for item, pid in zip(items, ids, strict=True)}
    out: dict[str, list[str]] = {POLICIES: [], POLICY_IDS: [], POLICY_NAMES: []}
    for policy in by_priority:
        pid = str(policy["id"])
        if pid not in declared:
            continue
        item = declared[pid]
        name = str(policy.get("name") or "")
        out[POLICIES].append(item if item == pid else name)
        out[POLICY_IDS].append(pid)
        out[POLICY_NAMES].append(name)
    return out


class ProfilePolicyOrderProvider(ProviderBase):
    """check, diff, create, read, update, delete of a profile's policy order (see the module docstring)."""

    # -- check -------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = user_props(news, drop_none=True)
        failures: list[CheckFailure] = []
        for key in sorted(set(inputs) - set(ARGUMENTS)):
            failures.append(CheckFailure(key, f"{KIND}.{key}: not an argument of {KIND} (its arguments: "
                                              f"{', '.join(ARGUMENTS)})"))
        profile_id = inputs.get(PROFILE_ID)
        if profile_id != UNKNOWN and (not isinstance(profile_id, str) or not profile_id.strip()):
            failures.append(CheckFailure(PROFILE_ID, f"{KIND}.profile_id: the id of the profile whose policies are "
                                                     f"ordered is required (got {profile_id!r})"))
        failures += self._check_policies(inputs.get(POLICIES))
        connection = inputs.get(CONNECTION)
        if connection is not None and connection != UNKNOWN:
            failures += check_connection(connection, KIND)
        checked = {k: v for k, v in inputs.items() if k in ARGUMENTS}
        return CheckResult(checked, failures)

    @staticmethod
    def _check_policies(policies: Any) -> list[CheckFailure]:
        """A non-empty list of non-empty strings, none twice; values not known yet are decided at apply."""
        if policies == UNKNOWN:
            return []
        if not isinstance(policies, list) or not policies:
            return [CheckFailure(POLICIES, f"{KIND}.policies: a non-empty list of policy ids or names, highest "
                                           f"priority first, is required (got {policies!r})")]
        failures: list[CheckFailure] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(policies):
            if item == UNKNOWN:
                continue
            if not isinstance(item, str) or not item.strip():
                failures.append(CheckFailure(POLICIES, f"{KIND}.policies[{index}]: a policy id or name (a non-empty "
                                                       f"string) is required (got {item!r})"))
            elif item in seen:
                failures.append(CheckFailure(POLICIES, f"{KIND}.policies[{index}]: {item!r} is listed already, at "
                                                       f"policies[{seen[item]}]: list each policy once"))
            else:
                seen[item] = index
        return failures

    # -- diff --------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No HTTP. `olds`: the outputs (as last applied or refreshed). A declared item is the same as the recorded
        one at its place when it is that policy's id or name, so an unchanged program shows no diff, a reorder in
        the program or by hand (see read) does, and so does ordering switched off by hand."""
        olds, news = user_props(olds, drop_none=True), user_props(news, drop_none=True)
        replaces = [f for f in (PROFILE_ID, CONNECTION) if news.get(f) != olds.get(f)]
        changed = replaces or olds.get(ENABLED) is not True or not self._same_policies(olds, news.get(POLICIES))
        # Same profile on another connection name (the same server): the old one's delete must not switch off what
        # the new one's create switched on, so delete first.
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    @staticmethod
    def _same_policies(olds: Mapping[str, Any], declared: Any) -> bool:
        if contains_unknown(declared) or not isinstance(declared, list):
            return False
        recorded: list[list[Any]] = [v if isinstance(v := olds.get(k), list) else []
                                     for k in (POLICIES, POLICY_IDS, POLICY_NAMES)]
        if not all(len(r) in (len(declared), 0) for r in recorded) or not recorded[1]:
            return False
        return all(item in {r[i] for r in recorded if r} for i, item in enumerate(declared))

    # -- create / update ---------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = user_props(props, drop_none=True)
        outs = self._apply(inputs, "create")
        return CreateResult(pulumi_id(outs[PROFILE_ID]), outs)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._apply(user_props(news, drop_none=True), "update"))

    def _apply(self, inputs: dict[str, Any], action: str) -> dict[str, Any]:
        """Switch ordering on, then POST the complete order: the declared policies first."""
        profile_id, declared = str(inputs[PROFILE_ID]), [str(p) for p in inputs[POLICIES]]
        try:
            ordering = ProfileOrdering(connections.resource_manager_client(inputs.get(CONNECTION)), profile_id)
            ordering.set_enabled(True)
            by_priority = ordering.by_priority()
            chosen = resolve(declared, by_priority, profile_id)
            ids = [str(p["id"]) for p in chosen]
            order = ordering.set_order(complete_order(ids, [str(p["id"]) for p in by_priority]))
        except OPERATION_ERRORS as exc:
            raise self._fail(inputs, action, exc) from None
        outs: dict[str, Any] = {PROFILE_ID: profile_id, POLICIES: declared, POLICY_IDS: ids,
                                POLICY_NAMES: [str(p.get("name") or "") for p in chosen], ORDER: order, ENABLED: True}
        if inputs.get(CONNECTION) is not None:
            outs[CONNECTION] = inputs[CONNECTION]
        return outs

    # -- read --------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The server's view: ordering off (by hand) reads as ``enabled`` False; otherwise the declared policies in
        their current relative order, as outputs and as inputs, so that the next preview shows a reorder made by
        hand, and a declared policy deleted by hand. A profile that is gone drops the resource from the state."""
        props = user_props(props, drop_none=True)
        try:
            profile_id = parse_id(id_)
            ordering = ProfileOrdering(connections.resource_manager_client(props.get(CONNECTION)), profile_id)
            profile = ordering.profile()
            by_priority = ordering.by_priority() if profile is not None else []
        except OPERATION_ERRORS as exc:
            raise self._fail(props or {PROFILE_ID: id_}, f"read of {id_!r}", exc) from None
        if profile is None:
            return ReadResult(id_="", outs={})  # the profile was deleted: so is its order
        outs: dict[str, Any] = {**props, PROFILE_ID: profile_id, ORDER: [str(p["id"]) for p in by_priority],
                                ENABLED: profile.get("policyOrderingEnabled") is True}
        if outs[ENABLED] or not isinstance(props.get(POLICIES), list):
            outs.update(current_order(props, by_priority))
        inputs = {k: outs[k] for k in ARGUMENTS if outs.get(k) is not None}
        return ReadResult(id_=id_, outs=outs, inputs=inputs)

    # -- delete ------------------------------------------------------------------------------------
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Switch ordering off (the server's default evaluation again); a profile that is gone is success."""
        props = user_props(props, drop_none=True)
        try:
            ProfileOrdering(connections.resource_manager_client(props.get(CONNECTION)), parse_id(id_)).set_enabled(False)
        except NotFoundError:
            pass  # the profile is gone, and its order with it
        except OPERATION_ERRORS as exc:
            raise self._fail(props or {PROFILE_ID: id_}, "delete", exc) from None

    @staticmethod
    def _fail(values: Mapping[str, Any], action: str, exc: Exception) -> PolicyProviderError:
        return failed(describe(values), action, exc)

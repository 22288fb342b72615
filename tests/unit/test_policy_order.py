"""ProfilePolicyOrder's provider (providers/ordering.py) and its client (client/resource_manager.py ProfileOrdering):
check and diff alone (no server, no HTTP), then its writes and reads as the engine calls them, against the embedded
server's `britive` profile (Britive's policy prioritisation) over HTTP."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import pulumi_policies
from pulumi_policies import connections
from pulumi_policies.client.resource_manager import ProfileOrdering
from pulumi_policies.providers import UNKNOWN, PolicyProviderError
from pulumi_policies.providers.ordering import (
    OrderError,
    ProfilePolicyOrderProvider,
    complete_order,
    current_order,
    parse_id,
    pulumi_id,
    resolve,
)
from tests.support.policies import Api

PO = ProfilePolicyOrderProvider()
BRITIVE = pytest.mark.parametrize("server", ["britive"], indirect=True)
PROFILE = "prof-eng"


def failures(news: dict[str, Any]) -> list[str]:
    return [f.reason for f in PO.check({}, news).failures]


# -- check -------------------------------------------------------------------------------------------
def test_valid_inputs_pass_as_they_are():
    result = PO.check({}, {"profile_id": PROFILE, "policies": ["b", "a"], "policy_ids": None, "order": None,
                           "connection": None, "__provider": "x"})
    assert result.failures == []
    assert result.inputs == {"profile_id": PROFILE, "policies": ["b", "a"]}  # declared order kept, outputs dropped


@pytest.mark.parametrize("policies,said", [
    (["a", "b", "a"], "ProfilePolicyOrder.policies[2]: 'a' is listed already, at policies[0]"),
    (["a", ""], "ProfilePolicyOrder.policies[1]: a policy id or name (a non-empty string) is required (got '')"),
    (["a", "  "], "ProfilePolicyOrder.policies[1]: a policy id or name"),
    (["a", 3], "ProfilePolicyOrder.policies[1]: a policy id or name (a non-empty string) is required (got 3)"),
    ([], "ProfilePolicyOrder.policies: a non-empty list of policy ids or names"),
    ("a", "ProfilePolicyOrder.policies: a non-empty list"),
    (None, "ProfilePolicyOrder.policies: a non-empty list"),
])
def test_bad_policies_are_refused_naming_the_item(policies, said):
    reasons = failures({"profile_id": PROFILE, "policies": policies})
    assert len(reasons) == 1 and reasons[0].startswith(said), reasons


def test_every_bad_item_is_said_at_once_with_the_property_named():
    result = PO.check({}, {"profile_id": PROFILE, "policies": ["a", "", "a", "b", "b"]})
    assert [(f.property, f.reason.split(":")[0]) for f in result.failures] == [
        ("policies", "ProfilePolicyOrder.policies[1]"), ("policies", "ProfilePolicyOrder.policies[2]"),
        ("policies", "ProfilePolicyOrder.policies[4]")]


def test_profile_id_and_unknown_arguments_are_checked():
    assert failures({"policies": ["a"]}) == [
        "ProfilePolicyOrder.profile_id: the id of the profile whose policies are ordered is required (got None)"]
    assert failures({"profile_id": " ", "policies": ["a"]})[0].startswith("ProfilePolicyOrder.profile_id:")
    (reason,) = failures({"profile_id": PROFILE, "policies": ["a"], "policy": ["a"]})
    assert reason.startswith("ProfilePolicyOrder.policy: not an argument") and "profile_id, policies, connection" in reason


def test_a_connection_must_be_one_the_stack_configures():
    connections.configure({"pulumi-policies:connections": {"prod": {"resourceManagerUrl": "https://prod"}}})
    try:
        assert failures({"profile_id": PROFILE, "policies": ["a"], "connection": "prod"}) == []
        (reason,) = failures({"profile_id": PROFILE, "policies": ["a"], "connection": "staging"})
        assert reason.startswith("ProfilePolicyOrder.connection: no connection named 'staging'") and "'prod'" in reason
        (reason,) = failures({"profile_id": PROFILE, "policies": ["a"], "connection": ""})
        assert reason.startswith("ProfilePolicyOrder.connection must be the name of a connection")
    finally:
        connections.configure({})


def test_values_not_known_at_preview_pass_through():
    for news in ({"profile_id": UNKNOWN, "policies": UNKNOWN, "connection": UNKNOWN},
                 {"profile_id": PROFILE, "policies": [UNKNOWN, "a", UNKNOWN]}):
        result = PO.check({}, news)
        assert result.failures == [] and result.inputs == news
    # as the dynamic-provider SDK hands them over at preview: an Unknown object inside the list (a ProfilePolicy's
    # policy_id Output), which `pulumi up` without --skip-preview refused before
    from pulumi.output import Unknown

    result = PO.check({}, {"profile_id": PROFILE, "policies": [Unknown(), "a"]})
    assert result.failures == [] and result.inputs["policies"] == [UNKNOWN, "a"]
    # a known duplicate is said even beside unknown items
    assert failures({"profile_id": PROFILE, "policies": [UNKNOWN, "a", "a"]})[0].startswith(
        "ProfilePolicyOrder.policies[2]: 'a' is listed already, at policies[1]")


# -- diff --------------------------------------------------------------------------------------------
OUTS = {"profile_id": PROFILE, "policies": ["id-b", "alpha"], "policy_ids": ["id-b", "id-a"],
        "policy_names": ["beta", "alpha"], "order": ["id-b", "id-a", "id-c"], "enabled": True}


def diff(news: dict[str, Any], olds: dict[str, Any] = OUTS) -> tuple[bool, list[str]]:
    result = PO.diff(PROFILE, {**olds, "__provider": "x"}, {"profile_id": PROFILE, **news})
    return bool(result.changes), list(result.replaces or [])


def test_an_unchanged_declaration_has_no_diff_whether_a_policy_is_given_by_id_or_by_name():
    assert diff({"policies": ["id-b", "alpha"]}) == (False, [])
    assert diff({"policies": ["beta", "id-a"]}) == (False, [])  # the same policies, the other form
    # the order of the profile's other policies (here id-c, or one created since) is not the resource's concern
    assert diff({"policies": ["id-b", "alpha"]}, {**OUTS, "order": ["id-b", "id-c", "id-a", "id-new"]}) == (False, [])


def test_a_reorder_an_added_or_removed_policy_and_ordering_switched_off_are_changes():
    assert diff({"policies": ["alpha", "id-b"]}) == (True, [])
    assert diff({"policies": ["id-b", "alpha", "gamma"]}) == (True, [])
    assert diff({"policies": ["id-b"]}) == (True, [])
    assert diff({"policies": ["id-b", "alpha"]}, {**OUTS, "enabled": False}) == (True, [])
    assert diff({"policies": ["id-b", UNKNOWN]}) == (True, [])  # known after apply: an update, never a replace
    assert diff({"policies": UNKNOWN}) == (True, [])


def test_another_profile_or_connection_replaces_it():
    assert diff({"profile_id": "prof-ops", "policies": ["id-b", "alpha"]}) == (True, ["profile_id"])
    assert diff({"policies": ["id-b", "alpha"], "connection": "prod"}) == (True, ["connection"])
    result = PO.diff(PROFILE, OUTS, {"profile_id": "prof-ops", "policies": ["a"]})
    assert result.delete_before_replace is True


def test_diff_makes_no_call():
    connections.configure({})  # no endpoint at all: a call would fail
    assert diff({"policies": ["id-b", "alpha"]}) == (False, [])


# -- resolving and ordering ----------------------------------------------------------------------------
POLICIES = [{"id": "id-b", "name": "beta"}, {"id": "id-a", "name": "alpha"}, {"id": "id-c", "name": "gamma"}]


def test_items_resolve_by_id_or_name_and_the_order_is_complete():
    found = resolve(["gamma", "id-a"], POLICIES, PROFILE)
    assert [p["id"] for p in found] == ["id-c", "id-a"]
    assert complete_order(["id-c", "id-a"], ["id-b", "id-a", "id-c"]) == ["id-c", "id-a", "id-b"]


def test_an_item_that_names_no_policy_says_what_the_profile_holds():
    with pytest.raises(OrderError) as caught:
        resolve(["alpha", "delta", "id-a"], POLICIES, PROFILE)
    said = str(caught.value)
    assert "policies[1] 'delta' is neither the id nor the name of a policy of profile 'prof-eng'" in said
    assert "policies[2] 'id-a' and policies[0] 'alpha' name the same policy ('alpha', id 'id-a')" in said
    assert "its policies, by priority: 'beta' (id-b), 'alpha' (id-a), 'gamma' (id-c)" in said
    with pytest.raises(OrderError, match="the profile has no policies"):
        resolve(["alpha"], [], PROFILE)
    with pytest.raises(OrderError, match=r"'twin' is the name of 2 policies .*ids 'id-1', 'id-2'"):
        resolve(["twin"], [{"id": "id-1", "name": "twin"}, {"id": "id-2", "name": "twin"}], PROFILE)


def test_the_current_order_keeps_the_declared_form_and_drops_deleted_policies():
    by_priority = [{"id": "id-a", "name": "alpha"}, {"id": "id-c", "name": "gamma"}, {"id": "id-b", "name": "beta"}]
    assert current_order(OUTS, by_priority) == {"policies": ["alpha", "id-b"], "policy_ids": ["id-a", "id-b"],
                                                "policy_names": ["alpha", "beta"]}
    assert current_order(OUTS, by_priority[1:]) == {"policies": ["id-b"], "policy_ids": ["id-b"],
                                                    "policy_names": ["beta"]}  # alpha deleted by hand
    renamed = [{"id": "id-b", "name": "beta"}, {"id": "id-a", "name": "alpha-2"}]
    assert current_order(OUTS, renamed)["policies"] == ["id-b", "alpha-2"]  # the name declared matches nothing now
    assert current_order({}, by_priority)["policy_ids"] == ["id-a", "id-c", "id-b"]  # get: every policy


def test_ids_are_the_escaped_profile_id_and_terraforms_form_is_read():
    assert pulumi_id("prof/eng x") == "prof%2Feng%20x" and parse_id("prof%2Feng%20x") == "prof/eng x"
    assert parse_id("resource-manager/prof-eng/policies/priority") == "prof-eng"
    assert parse_id("resource-manager/prof%2F1/policies/priority") == "prof/1"
    with pytest.raises(ValueError, match="neither <profile id>"):
        parse_id("a/b")


class FakeClient:
    """An APIClient's json(), answering from a table, recording each call."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers, self.calls = answers, []

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path, kwargs.get("json")))
        return self.answers[(method, path)]

    def redact(self, text: str) -> str:
        return text


def test_the_client_orders_the_listing_by_order_and_reads_the_order_answered():
    path = "/api/resource-manager/profiles/p%2F1"
    listed = [{"id": "c", "order": 2}, {"id": "x"}, {"id": "a", "order": 0}, {"id": "b", "order": 1}]
    client = FakeClient({("GET", f"{path}/policies"): listed,
                         ("POST", f"{path}/policies/order"): [{"id": "b", "order": 1}, {"id": "a", "order": 0}]})
    ordering = ProfileOrdering(client, "p/1")  # type: ignore[arg-type]
    assert [p["id"] for p in ordering.by_priority()] == ["a", "b", "c", "x"]  # unordered ones last
    assert ordering.set_order(["a", "b"]) == ["a", "b"]
    assert client.calls[-1] == ("POST", f"{path}/policies/order", [{"id": "a", "order": 0}, {"id": "b", "order": 1}])
    client.answers[("POST", f"{path}/policies/order")] = None  # a 204: the order is what was sent
    assert ordering.set_order(["b", "a"]) == ["b", "a"]


def test_the_provider_pickles_by_reference_with_nothing_on_it():
    assert vars(PO) == {}
    assert b"pulumi_policies.providers.ordering" in pickle.dumps(PO) and len(pickle.dumps(PO)) < 200
    assert pulumi_policies.ProfilePolicyOrder._resource_type_name == "dynamic/pulumi_policies:ProfilePolicyOrder"


def test_a_failure_is_said_whole_with_every_configured_secret_redacted():
    token = "rm-token-0123456789"
    connections.configure({"pulumi-policies:resourceManagerUrl": "https://rm.example",
                           "pulumi-policies:resourceManagerToken": token})
    try:
        said = str(PO._fail({"profile_id": PROFILE}, "create", ValueError(f"the server said: bad token {token}")))
    finally:
        connections.configure({})
    assert said == "ProfilePolicyOrder (profile 'prof-eng'): create failed: the server said: bad token [REDACTED]"


# -- against the server -----------------------------------------------------------------------------
@pytest.fixture
def api(server):
    connections.configure({"pulumi-policies:resourceManagerUrl": server.url,
                           "pulumi-policies:resourceManagerToken": server.rm_token})
    yield Api(server)
    connections.configure({})


def policies_of(api: Api, profile: str = PROFILE) -> list[dict[str, Any]]:
    body = api.rm.get(api.rm_path("ProfilePolicy", profile_id=profile)).json()
    return body["data"] if isinstance(body, dict) else body


def make_policies(api: Api, *names: str) -> dict[str, str]:
    ids = {}
    for name in names:
        r = api.rm.post(api.rm_path("ProfilePolicy", profile_id=PROFILE), json={"name": name})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


def profile_of(api: Api, profile: str = PROFILE) -> dict[str, Any]:
    return api.rm.get(f"/api/resource-manager/profiles/{profile}").json()


def by_priority(api: Api) -> list[str]:
    return [p["name"] for p in sorted(policies_of(api), key=lambda p: p["order"])]


def applied(news: dict[str, Any]):
    result = PO.check({}, news)
    assert not result.failures, [f.reason for f in result.failures]
    return result.inputs, PO.create(result.inputs)


@BRITIVE
def test_create_switches_ordering_on_and_puts_the_declared_policies_first(api, server):
    ids = make_policies(api, "a", "b", "c", "d")
    assert profile_of(api)["policyOrderingEnabled"] is False
    server.admin.clear_requests()
    inputs, created = applied({"profile_id": PROFILE, "policies": ["c", ids["a"]]})
    assert server.admin.requests()["counts"] == {  # one PATCH, one listing, one POST
        "PATCH /api/resource-manager/profiles/{profile_id}": 1,
        "GET /api/resource-manager/profiles/{profile_id}/policies": 1,
        "POST /api/resource-manager/profiles/{profile_id}/policies/order": 1}
    assert created.id == PROFILE
    assert profile_of(api)["policyOrderingEnabled"] is True
    assert by_priority(api) == ["c", "a", "b", "d"]  # the others after, as the server held them
    assert created.outs == {"profile_id": PROFILE, "policies": ["c", ids["a"]], "policy_ids": [ids["c"], ids["a"]],
                            "policy_names": ["c", "a"], "order": [ids[n] for n in "cabd"], "enabled": True}
    assert PO.diff(created.id, created.outs, inputs).changes is False

    # a reorder in the program: an update, applied
    news = PO.check(inputs, {"profile_id": PROFILE, "policies": ["b", "c"]}).inputs
    assert PO.diff(created.id, created.outs, news).changes is True
    outs = PO.update(created.id, created.outs, news).outs
    assert by_priority(api) == ["b", "c", "a", "d"] and outs["policy_ids"] == [ids["b"], ids["c"]]
    assert PO.diff(created.id, outs, news).changes is False


@BRITIVE
def test_refresh_sees_a_reorder_a_deletion_and_ordering_switched_off_by_hand(api):
    ids = make_policies(api, "a", "b", "c")
    inputs, created = applied({"profile_id": PROFILE, "policies": ["a", ids["b"]]})
    read = PO.read(created.id, created.outs)
    assert read.id == PROFILE and read.outs == created.outs and read.inputs == inputs  # nothing moved

    order = [{"id": ids["c"], "order": 0}, {"id": ids["b"], "order": 1}, {"id": ids["a"], "order": 2}]
    assert api.rm.post(api.rm_path("ProfilePolicy", profile_id=PROFILE) + "/order", json=order).status_code == 200
    read = PO.read(created.id, created.outs)
    assert read.inputs == {"profile_id": PROFILE, "policies": [ids["b"], "a"]}  # declared forms, server's order
    assert read.outs["policy_ids"] == [ids["b"], ids["a"]] and read.outs["order"] == [ids[n] for n in "cba"]
    assert PO.diff(read.id, read.outs, inputs).changes is True  # the program's order comes back at the next up
    outs = PO.update(read.id, read.outs, inputs).outs
    assert by_priority(api) == ["a", "b", "c"] and PO.diff(read.id, outs, inputs).changes is False

    assert api.rm.delete(api.rm_path("ProfilePolicy", ids["b"], PROFILE)).status_code == 204
    read = PO.read(created.id, outs)
    assert read.outs["policy_ids"] == [ids["a"]] and PO.diff(read.id, read.outs, inputs).changes is True
    with pytest.raises(PolicyProviderError) as caught:  # the program still names it: said, naming what exists
        PO.update(read.id, read.outs, inputs)
    said = str(caught.value)
    assert said.startswith("ProfilePolicyOrder (profile 'prof-eng'): update failed: policies[1] ")
    assert f"{ids['b']!r} is neither the id nor the name of a policy of profile 'prof-eng'" in said
    assert f"its policies, by priority: 'a' ({ids['a']}), 'c' ({ids['c']})" in said

    assert api.rm.patch(f"/api/resource-manager/profiles/{PROFILE}", json={"policyOrderingEnabled": False}
                        ).status_code == 200
    read = PO.read(created.id, outs)
    assert read.outs["enabled"] is False and read.inputs == inputs
    assert PO.diff(read.id, read.outs, inputs).changes is True


@BRITIVE
def test_get_reads_every_policy_by_priority(api):
    ids = make_policies(api, "a", "b")
    applied({"profile_id": PROFILE, "policies": ["b"]})
    read = PO.read("resource-manager/prof-eng/policies/priority", {"profile_id": None, "policies": None})
    assert read.outs["policy_ids"] == read.outs["order"] == [ids["b"], ids["a"]] and read.outs["enabled"] is True


@BRITIVE
def test_delete_switches_ordering_off_and_a_profile_gone_is_not_an_error(api, server):
    make_policies(api, "a", "b")
    _, created = applied({"profile_id": PROFILE, "policies": ["b"]})
    PO.delete(created.id, created.outs)
    assert profile_of(api)["policyOrderingEnabled"] is False
    assert all("order" not in p for p in policies_of(api))
    assert api.rm.delete(f"/api/resource-manager/profiles/{PROFILE}").status_code == 204
    PO.delete(created.id, created.outs)  # 404: gone either way
    assert PO.read(created.id, created.outs).id == ""  # a refresh drops it from the state


@BRITIVE
def test_errors_name_the_resource_the_call_and_the_server_words(api):
    with pytest.raises(PolicyProviderError) as caught:
        applied({"profile_id": "nope", "policies": ["a"]})
    said = str(caught.value)
    assert said.startswith("ProfilePolicyOrder (profile 'nope'): create failed: PATCH ")
    assert "/api/resource-manager/profiles/nope answered HTTP 404: Profile 'nope' not found" in said
    with pytest.raises(PolicyProviderError, match=r"ProfilePolicyOrder \(profile 'prof-eng' on connection 'x'\): "
                                                  r"create failed: no connection named 'x'"):
        PO.create({"profile_id": PROFILE, "policies": ["a"], "connection": "x"})


def test_a_server_that_does_not_order_policies_says_so(api):  # the `documented` profile: no prioritisation
    make_policies(api, "a")
    with pytest.raises(PolicyProviderError) as caught:
        applied({"profile_id": PROFILE, "policies": ["a"]})
    assert "create failed: PATCH" in str(caught.value) and "HTTP 405" in str(caught.value)
    assert "does not order policies" in str(caught.value)


def test_secrets_never_reach_an_error():
    connections.configure({"pulumi-policies:resourceManagerToken": "s3cr3t-token"})
    try:
        said = str(PO._fail({"profile_id": PROFILE}, "create", RuntimeError("header TOKEN s3cr3t-token refused")))
    finally:
        connections.configure({})
    assert "s3cr3t-token" not in said and "[REDACTED]" in said

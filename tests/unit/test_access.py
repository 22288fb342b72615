"""The access model: who reaches what under which gate, and what a change does to it (no engine, no server)."""

from __future__ import annotations

import json

from pulumi_policies import access
from pulumi_policies.declared import policies_of
from pulumi_policies.providers import UNKNOWN

APPROVAL = {"approval": {"approvers": {"tags": ["sre-leads"]}, "manager_approval": {"condition": "All",
                                                                                  "required": True}}}


def rp(name, users=(), tags=(), **fields):
    props = {"name": name, "members": {"users": [{"name": u} for u in users], "tags": [{"name": t} for t in tags]},
             "resource_labels": {"env": ["staging"]}, "access_level": "read", **fields}
    return ("ResourcePolicy", name, props)


def pp(name, users=(), profile="prof-eng", **fields):
    return ("ProfilePolicy", name, {"name": name, "profile_id": profile,
                                    "members": {"users": [{"name": u} for u in users]}, **fields})


def model(*declared):
    return access.build(p for kind, name, props in declared for p in policies_of(kind, name, props))


def changes(before, after):
    b = [p for kind, name, props in before for p in policies_of(kind, name, props)]
    a = [p for kind, name, props in after for p in policies_of(kind, name, props)]
    return [(c.principal.name, c.change, c.via) for c in access.compare(access.build(b), access.build(a),
                                                                        access.changed(b, a))]


def test_a_member_added_to_an_allow_gains_and_to_a_deny_loses():
    assert changes([rp("read", users=["alice"])], [rp("read", users=["alice", "bob"])]) == \
        [("bob", "gains", ["read"])]
    # bob on a Deny of the same reach: he loses what the Allow gave him, he gains nothing
    allow = rp("read", users=["alice", "bob"])
    assert changes([allow], [allow, rp("no-bob", users=["bob"], access_type="Deny")]) == \
        [("bob", "loses", ["no-bob"])]
    # a Deny for someone who had nothing changes nothing
    assert changes([allow], [allow, rp("no-carol", users=["carol"], access_type="Deny")]) == []


def test_activation_widening_level_and_a_deleted_deny_are_gains_of_everyone_in_them():
    off = rp("read", users=["alice"], tags=["dev"], is_active=False)
    on = rp("read", users=["alice"], tags=["dev"])
    assert changes([off], [on]) == [("alice", "gains", ["read"]), ("dev", "gains", ["read"])]
    assert changes([rp("read", users=["alice"], is_draft=True)], [rp("read", users=["alice"])]) == \
        [("alice", "gains", ["read"])]
    wider = rp("read", users=["alice"], resource_labels={"env": ["staging", "prod"]})
    assert changes([rp("read", users=["alice"])], [wider]) == [("alice", "gains", ["read"])]
    assert changes([wider], [rp("read", users=["alice"])]) == [("alice", "loses", ["read"])]
    # a label key added narrows (AND): a loss, not a gain
    narrower = rp("read", users=["alice"], resource_labels={"env": ["staging"], "team": ["db"]})
    assert changes([rp("read", users=["alice"])], [narrower]) == [("alice", "loses", ["read"])]
    # another access level is another reach: the new one gained, the old one lost
    assert sorted(changes([rp("read", users=["alice"])], [rp("read", users=["alice"], access_level="write")])) == \
        [("alice", "gains", ["read"]), ("alice", "loses", ["read"])]
    deny = rp("deny", users=["alice"], access_type="Deny")
    assert changes([on, deny], [on]) == [("alice", "gains", ["deny"])]  # the Deny deleted is what caused it


def test_approval_dropped_or_weakened_is_new_access_and_tightened_is_not():
    gated = pp("admins", users=["alice"], condition=APPROVAL)
    open_ = pp("admins", users=["alice"])
    found = access.compare(model(gated), model(open_))
    assert [(c.change, c.principal.name) for c in found] == [("weaker-approval", "alice")]
    assert access.new_access(found)
    assert "approval by tag sre-leads, manager approval (All) -> no approval or condition" in \
        access.render_markdown(found)
    back = access.compare(model(open_), model(gated))
    assert [c.change for c in back] == ["stronger-approval"] and not access.new_access(back)
    more_approvers = pp("admins", users=["alice"], condition={"approval": {
        "approvers": {"tags": ["sre-leads", "everyone"]}, "manager_approval": {"condition": "All", "required": True}}})
    assert [c.change for c in access.compare(model(gated), model(more_approvers))] == ["weaker-approval"]
    justified = pp("admins", users=["alice"], settings=[{"settings_type": "JUSTIFICATION"}])
    assert [c.change for c in access.compare(model(justified), model(open_))] == ["weaker-approval"]


def test_ip_windows_narrowed_are_stronger_and_widened_are_weaker():
    office = pp("p", users=["a"], condition={"ip_address": "10.0.0.0/8"})
    desk = pp("p", users=["a"], condition={"ipAddress": "10.1.2.0/24, 10.9.0.1"})
    assert [c.change for c in access.compare(model(office), model(desk))] == ["stronger-approval"]
    assert [c.change for c in access.compare(model(desk), model(office))] == ["weaker-approval"]
    # the same list re-spaced and reordered, or as a JSON string: no change
    same = pp("p", users=["a"], condition=json.dumps({"ipAddress": "10.9.0.1 ,10.1.2.0/24"}))
    assert access.compare(model(desk), model(same)) == []


def test_a_conditional_deny_takes_nothing_for_certain_and_a_partial_deny_leaves_the_rest():
    allow = rp("read", users=["a"], resource_labels={"env": ["staging", "prod"]})
    at_night = rp("night", users=["a"], access_type="Deny", condition={"time_of_access": {"days_schedule": {
        "from_time": "22:00:00", "to_time": "23:59:59", "timezone": "UTC", "days": ["MONDAY"]}}})
    [held] = model(allow, at_night).accesses
    assert "denied by `night` when: only on MONDAY 22:00:00-23:59:59 UTC" in held.gate.text()
    # removing it weakens alice's gate (nothing else stood in the way)
    assert [c.change for c in access.compare(model(allow, at_night), model(allow))] == ["weaker-approval"]
    prod_deny = rp("no-prod", users=["a"], access_type="Deny", resource_labels={"env": ["prod"]})
    [partial] = model(allow, prod_deny).accesses
    assert partial.reach.text() == "resources env in [prod, staging], access level `read`, except env in [prod]"
    assert [c.change for c in access.compare(model(allow, prod_deny), model(allow))] == ["gains"]


def test_a_deny_for_a_tag_takes_nothing_from_a_user_and_connections_are_separate_tenants():
    allow = rp("read", users=["alice"], tags=["dev"])
    deny_tag = rp("no-dev", tags=["dev"], access_type="Deny")
    held = {a.principal.name for a in model(allow, deny_tag).accesses}
    assert held == {"alice"}
    here = rp("read", users=["alice"])
    there = rp("read-eu", users=["alice"], connection="eu")
    found = access.compare(model(here), model(here, there))
    assert [(c.principal.to_json(), c.change) for c in found] == [
        ({"kind": "user", "name": "alice", "connection": "eu"}, "gains")]


def test_policy_order_decides_which_allow_and_which_deny_count():
    gated = pp("gated", users=["a"], condition=APPROVAL)
    open_ = pp("open", users=["a"])
    deny = pp("deny", users=["a"], access_type="Deny")
    order = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["gated", "open"]})
    # unordered: every Allow is a path, the open one included; ordered: the gated one decides
    assert {a.gate.approved for a in model(gated, open_).accesses} == {True, False}
    assert [a.via for a in model(gated, open_, order).accesses] == [("gated",)]
    # a Deny listed behind the Allow takes nothing; listed ahead, everything
    behind = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["open", "deny"]})
    ahead = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["deny", "open"]})
    assert [a.via for a in model(open_, deny, behind).accesses] == [("open",)]
    assert model(open_, deny, ahead).accesses == []
    assert model(open_, deny).accesses == []  # unordered: the Deny wins
    # reordering is an access change, caused by the order
    found = access.compare(model(open_, deny, ahead), model(open_, deny, behind), {"order"})
    assert [(c.change, c.via) for c in found] == [("gains", ["order"])]


def test_sets_unknown_members_and_the_saved_model():
    items = {"policies": {"a": {"name": "a", "members": {"users": [{"name": "alice"}]}},
                          "b": {"name": "b", "members": {"users": [{"name": UNKNOWN}]}}}}
    m = model(("ResourcePolicySet", "estate", items))
    assert sorted((a.principal.name, a.via) for a in m.accesses) == [
        ("(known after apply)", ("estate[b]",)), ("alice", ("estate[a]",))]
    saved = json.loads(json.dumps(m.to_json()))
    assert access.compare(access.AccessModel.from_json(saved), m) == []
    document = json.loads(access.render_json(access.compare(access.AccessModel(), m)))
    assert document["new_access"] is True and document["summary"]["gains"] == 2
    assert document["changes"][1] == {"principal": {"kind": "user", "name": "alice"}, "change": "gains",
                                      "reach": {"resource_labels": {}}, "via": ["estate[a]"],
                                      "approval": {"before": [], "after": [{}]}}

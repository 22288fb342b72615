"""The access model: who reaches what under which gate, and what a change does to it (no engine, no server)."""

from __future__ import annotations

import json

import pytest

from pulumi_policies import access
from pulumi_policies.declared import policies_of
from pulumi_policies.preview import SECRET
from pulumi_policies.registry import TYPE_PREFIX, UNKNOWN

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


def causes(before, after):
    """(principal, change, via) as ``review`` gives them: each via narrowed to the policies whose change causes it."""
    b = [p for kind, name, props in before for p in policies_of(kind, name, props)]
    a = [p for kind, name, props in after for p in policies_of(kind, name, props)]
    ids = access.member_ids(b, a)
    found = access.attributed(access.compare(access.build(b, ids), access.build(a, ids), access.changed(b, a)), b, a, ids)
    return [(c.principal.name, c.change, c.via) for c in found]


def test_via_names_only_the_policies_whose_change_causes_the_change():
    gated = pp("gated", users=["ann"], condition=APPROVAL)
    open_ = pp("open", users=["ann"])
    first_gated = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["gated", "open"]})
    first_open = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["open", "gated"]})
    # a member added to a policy of a profile whose order also changes: the order opens ann's ungated path, the
    # member is zed's gain; every involved changed policy would name both for each
    touched = pp("open", users=["ann", "zed"])
    assert causes([gated, open_, first_gated], [gated, touched, first_open]) == [
        ("ann", "weaker-approval", ["order"]), ("zed", "gains", ["open"])]
    assert sorted(c.via for c in access.compare(model(gated, open_, first_gated), model(gated, touched, first_open),
                                                {"open", "order"})) == [["open", "order"]] * 2  # compare alone: both
    # the order changed, a member added elsewhere in the profile: the order causes nothing
    assert causes([gated, first_gated], [gated, pp("more", users=["zed"]), first_open]) == [("zed", "gains", ["more"])]
    # each of two causes needed (bob added to the Allow, his Deny deleted): both named
    allow, deny = rp("read", users=["alice"]), rp("no-bob", users=["bob"], access_type="Deny")
    assert causes([allow, deny], [rp("read", users=["alice", "bob"])]) == [("bob", "gains", ["no-bob", "read"])]
    # either of two new Allows would do it: both named; a changed Deny of another reach is not
    far = rp("no-bob-prod", users=["bob"], access_type="Deny", resource_labels={"env": ["prod"]})
    assert causes([allow, far], [allow, rp("x", users=["bob"]), rp("y", users=["bob"]),
                                 rp("no-bob-prod", users=["bob", "carl"], access_type="Deny",
                                    resource_labels={"env": ["prod"]})]) == [("bob", "gains", ["x", "y"])]
    # an unseen is_active of a Deny and bob added to the Allow it shadowed: both cause his gain
    hidden = rp("no-bob", users=["bob"], access_type="Deny", is_active=UNKNOWN)
    assert causes([allow, deny], [rp("read", users=["alice", "bob"]), hidden]) == \
        [("bob", "gains", ["no-bob", "read"])]


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


def declared_in_stack(*resources):
    """The declared policies of resources as a state or a preview holds them (by URN), read as `access` reads them."""
    return access.declared({f"urn:pulumi:dev::p::{TYPE_PREFIX}{kind}::{name}": (TYPE_PREFIX + kind, props)
                            for kind, name, props in resources})


def test_a_sets_items_are_on_its_connection_and_items_not_seen_are_one_policy_read_widest():
    deny = rp("d", users=["alice"], access_type="Deny", connection="b")
    estate = ("ResourcePolicySet", "estate", {"connection": "b", "policies": [rp("a", users=["alice"])[2]]})
    was, now = declared_in_stack(deny, estate), declared_in_stack(estate)
    assert [p.get("connection") for p in now] == ["b"]
    found = access.compare(access.build(was), access.build(now), access.changed(was, now))
    assert [(c.principal.name, c.principal.connection, c.change) for c in found] == [("alice", "b", "gains")]
    for mark, shown in ((UNKNOWN, "(known after apply)"), (SECRET, "(secret)")):
        for items in (mark, [rp("a", users=["alice"])[2], mark]):  # the whole list, or one item
            m = access.build(declared_in_stack(("ResourcePolicySet", "estate", {"policies": items})))
            unseen = [a for a in m.accesses if a.principal.name == shown]
            assert unseen and all(a.reach.selector == () and a.via == ("estate[not seen #" + str(
                0 if items == mark else 1) + "]",) for a in unseen), (items, m.accesses)
            assert any(u.policy.startswith("estate[not seen") for u in m.unseen)


# -- fail closed (issue 31): every value not seen is read as the widest access -------------------------------------
def verdict(before, after):
    b = [p for kind, name, props in before for p in policies_of(kind, name, props)]
    a = [p for kind, name, props in after for p in policies_of(kind, name, props)]
    ids = access.member_ids(b, a)
    after_model = access.build(a, ids)
    return access.compare(access.build(b, ids), after_model, access.changed(b, a)), after_model.unseen


def test_a_deny_not_seen_takes_nothing_and_an_allow_not_seen_grants_widest():
    allow = rp("read", users=["alice", "bob"])
    deny = rp("no-bob", users=["bob"], access_type="Deny")
    for hidden in ({"is_active": UNKNOWN}, {"is_draft": SECRET}, {"condition": UNKNOWN}, {"access_type": UNKNOWN},
                   {"resource_labels": {"env": [UNKNOWN]}}, {"settings": [{"settings_type": "GEO"}]}):
        found, unseen = verdict([allow, deny], [allow, rp("no-bob", users=["bob"], **{"access_type": "Deny", **hidden})])
        assert [(c.principal.name, c.change, c.via) for c in found] == [("bob", "gains", ["no-bob"])], hidden
        assert unseen and all(u.policy == "no-bob" for u in unseen)
    # an Allow whose gate is not seen has none; whose members are secret gives a principal nobody can name
    gated = rp("read", users=["alice"], condition=APPROVAL)
    found, unseen = verdict([gated], [rp("read", users=["alice"], condition=UNKNOWN)])
    assert [c.change for c in found] == ["weaker-approval"] and unseen[0].field == "condition"
    found, unseen = verdict([rp("read", users=["bob"])], [rp("read", members=SECRET)])
    assert {(c.principal.name, c.change) for c in found} == {("(secret)", "gains")}  # bob may be a member still
    found, _ = verdict([rp("read", users=["bob"]), rp("write", users=["bob"], access_level="write")],
                       [rp("read", members={"users": [{"name": "dan"}, {"name": SECRET}]})])
    assert sorted((c.principal.name, c.change, c.via) for c in found) == [
        ("(secret)", "gains", ["read"]), ("bob", "loses", ["write"]), ("dan", "gains", ["read"])]
    assert "a principal `(secret)` who gains it" in access.render_markdown(found, unseen=unseen)
    # an empty list of values for a key: any value for an Allow (never "matches nothing")
    [held] = model(rp("read", users=["a"], resource_labels={"team": []})).accesses
    assert held.reach.selector == ()
    # members not seen in an Allow and in a Deny over the same reach: the Deny's denies no one, not even the
    # placeholder the Allow's are read as (found by the soundness run on the real engine, make soundness)
    for mark in (UNKNOWN, SECRET):
        found, _ = verdict([rp("read", users=["bob"]), deny],
                           [rp("read", members=mark), rp("no-bob", members=mark, access_type="Deny")])
        assert access.new_access(found), (mark, found)


def test_an_order_position_not_seen_is_never_filled_from_the_old_list():
    gated = pp("gated", users=["a"], condition=APPROVAL, policy_id="id-gated")
    open_ = pp("open", users=["a"], policy_id="id-open")
    before = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["id-gated", "id-open"],
                                              "policy_ids": ["id-gated", "id-open"]})
    # open is moved first and touched: its id is not seen at preview; the old ids are not read into the new list
    after = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": [UNKNOWN, "id-gated"]})
    found, unseen = verdict([gated, open_, before], [gated, open_, after])
    assert [(c.change, c.principal.name) for c in found] == [("weaker-approval", "a")]
    assert any(u.field == "policies[0]" for u in unseen)


def test_a_policy_whose_id_is_not_known_may_hold_any_position_no_policy_of_its_profile_is_known_by():
    deny = pp("deny", users=["a"], access_type="Deny", policy_id="id-deny")
    other = pp("x", profile="prof-ops", policy_id="id-x")  # the same name in another profile claims nothing here
    order = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["id-deny", "id-allow"],
                                             "policy_ids": ["id-deny", "id-allow"]})
    # a set's policy (no id in the documents) listed by id, and a policy whose name is known only after apply
    unnamed = ("ProfilePolicy", "allow", {**pp("allow", users=["a"])[2], "name": UNKNOWN})
    for allow in (pp("allow", users=["a"]), unnamed):
        moved = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["id-allow", "id-deny"]})
        found, _ = verdict([allow, deny, other, order], [allow, deny, other, moved])
        assert [(c.change, c.principal.name) for c in found] == [("gains", "a")], (allow, found)
    named = ("ProfilePolicyOrder", "order", {"profile_id": "prof-eng", "policies": ["x", "deny"]})
    found, unseen = verdict([pp("allow", users=["a"], policy_id="id-allow"), deny, other, order],
                            [unnamed, deny, other, named])
    assert [(c.change, c.principal.name) for c in found] == [("gains", "a")] and any(u.field == "name" for u in unseen)


def test_every_gate_step_has_an_order_and_what_is_not_shown_stricter_is_weaker():
    def step(**settings):
        return pp("p", users=["a"], settings=[settings])
    regex = step(settings_type="JUSTIFICATION", justification_regex="^CHG[0-9]{7}$")
    itsm = step(settings_type="ITSM", connection_id="snow-prod", connection_type="servicenow",
                itsm_filter_criteria=[{"supported_ticket_type": "change", "filter": {"state": "approved"}}])
    cases = [
        (regex, step(settings_type="JUSTIFICATION", justification_regex=".*"), "weaker-approval"),
        (regex, step(settings_type="JUSTIFICATION"), "weaker-approval"),
        (step(settings_type="JUSTIFICATION"), regex, "stronger-approval"),
        (itsm, step(settings_type="ITSM", connection_id="snow-sandbox", connection_type="servicenow",
                    itsm_filter_criteria=[{"supported_ticket_type": "change", "filter": {"state": "approved"}}]),
         "weaker-approval"),
        (itsm, step(settings_type="ITSM", connection_id="snow-prod", connection_type="servicenow"), "weaker-approval"),
        (step(settings_type="IM", connection_id="pd", connection_type="pagerduty"),
         step(settings_type="IM", connection_id="pd", connection_type="pagerduty", is_auto_approval_enabled=True),
         "weaker-approval"),
        (pp("p", users=["a"], condition={"approval": {"approvers": {"tags": ["l"]}, "valid_for": 30}}),
         pp("p", users=["a"], condition={"approval": {"approvers": {"tags": ["l"]}, "valid_for": 30,
                                                      "time_to_approve": 5}}), None),
    ]
    for before, after, expected in cases:
        assert [c.change for c in access.compare(model(before), model(after))] == ([expected] if expected else []), \
            (before, after)


def test_no_noise_a_member_by_id_consumer_and_reach_already_held():
    # a member given with an id is that id's member, whatever name comes with it
    before = rp("read", users=["alice"])
    mallory = ("ResourcePolicy", "x", {**before[2], "name": "x", "members": {"users": [{"name": "bob", "id": "u-mal"}]}})
    found, _ = verdict([before], [before, mallory])
    assert [(c.principal.to_json(), c.change, c.via) for c in found] == [
        ({"kind": "user", "name": "u-mal", "given_name": "bob"}, "gains", ["x"])]
    # the server's consumer written into the state by a refresh, and a new Allow for what alice already holds
    refreshed = rp("read", users=["alice"], consumer="resourcemanager")
    assert verdict([refreshed], [refreshed, rp("again", users=["alice"])])[0] == []
    # a name given in one model and with its id in the other is one principal
    assert verdict([rp("read", users=["alice"])],
                   [rp("read", members={"users": [{"name": "alice", "id": "u-1"}]})])[0] == []


def test_inputs_are_checked_before_anything_is_read():
    from pulumi_policies.preview import InputRejected, check_pair, parse, read_preview, read_state

    stack_step = {"op": "same", "urn": "urn:pulumi:prod::proj::pulumi:pulumi:Stack::proj-prod",
                  "type": "pulumi:pulumi:Stack"}
    state = {"version": 3, "deployment": {"resources": [{"urn": stack_step["urn"], "type": "pulumi:pulumi:Stack"}]}}
    preview = {"steps": [stack_step], "changeSummary": {"same": 1}}
    for bad, what, said in (("", "preview", "is empty"), ('{"steps": [', "preview", "truncated")):
        with pytest.raises(InputRejected, match=said):
            parse(bad, what, "x.json")
    with pytest.raises(InputRejected, match="is a stack's state .* pass it with --state"):
        read_preview(state)
    with pytest.raises(InputRejected, match="is a preview .* not a stack's state"):
        read_state(preview)
    with pytest.raises(InputRejected, match="no steps"):
        read_preview({})
    other = json.loads(json.dumps(state).replace("prod", "dev"))
    with pytest.raises(InputRejected, match="the state is of proj/dev, the preview of proj/prod"):
        check_pair(read_preview(preview), read_state(other))
    with pytest.raises(InputRejected, match="the preview is of stack 'prod', not 'staging'"):
        check_pair(read_preview(preview), None, "org/staging")
    # a secret the state export shows (--show-secrets) is read; one it hides is the placeholder
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    shown = {"urn": "urn:pulumi:prod::proj::t::n", "type": "t",
             "inputs": {"members": {**secret, "plaintext": json.dumps({"users": [{"name": "alice"}]})},
                        "name": {**secret, "ciphertext": "xx"}}}
    record = read_state({"version": 3, "deployment": {"resources": [shown]}}).resources[shown["urn"]]
    assert record.inputs == {"members": {"users": [{"name": "alice"}]}, "name": "[secret]"}

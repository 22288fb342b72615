"""Bad input never reaches the server; bad server answers give errors that say what happened."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_policies import connections
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import new_policy_stack

# -- 500+ invalid inputs, checked by the providers' own check() against a live server: no call made ---------
VALID = {
    "ConfigurationPolicy": {"policyid": "p", "organization": "o"},
    "ProfilePolicy": {"profile_id": "prof-eng", "name": "n"},
    "ResourcePolicy": {"name": "n"},
}
text = st.text(string.ascii_letters + string.digits + "-_ ./?#%ü", max_size=40)
junk = st.one_of(st.integers(), st.floats(allow_nan=False), st.lists(st.integers(), min_size=1, max_size=3),
                 st.dictionaries(text, st.integers(), min_size=1, max_size=2), st.booleans())

# (kind, a strategy of (field named in the failure, invalid inputs))
BREAKERS = [
    ("ConfigurationPolicy", st.builds(lambda s: ("policyid", {**VALID["ConfigurationPolicy"], "policyid": "x" * 26 + s}), text)),
    ("ConfigurationPolicy", st.builds(lambda s: ("organization", {"policyid": "p", "organization": "o" * 26 + s}), text)),
    ("ConfigurationPolicy", st.builds(lambda v: ("processid", {**VALID["ConfigurationPolicy"], "processid": v}),
                                      st.one_of(text.filter(lambda t: not t.strip().lstrip("-").isdigit()),
                                                st.lists(st.integers(), min_size=1)))),
    ("ConfigurationPolicy", st.builds(lambda v: ("policy_schedule", {**VALID["ConfigurationPolicy"], "policy_schedule": v}),
                                      st.one_of(st.integers(), st.lists(st.integers(), min_size=1)))),
    ("ConfigurationPolicy", st.just(("organization", {"policyid": "p"}))),
    ("ProfilePolicy", st.builds(lambda v: ("access_type", {**VALID["ProfilePolicy"], "access_type": v}),
                                text.filter(lambda t: t not in ("Allow", "Deny")))),
    ("ProfilePolicy", st.builds(lambda r: ("settings", {**VALID["ProfilePolicy"], "settings": [
        {"settings_type": "JUSTIFICATION", "justification_regex": r}]}), st.sampled_from(["(", "[a-", "*x", "a{2,1}", "(?P<"]))),
    ("ProfilePolicy", st.builds(lambda t: ("settings", {**VALID["ProfilePolicy"], "settings": [{"settings_type": t}]}),
                                text.filter(lambda t: t not in ("ITSM", "JUSTIFICATION", "IM")))),
    ("ProfilePolicy", st.builds(lambda v: ("members", {**VALID["ProfilePolicy"], "members": {"users": [v]}}),
                                st.one_of(st.just({}), st.just({"id": ""}), st.integers(), text))),
    ("ProfilePolicy", st.builds(lambda v: ("profile_id", {"name": "n", "profile_id": v}), st.just(""))),
    ("ResourcePolicy", st.builds(lambda v: ("name", {"name": v}), st.one_of(st.just(""), st.integers(),
                                                                         st.text(alphabet=" \t\n", min_size=1, max_size=5)))),
    ("ResourcePolicy", st.builds(lambda k, v: (k, {**VALID["ResourcePolicy"], k: v}),
                                 st.sampled_from(["resource_labels", "members"]), junk)),
    ("ResourcePolicy", st.builds(lambda v: ("condition", {**VALID["ResourcePolicy"], "condition": v}),
                                 st.one_of(st.integers(), st.lists(st.integers(), min_size=1), st.just("{not json"),
                                           st.just("[1, 2]")))),
    ("ResourcePolicy", st.builds(lambda v: ("is_active", {**VALID["ResourcePolicy"], "is_active": v}),
                                 st.one_of(st.lists(st.booleans(), min_size=1), st.integers(min_value=2),
                                           st.sampled_from(["maybe", "yes please", "2"])))),
    ("ResourcePolicy", st.builds(lambda k: (k, {**VALID["ResourcePolicy"], k: "x"}),
                                 st.from_regex(r"\A[a-z]{3,12}_typo\Z", fullmatch=True))),
]
CHECKED: list[int] = []


@pytest.fixture(scope="module")
def live_server():
    from pulumi_policies.emulator import EmulatorServer

    with EmulatorServer() as srv:
        connections.configure({"pulumi-policies:nccmUrl": srv.url, "pulumi-policies:resourceManagerUrl": srv.url,
                                     "pulumi-policies:nccmApiKey": srv.nccm_api_key,
                                     "pulumi-policies:resourceManagerToken": srv.rm_token})
        yield srv
        connections.configure({})
        print(f"\n{sum(CHECKED)} invalid inputs rejected by check, naming their field; "
              f"{srv.admin.requests()['total']} HTTP calls")
        assert srv.admin.requests()["total"] == 0


@pytest.mark.parametrize("kind,strategy", BREAKERS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BREAKERS)])
def test_invalid_inputs_fail_check_naming_the_field(kind, strategy, live_server):
    @settings(max_examples=45, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def run(case: tuple[str, dict[str, Any]]) -> None:
        field, props = case
        result = PROVIDERS[kind]().check({}, props)
        messages = " | ".join(f.reason for f in result.failures)
        assert result.failures, (props, result.inputs)
        assert re.search(rf"{kind}\.{re.escape(field)}\b", messages), (field, messages)
        CHECKED.append(1)

    run()


# -- bad answers from the server, on the real engine ----------------------------------------------------
HTML = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>" + "x" * 2000 + "</body></html>"
BAD_ANSWERS = [
    ("missing id", {"kind": "respond", "method": "POST", "status": 201, "body": "{}"}, "came back without an 'id'"),
    ("wrong types", {"kind": "respond", "method": "POST", "status": 201,
                     "body": '{"id": "x1", "name": ["not", "a", "string"], "isActive": "maybe"}'},
     "came back malformed: name: Input should be a valid string"),
    ("not JSON", {"kind": "respond", "method": "POST", "status": 201, "body": "OK", "content_type": "text/plain"},
     "with a body that is not JSON (text/plain)"),
    ("HTML error page", {"kind": "respond", "method": "POST", "status": 400, "body": HTML, "content_type": "text/html"},
     "answered HTTP 400: an HTML page"),
]


@pytest.mark.parametrize("label,fault,expected", BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_bad_server_answers_are_clear_errors(label, fault, expected, server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare({"type": "ResourcePolicy", "name": "r", "args": {"name": "r", "resource": "db"}})
    server.admin.set_faults([fault])
    proc = ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ResourcePolicy (name 'r'): create failed" in text and expected in text, text
    assert "Traceback" not in text and "x" * 500 not in text  # a message, not a dump

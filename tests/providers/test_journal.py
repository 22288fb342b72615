"""The provider's journal of its creates (journal.py: what `pulumi-policies up --fast` relies on), called as the
engine calls the provider, against the embedded server over HTTP."""

from __future__ import annotations

import pytest

from pulumi_policies import connections, journal
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import Api

RP, PP, CP = (PROVIDERS[k]() for k in ("ResourcePolicy", "ProfilePolicy", "ConfigurationPolicy"))
CASES = [(RP, {"name": "j"}), (PP, {"name": "j", "profile_id": "prof-eng"}),
         (CP, {"policyid": "j", "organization": "acme"})]


@pytest.fixture
def api(server, tmp_path, monkeypatch):
    monkeypatch.setenv(journal.ENV, str(tmp_path / "journal.jsonl"))
    monkeypatch.setenv(journal.RUN_ENV, "run-1")
    monkeypatch.setattr(journal, "_earlier", {})  # as a new provider process: the file is read on first use
    connections.configure({"pulumi-policies:nccmUrl": server.url, "pulumi-policies:resourceManagerUrl": server.url,
                        "pulumi-policies:nccmApiKey": server.nccm_api_key,
                        "pulumi-policies:resourceManagerToken": server.rm_token})
    yield Api(server)
    connections.configure({})


def next_run(monkeypatch, run: str = "run-2") -> None:
    """The provider of the next `up --fast`: another update id, the journal read afresh."""
    monkeypatch.setenv(journal.RUN_ENV, run)
    monkeypatch.setattr(journal, "_earlier", {})


def create(provider, args):
    result = provider.check({}, args)
    assert not result.failures
    return provider.create(result.inputs)


def remote_id(result) -> str:
    return result.id.rsplit("/", 1)[-1]  # the Pulumi id ends with the remote id (after the profile, if any)


def writes(server) -> dict[str, int]:
    return {call: n for call, n in server.admin.requests()["counts"].items() if not call.startswith("GET")}


@pytest.mark.parametrize("provider,args", CASES)
def test_an_object_the_journal_says_we_made_is_adopted_at_the_declared_values(api, server, monkeypatch, provider,
                                                                               args):
    first = create(provider, {**args, "description": "v1"})
    lines = (journal.Path(journal.os.environ[journal.ENV])).read_text().splitlines()
    assert journal.Path(journal.os.environ[journal.ENV]).stat().st_mode & 0o777 == 0o600  # the user's eyes only
    assert len(lines) == 2 and '"id": null' in lines[0] and f'"id": "{remote_id(first)}"' in lines[1]  # begun, done
    next_run(monkeypatch)  # the state never heard of `first`
    server.admin.clear_requests()
    again = create(provider, {**args, "description": "v2"})
    assert again.id == first.id and again.outs["description"] == "v2"
    assert not any(call.startswith("POST") for call in writes(server)), writes(server)  # adopted, not created


@pytest.mark.parametrize("provider,args", CASES)
def test_an_object_of_that_name_with_another_id_is_never_taken_over(api, server, monkeypatch, provider, args):
    first = create(provider, args)
    provider.delete(first.id, first.outs)  # ours is gone; somebody makes one of that name, with the same values
    journal_file = journal.os.environ.pop(journal.ENV)
    other = create(provider, args)  # (without the journal: as somebody else's tool would)
    monkeypatch.setenv(journal.ENV, journal_file)
    next_run(monkeypatch)
    with pytest.raises(Exception) as refused:
        create(provider, args)
    assert remote_id(other) in str(refused.value) and "import_id" in str(refused.value)


def test_two_resources_of_one_name_in_one_run_stay_a_conflict(api):
    create(RP, {"name": "twice"})
    with pytest.raises(Exception) as refused:
        create(RP, {"name": "twice"})  # the same run: its own journal lines do not count
    assert "already exists" in str(refused.value)


@pytest.mark.parametrize("same", [True, False])
def test_a_create_that_died_before_its_answer_is_adopted_only_if_the_object_holds_what_it_sent(api, server, same,
                                                                                              monkeypatch):
    """The journal holds the create's intent but no id (killed while the POST was in flight, which landed)."""
    args = {"name": "lost", "description": "sent", "members": {"users": [{"name": "alice"}]}}
    inputs = RP.check({}, args).inputs
    journal.intend("ResourcePolicy", RP.spec.scope_of(inputs), {"name": "lost"}, inputs)  # run-1, then killed
    next_run(monkeypatch)
    landed = api.rm.post("/api/resource-manager/policies",
                         json={"name": "lost", "description": "sent" if same else "somebody else's",
                               "members": {"users": [{"name": "alice"}]}})
    assert landed.status_code == 201
    server.admin.clear_requests()
    if same:
        again = create(RP, {**args, "description": "declared now"})
        assert remote_id(again) == landed.json()["id"] and again.outs["description"] == "declared now"
        assert not any(call.startswith("POST") for call in writes(server))
    else:
        with pytest.raises(Exception) as refused:
            create(RP, args)
        assert landed.json()["id"] in str(refused.value) and "import_id" in str(refused.value)


def test_a_line_a_kill_cut_short_is_ignored_and_nothing_is_written_without_the_journal(tmp_path, monkeypatch):
    path = tmp_path / "journal.jsonl"
    path.write_text('{"id": "a1", "key": {"name": "x"}, "kind": "ResourcePolicy", "run": "r1", "scope": {}}\n'
                    '{"id": null, "inputs": {"name": "y"}, "key": {"name": "y"}, "kind": "ResourcePolicy", "run": "r1", '
                    '"scope": {}}\n'
                    '{"id": "a2", "key": {"name": "y"}, "kind": "ResourcePolicy", "run": "r1", "scope": {}}\n'
                    '{"id": "a3", "key": {"na')
    monkeypatch.setenv(journal.ENV, str(path))
    next_run(monkeypatch, "r2")
    assert journal.made_by_us("ResourcePolicy", {}, {"name": "x"}) == ({"a1"}, [])
    assert journal.made_by_us("ResourcePolicy", {}, {"name": "y"}) == ({"a2"}, [])  # the answer retired the intent
    assert journal.made_by_us("ResourcePolicy", {"connection": "prod"}, {"name": "x"}) == (set(), [])  # a tenant
    next_run(monkeypatch, "r1")
    assert journal.made_by_us("ResourcePolicy", {}, {"name": "x"}) == (set(), [])  # a run's own lines never count
    monkeypatch.delenv(journal.ENV)
    journal.record("ResourcePolicy", {}, {"name": "z"}, "a4")
    assert "a4" not in path.read_text()

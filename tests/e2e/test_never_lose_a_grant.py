"""Never lose a grant, never miss a change to one (issue 30), on the real engine against the embedded server.

Each step is what an adopter did when the product failed: a rename followed by the tool's own advice (import_id),
a policy moved into a set and out again, a Deny switched off by hand, a value the program never declared, a touched
policy listed by a ProfilePolicyOrder, one member added and Pulumi's own `preview --diff`. After each: the server
holds every declared policy exactly once, hand edits are drift, and undeclared values are intact.
"""

from __future__ import annotations

import re

import pytest

from tests.support.policies import Api, new_policy_stack

GATED = {"profile_id": "prof-eng", "name": "gated", "access_type": "Deny",
         "members": {"users": [{"name": "mallory"}]}}
OPEN = {"profile_id": "prof-eng", "name": "open", "members": {"users": [{"name": "alice"}]}}


def held(server, name):
    """The profile policies of prof-eng the server holds under `name` (a grant held twice is a failure too)."""
    return [p for p in server.admin.dump()["profile_policies"] if p["name"] == name]


def order(*policies):
    return {"type": "ProfilePolicyOrder", "name": "order", "args": {"profile_id": "prof-eng", "policies": list(policies)}}


@pytest.mark.parametrize("server", ["britive", "documented"], indirect=True)
def test_renames_moves_hand_edits_and_undeclared_values_keep_the_server_true(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    api = Api(server)
    ps.declare({"type": "ProfilePolicy", "name": "gated", "args": GATED},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN})
    ps.stack.up()
    [gated] = held(server, "gated")

    # 1. A rename without an alias: the 409 says how to keep it, aliases first, then import_id.
    ps.declare({"type": "ProfilePolicy", "name": "gated-v2", "args": GATED},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN})
    refused = ps.stack.up(check=False)
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "aliases=[pulumi.Alias(name=" in text, text
    assert text.index("aliases") < text.index(f"import_id={gated['id']!r}"), text
    # ... following the advice adopts it, and removing the old resource in the same update leaves it on the server.
    ps.declare({"type": "ProfilePolicy", "name": "gated-v2", "args": {**GATED, "import_id": gated["id"]}},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN})
    ps.stack.up()
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]]

    # 2. Moved into a set (by natural key), then out of it again (by id): held once, by its new holder, each time.
    ps.declare({"type": "ProfilePolicySet", "name": "estate", "args": {"policies": [
                   {**GATED, "import_id": "prof-eng/gated"}]}},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN})
    ps.stack.up()
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]]
    ps.declare({"type": "ProfilePolicy", "name": "gated", "args": {**GATED, "import_id": gated["id"]}},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN})
    ps.stack.up()
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]]
    assert ps.stack.changes() == {}

    # 3. The Deny switched off by hand (the program never declared is_active): refresh shows it, the preview shows
    # the update that restores it, up restores it.
    path = api.rm_path("ProfilePolicy", gated["id"], "prof-eng")
    assert api.rm.patch(path, json={"isActive": False}).status_code == 204
    refreshed = ps.stack.pulumi("refresh", "--yes", "--diff")
    assert re.search(r"is_active\s*:\s*true\s*=>\s*false", refreshed.stdout), refreshed.stdout
    assert ps.stack.changes() == {"update": 1}
    # A value the program never declared (a description set by hand) is carried through that update, not reset.
    assert api.rm.patch(path, json={"description": "set by the security team"}).status_code == 204
    ps.stack.up()
    now = api.rm.get(path).json()
    assert now.get("isActive", True) is True and now["description"] == "set by the security team"
    assert ps.stack.changes() == {}

    # 4. An order listing a policy that the same change touches: the ids stay known, the order is no change.
    ps.declare({"type": "ProfilePolicy", "name": "gated", "args": GATED},
               {"type": "ProfilePolicy", "name": "open", "args": OPEN}, order("@gated.policy_id", "@open.policy_id"))
    if server.state.behaviour.prioritization:
        ps.stack.up()
        ps.declare({"type": "ProfilePolicy", "name": "gated", "args": {**GATED, "members": {"users": [
                       {"name": "mallory"}, {"name": "trudy"}]}}},
                   {"type": "ProfilePolicy", "name": "open", "args": OPEN}, order("@gated.policy_id", "@open.policy_id"))
        assert ps.stack.changes() == {"update": 1}

    # 5. One member added: Pulumi's own preview --diff shows that one change and nothing else.
    ps.declare({"type": "ProfilePolicy", "name": "gated", "args": GATED},
               {"type": "ProfilePolicy", "name": "open", "args": {**OPEN, "members": {"users": [
                   {"name": "alice"}, {"name": "bob"}]}}})
    ps.stack.refresh()  # the state's inputs as a refresh writes them: no server default is a change
    shown = ps.stack.pulumi("preview", "--diff").stdout
    resources = shown.split("--outputs:--")[0]  # the stack's own outputs (this program exports every output) follow
    changed = [line.strip() for line in resources.splitlines() if re.match(r"\s*[-+~]\s+\w", line)
               and "pulumi:pulumi:Stack" not in line and "pulumi_policies:" not in line]
    assert [re.sub(r"\s+", " ", line) for line in changed] == ["~ members : {", "~ users: [", '+ name: "bob"'], shown

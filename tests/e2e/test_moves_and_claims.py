"""Adversarial checks of issue 30's invariants on the real engine against the embedded server.

Each test is a sequence an adopter can reach by following the docs; each asserts the behaviour the invariants
promise (docs/resources.md "What is managed and what is carried", docs/operations.md "Renames and moves").
"""

from __future__ import annotations

import pytest

from tests.support.policies import new_policy_stack

GATED = {"profile_id": "prof-eng", "name": "gated", "access_type": "Deny",
         "members": {"users": [{"name": "mallory"}]}}
OPEN = {"profile_id": "prof-eng", "name": "open", "members": {"users": [{"name": "alice"}]}}


def held(server, name):
    return [p for p in server.admin.dump()["profile_policies"] if p["name"] == name]


def single(name, args):
    return {"type": "ProfilePolicy", "name": name, "args": args}


def pset(name, *items):
    return {"type": "ProfilePolicySet", "name": name, "args": {"policies": list(items)}}


# -- invariant 3: moves out of a set and between sets, the losing set declared before the resource that adopts ----

@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_moves_out_of_into_and_between_sets_keep_the_policy_when_the_losing_set_goes_first(server, make_stack,
                                                                                             tmp_path):
    """A set deletes the items it loses inside its own update step, not at the end of the deployment as the engine
    deletes removed resources; a resource that adopts the item may be checked only after that step (declared later,
    or waiting for the set: an output of it here, ``depends_on`` alike). The program hands every set the import_ids
    it declares, so the item waits for its claimant, and is kept (claims.py)."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(pset("east", GATED, OPEN), pset("west", {**OPEN, "name": "other"}))
    ps.stack.up()
    [gated] = held(server, "gated")
    # out of a set: the set first in the program, the single that adopts `gated` after it and waiting for it
    ps.declare(pset("east", OPEN), pset("west", {**OPEN, "name": "other"}),
               single("gated", {**GATED, "import_id": "prof-eng/gated", "description": "@east.id"}))
    result = ps.stack.up(check=False)
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]], result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    # back into the set (the single's delete comes at the end of the update: claimed by then)
    ps.declare(pset("east", {**GATED, "import_id": gated["id"]}, OPEN), pset("west", {**OPEN, "name": "other"}))
    ps.stack.up()
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]]
    # between two sets: west waits for east (an output of east; depends_on=[east] does the same)
    ps.declare(pset("east", OPEN), pset("west", {**OPEN, "name": "other", "description": "@east.id"},
                                        {**GATED, "import_id": gated["id"]}))
    result = ps.stack.up(check=False)
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]], result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


# -- invariant 3: `pulumi up --target` names the removed resource and its adopter ---------------------------------------

def test_targeted_up_of_the_old_holder_and_its_adopter_keeps_the_policy(server, make_stack, tmp_path):
    """Moved from a single resource into a set with import_id, applied with `pulumi up --target` naming both. (Naming
    the old resource alone deletes it: the engine checks no untargeted resource, so nothing tells the provider of the
    adoption; docs/operations.md says so.)"""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(single("gated", GATED), single("open", OPEN))
    ps.stack.up()
    [gated] = held(server, "gated")
    ps.declare(pset("estate", {**GATED, "import_id": "prof-eng/gated"}), single("open", OPEN))
    urn = "urn:pulumi:dev::declared::pulumi-python:dynamic/pulumi_policies:"
    targeted = ps.stack.up("--target", urn + "ProfilePolicy::gated", "--target", urn + "ProfilePolicySet::estate",
                           check=False)
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]], targeted.stdout + targeted.stderr
    assert ps.stack.changes() == {}


# -- invariant 3: a connection renamed to another name for the same server, following the 409's advice ---------------

def test_connection_switched_to_a_named_alias_of_the_same_server_keeps_the_adopted_policy(server, make_stack, tmp_path):
    """`connection` replaces the object: the new one is created on the new connection, the old deleted on the old.
    Where both names reach the same server, the create meets the policy (409, "adopt it with import_id"); adopting it
    then has the old connection's delete remove the very policy just adopted."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.stack.pulumi("config", "set-all",
                    "--plaintext", f"pulumi-policies:connections.prod.resourceManagerUrl={server.url}",
                    "--plaintext", f"pulumi-policies:connections.prod.nccmUrl={server.url}",
                    "--secret", f"pulumi-policies:connections.prod.resourceManagerToken={server.rm_token}",
                    "--secret", f"pulumi-policies:connections.prod.nccmApiKey={server.nccm_api_key}",
                    "--path", secret=[server.rm_token, server.nccm_api_key])
    ps.declare(single("gated", GATED))
    ps.stack.up()
    [gated] = held(server, "gated")
    ps.declare(single("gated", {**GATED, "connection": "prod", "import_id": gated["id"]}))
    result = ps.stack.up(check=False)
    assert [p["id"] for p in held(server, "gated")] == [gated["id"]], result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


# -- the opposite of invariant 3: an import_id left in the program keeps another object from being deleted -----------

def test_a_leftover_import_id_does_not_keep_a_removed_grant_on_the_server(server, make_stack, tmp_path):
    """docs/resources.md: after the adoption "you may leave [import_id] in the program". A natural-key import_id left
    there claims *any* object of that name in every later update, so removing another resource whose policy has that
    name skips its delete: the revoked grant stays on the server and leaves the state."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(single("gated", GATED))
    ps.stack.up()
    # Adopted by a renamed resource, import_id by natural key, left in the program as the docs allow.
    adopted = {**GATED, "import_id": "prof-eng/gated"}
    ps.declare(single("gated-v2", adopted))
    ps.stack.up()
    # The adopted policy renamed in place; then a new policy takes the old name.
    ps.declare(single("gated-v2", {**adopted, "name": "gated-old"}))
    ps.stack.up()
    ps.declare(single("gated-v2", {**adopted, "name": "gated-old"}),
               single("intruder", {**OPEN, "name": "gated", "members": {"users": [{"name": "trudy"}]}}))
    ps.stack.up()
    assert len(held(server, "gated")) == 1
    # The new policy removed from the program: its grant must leave the server.
    ps.declare(single("gated-v2", {**adopted, "name": "gated-old"}))
    result = ps.stack.up()
    assert held(server, "gated") == [], ("the removed policy 'gated' (trudy's grant) is still on the server:\n"
                                        + result.stdout)

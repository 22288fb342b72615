"""The resource-manager policy API over HTTP: profile and resource policies, profiles, and the silent cases."""

from __future__ import annotations

import json

import pytest

from .conftest import RM

POLICY = {
    "name": "db-admins", "description": "d", "condition": {"ipRange": ["10.0.0.0/8"]}, "accessLevel": "admin",
    "members": {"users": [{"id": "u1", "name": "alice"}], "tags": [{"name": "sre"}]},
    "resourceLabels": {"env": ["prod"]},
    "settings": [{"settingsType": "JUSTIFICATION", "isJustificationRequired": True, "justificationRegex": "^J-"}],
}
SCOPES = {"profile": f"{RM}/profiles/prof-1/policies", "resource": f"{RM}/policies"}
DELETE_STATUS = {"profile": 204, "resource": 200}  # as documented


def test_auth_is_token_scheme_only(api):
    assert api.rm.get(SCOPES["resource"]).status_code == 200
    for header in ({}, {"Authorization": api.server.rm_token}, {"Authorization": f"Bearer {api.server.rm_token}"},
                   {"Authorization": "TOKEN wrong"}):
        r = api.anonymous.get(SCOPES["resource"], headers=header)
        assert r.status_code == 401
        assert r.json()["status"] == 401 and r.json()["message"]


@pytest.mark.parametrize("scope", list(SCOPES))
def test_crud_with_documented_status_codes(api, scope):
    base = SCOPES[scope]
    created = api.rm.post(base, json={**POLICY, "id": "chosen-by-client"})
    assert created.status_code == 201
    policy = created.json()
    assert policy["id"] != "chosen-by-client"  # the server's
    assert policy["isActive"] is True and policy["isDraft"] is False and policy["isReadOnly"] is False
    assert policy["accessType"] == "Allow" and policy["consumer"]
    [setting] = policy["settings"]
    assert setting["entityId"] == policy["id"] and setting["entityType"] == "POLICY" and setting["id"]

    got = api.rm.get(f"{base}/{policy['id']}")
    assert got.status_code == 200 and got.json() == policy
    patched = api.rm.patch(f"{base}/{policy['id']}", json={"description": "new", "isActive": False})
    assert patched.status_code == 204 and patched.content == b""
    after = api.rm.get(f"{base}/{policy['id']}").json()
    assert after["description"] == "new" and after["isActive"] is False
    assert after["members"] == policy["members"] and after["settings"] == policy["settings"]  # PATCH merges

    deleted = api.rm.delete(f"{base}/{policy['id']}")
    assert deleted.status_code == DELETE_STATUS[scope]
    for call in (api.rm.get(f"{base}/{policy['id']}"), api.rm.patch(f"{base}/{policy['id']}", json={}),
                 api.rm.delete(f"{base}/{policy['id']}")):
        assert call.status_code == 404 and call.json()["status"] == 404


@pytest.mark.parametrize("scope", list(SCOPES))
def test_names_unique_within_scope_and_addressable(api, scope):
    base = SCOPES[scope]
    first = api.rm.post(base, json={"name": "a/b c"}).json()
    assert api.rm.post(base, json={"name": "a/b c"}).status_code == 409
    assert api.rm.get(f"{base}/a%2Fb%20c").status_code == 404  # the document addresses policies by id only
    api.server.admin.set_config(profile="britive")  # Britive's Terraform provider reads and patches by name
    by_name = api.rm.get(f"{base}/a%2Fb%20c")  # a name holding '/' stays one segment
    assert by_name.status_code == 200 and by_name.json()["id"] == first["id"]
    assert api.rm.get(f"{base}/a/b%20c").status_code == 404  # a raw '/' is another route, not the name
    assert api.rm.patch(f"{base}/a%2Fb%20c", json={"description": "by name"}).status_code == 204
    assert api.rm.get(f"{base}/{first['id']}").json()["description"] == "by name"
    second = api.rm.post(base, json={"name": "other"}).json()
    rename = api.rm.patch(f"{base}/{second['id']}", json={"name": "a/b c"})
    assert rename.status_code == 409  # a rename may not take a used name


def test_same_name_in_other_scopes_is_fine(api):
    for base in (f"{RM}/profiles/prof-1/policies", f"{RM}/profiles/prof-2/policies", f"{RM}/policies"):
        assert api.rm.post(base, json={"name": "shared"}).status_code == 201


@pytest.mark.parametrize("scope", list(SCOPES))
def test_list_and_filter(api, scope):
    base = SCOPES[scope]
    for name in ("alpha", "beta", "gamma"):
        api.rm.post(base, json={"name": name, "accessLevel": "read" if name != "beta" else "write"})
    assert [p["name"] for p in api.rm.get(base).json()] == ["alpha", "beta", "gamma"]
    assert [p["name"] for p in api.rm.get(base, params={"filter": "name eq beta"}).json()] == ["beta"]
    assert api.rm.get(base, params={"filter": "name eq nobody"}).json() == []
    write = api.rm.get(base, params={"filter": "accessLevel eq write", "compactResponse": "true"}).json()
    assert [p["name"] for p in write] == ["beta"]
    assert api.rm.get(base, params={"filter": "name contains a"}).status_code == 400
    # the document's own example: "key eqprofile1" (no space after eq; a policy's key is its name)
    assert [p["name"] for p in api.rm.get(base, params={"filter": "key eqgamma"}).json()] == ["gamma"]
    # the value is taken verbatim: a name with surrounding spaces is found, and only by itself
    assert api.rm.post(base, json={"name": " spaced "}).status_code == 201
    assert [p["name"] for p in api.rm.get(base, params={"filter": "name eq  spaced "}).json()] == [" spaced "]
    assert api.rm.get(base, params={"filter": "name eq spaced"}).json() == []


def test_unknown_fields_and_python_names_are_ignored_at_every_level(api):
    r = api.rm.post(SCOPES["resource"], json={
        "name": "wire", "access_level": "admin", "is_active": False, "future": 1,
        "members": {"users": [{"id": "u1", "email": "e"}], "service_identities": [{"id": "s1"}], "groups": []},
        "settings": [{"settingsType": "JUSTIFICATION", "justification_regex": "^J-", "extra": True}]})
    assert r.status_code == 201, r.text
    policy = r.json()
    assert "accessLevel" not in policy and "access_level" not in policy and "future" not in policy
    assert policy["isActive"] is True  # `is_active` is not a wire name: the default stands
    assert policy["members"] == {"users": [{"id": "u1"}]}  # service_identities and groups are not wire kinds
    assert "justificationRegex" not in policy["settings"][0] and "extra" not in policy["settings"][0]


def test_validation_is_400_naming_the_field(api):
    for body, field in (({}, "name"), ({"name": "x", "accessType": "Maybe"}, "accessType"),
                        ({"name": "x", "settings": [{"settingsType": "ITSM"}]}, "connectionId"),
                        ({"name": "x", "condition": "{broken"}, "condition")):
        r = api.rm.post(SCOPES["resource"], json=body)
        assert r.status_code == 400 and field in r.json()["message"], (body, r.text)
    assert api.rm.post(SCOPES["resource"], content=b"[1]").status_code == 400
    assert api.rm.get(SCOPES["resource"]).json() == []


def test_unknown_profile_is_404(api):
    for call in (api.rm.get(f"{RM}/profiles/nope/policies"), api.rm.post(f"{RM}/profiles/nope/policies",
                                                                          json={"name": "x"})):
        assert call.status_code == 404 and "nope" in call.json()["message"]


def test_profiles_can_be_created_listed_and_deleted(api):
    created = api.rm.post(f"{RM}/profiles", json={"name": "three", "description": "d"})
    assert created.status_code == 201
    pid = created.json()["id"]
    assert api.rm.post(f"{RM}/profiles", json={"name": "three"}).status_code == 409
    assert {p["name"] for p in api.rm.get(f"{RM}/profiles").json()} == {"one", "two", "three"}
    assert api.rm.post(f"{RM}/profiles/{pid}/policies", json={"name": "p"}).status_code == 201
    assert api.rm.delete(f"{RM}/profiles/{pid}").status_code == 204
    assert api.rm.get(f"{RM}/profiles/{pid}").status_code == 404
    assert all(p.get("profileId") != pid for p in api.server.admin.dump()["profile_policies"])


def test_condition_as_string_switch(api):
    api.rm.post(SCOPES["resource"], json=POLICY)
    api.server.admin.set_config(condition_as="string")
    [policy] = api.rm.get(SCOPES["resource"]).json()
    assert isinstance(policy["condition"], str) and json.loads(policy["condition"]) == POLICY["condition"]
    # the documents' server takes an object only; the string a client read back is refused by name
    refused = api.rm.patch(f"{SCOPES['resource']}/{policy['id']}", json={"condition": policy["condition"]})
    assert refused.status_code == 400 and "condition" in refused.json()["message"]
    api.server.admin.set_config(condition_in="any")
    assert api.rm.patch(f"{SCOPES['resource']}/{policy['id']}", json={"condition": policy["condition"]}).status_code == 204
    api.server.admin.set_config(condition_as="object")
    assert api.rm.get(SCOPES["resource"]).json()[0]["condition"] == POLICY["condition"]


def test_oversized_body_is_413(api):
    big = {"name": "big", "description": "x" * (1 << 20)}
    r = api.rm.post(SCOPES["resource"], json=big)
    assert r.status_code == 413 and r.json()["status"] == 413
    assert api.rm.get(SCOPES["resource"]).json() == []

"""Server profiles: each behaviour a real deployment shows, over HTTP, as the vendors' own clients call it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from .conftest import NCCM, RM

PP = f"{RM}/profiles/prof-1/policies"
RP = f"{RM}/policies"


def test_the_emulator_imports_nothing_of_the_provider():
    """An independent witness: no module of the emulator may import the models, the client or the providers."""
    package = Path(__file__).resolve().parents[2] / "pulumi_policies" / "emulator"
    offenders = []
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                name = ("." * node.level) + (node.module or "")
                if node.level >= 2 or name.startswith("pulumi_policies") and not name.startswith("pulumi_policies.emulator"):
                    offenders.append(f"{module.name}: from {name} import ...")
            elif isinstance(node, ast.Import):
                offenders += [f"{module.name}: import {a.name}" for a in node.names
                              if a.name.startswith("pulumi_policies") and not a.name.startswith("pulumi_policies.emulator")]
    assert offenders == []


def test_config_names_the_profile_and_refuses_unknown_switches(api):
    assert api.server.admin.config()["profile"] == "documented"
    britive = api.server.admin.set_config(profile="britive")
    assert britive["profile"] == "britive" and britive["rm_list"] == "paged" and britive["condition_as"] == "string"
    infraon = api.server.admin.set_config(profile="infraon")
    assert infraon["nccm_auth"] == "apikey" and infraon["rm_list"] == "array"  # a profile sets every switch
    for bad in ({"profile": "nope"}, {"rm_list": "sideways"}, {"no_such": 1}, {"fill_member_ids": "yes"}):
        with pytest.raises(Exception) as err:
            api.server.admin.set_config(**bad)
        assert "400" in str(err.value)
    assert api.server.admin.config()["profile"] == "infraon"


# -- britive ------------------------------------------------------------------------------------------
def test_britive_sdk_update_with_null_condition_and_empty_member_list(api):
    """britive 4.7.0 policies.update() sends "condition": null and "members": [] when none are given."""
    api.server.admin.set_config(profile="britive")
    created = api.rm.post(PP, json={"name": "sdk", "accessType": "Allow", "condition": {}, "isActive": True,
                                    "isDraft": False, "isReadOnly": False, "resourceLabels": {}, "members": []})
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    updated = api.rm.patch(f"{PP}/{policy_id}", json={"name": "sdk", "accessType": "Deny", "condition": None,
                                                      "members": [], "resourceLabels": {}})
    assert updated.status_code == 204, updated.text
    assert api.rm.get(f"{PP}/{policy_id}").json()["accessType"] == "Deny"
    api.server.admin.set_config(profile="documented")
    refused = api.rm.patch(f"{PP}/{policy_id}", json={"members": []})
    assert refused.status_code == 400 and "members" in refused.json()["message"]


def test_britive_condition_is_a_json_string_and_writes_take_any_form(api):
    api.server.admin.set_config(profile="britive")
    for i, condition in enumerate(({"approval": {"x": 1}}, json.dumps({"approval": {"x": 1}}), None, "")):
        r = api.rm.post(RP, json={"name": f"c{i}", "condition": condition})
        assert r.status_code == 201, r.text
        got = r.json()["condition"]
        assert isinstance(got, str)
        assert got == ("" if condition in (None, "") else json.dumps({"approval": {"x": 1}}))
    assert api.rm.post(RP, json={"name": "bad", "condition": "{not json"}).status_code == 400


def test_britive_members_get_ids_and_every_kind_is_returned(api):
    api.server.admin.set_config(profile="britive")
    r = api.rm.post(RP, json={"name": "m", "members": {"users": [{"name": "alice"}, {"id": "u9", "name": "bob"}],
                                                       "tokens": [{"name": "ci"}]}})
    members = r.json()["members"]
    assert set(members) == {"tags", "users", "serviceIdentities", "tokens", "aiIdentities"}
    assert members["tags"] == members["serviceIdentities"] == members["aiIdentities"] == []
    alice, bob = members["users"]
    assert alice["name"] == "alice" and alice["id"] and bob == {"id": "u9", "name": "bob"}
    again = api.rm.post(RP, json={"name": "m2", "members": {"users": [{"name": "alice"}]}}).json()
    assert again["members"]["users"][0]["id"] == alice["id"]  # one directory: the same name, the same id


def test_britive_reads_and_patches_by_name_with_compact_response(api):
    api.server.admin.set_config(profile="britive")
    created = api.rm.post(PP, json={"name": "by name"}).json()
    got = api.rm.get(f"{PP}/by%20name", params={"compactResponse": "true"})
    assert got.status_code == 200 and got.json()["id"] == created["id"]
    assert api.rm.patch(f"{PP}/by%20name", json={"description": "d"}).status_code == 204
    assert api.rm.delete(f"{PP}/{created['id']}").status_code == 204


def test_britive_lists_page_from_zero_in_an_envelope(api):
    api.server.admin.set_config(profile="britive")
    for i in range(23):
        assert api.rm.post(RP, json={"name": f"p{i:02d}"}).status_code == 201
    first = api.rm.get(RP).json()
    assert (first["count"], first["page"], first["size"], len(first["data"])) == (23, 0, 10, 10)
    names, page = [], 0
    while True:  # the Britive SDK's loop: stop once size * (page + 1) >= count
        body = api.rm.get(RP, params={"page": page, "size": 7}).json()
        names += [p["name"] for p in body["data"]]
        if body["size"] * (body["page"] + 1) >= body["count"]:
            break
        page = body["page"] + 1
    assert names == [f"p{i:02d}" for i in range(23)]
    assert api.rm.get(RP, params={"page": -1}).status_code == 400


def test_britive_names_need_only_not_be_blank(api):
    api.server.admin.set_config(profile="britive")
    assert api.rm.post(RP, json={"name": "x" * 300}).status_code == 201
    assert api.rm.post(RP, json={"name": "   "}).status_code == 400
    api.server.admin.set_config(profile="documented")
    assert api.rm.post(RP, json={"name": "y" * 256}).status_code == 400


# -- infraon --------------------------------------------------------------------------------------------
def test_infraon_page_past_the_last_is_404_invalid_page(api):
    headers = {"Authorization": f"ApiKey {api.server.nccm_api_key}"}
    api.server.admin.set_config(profile="infraon")
    assert api.anonymous.get(NCCM, params={"items_per_page": 5, "page": 1}, headers=headers).json() == []
    for i in range(4):
        assert api.anonymous.post(NCCM, json={"policyid": f"p{i}", "organization": "o"}, headers=headers).status_code == 201
    assert len(api.anonymous.get(NCCM, params={"items_per_page": 2, "page": 2}, headers=headers).json()) == 2
    past = api.anonymous.get(NCCM, params={"items_per_page": 2, "page": 3}, headers=headers)
    assert past.status_code == 404 and past.json() == {"detail": "Invalid page."}


def test_infraon_unique_together_error_and_nulls_for_unset_fields(api):
    headers = {"Authorization": f"ApiKey {api.server.nccm_api_key}"}
    api.server.admin.set_config(profile="infraon")
    assert api.anonymous.post(NCCM, json={"policyid": "p", "organization": "o"}, headers=headers).status_code == 201
    again = api.anonymous.post(NCCM, json={"policyid": "p", "organization": "o"}, headers=headers)
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["The fields policyid, organization must make a unique set."]}
    [stored] = api.anonymous.get(NCCM, params={"items_per_page": 5, "page": 1}, headers=headers).json()
    assert stored["description"] is None and stored["assigned_users"] is None and stored["policy_schedule"] is None
    assert stored["processid"] == 1 and stored["rule_description"] is None


def test_nccm_field_errors_are_drf_shaped(api):
    r = api.nccm.post(NCCM, json={"policyid": "x" * 26, "organization": " ", "progress": "many",
                                  "activation_time": "yesterday"})
    assert r.status_code == 400
    assert r.json() == {"policyid": ["Ensure this field has no more than 25 characters."],
                        "organization": ["This field may not be blank."],
                        "progress": ["A valid integer is required."],
                        "activation_time": ["Datetime has wrong format. Use one of these formats instead: "
                                            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}

"""The NCCM configuration-policy API over HTTP: every documented endpoint and status, and the silent cases."""

from __future__ import annotations

import pytest

from .conftest import NCCM


def test_auth_is_the_bare_key_as_documented_and_apikey_scheme_on_infraon(api):
    params = {"items_per_page": 1, "page": 1}
    key = api.server.nccm_api_key
    assert api.nccm.get(NCCM, params=params).status_code == 200
    refused = ({}, {"Authorization": "wrong"}, {"Authorization": f"TOKEN {key}"}, {"Authorization": f"Bearer {key}"})
    for header in (*refused, {"Authorization": f"ApiKey {key}"}):
        r = api.anonymous.get(NCCM, params=params, headers=header)
        assert r.status_code == 401 and set(r.json()) == {"error"}
    api.server.admin.set_config(profile="infraon")  # Infraon's API guide: "Authorization: ApiKey <key>"
    assert api.anonymous.get(NCCM, params=params, headers={"Authorization": f"ApiKey {key}"}).status_code == 200
    for header in (*refused, {"Authorization": key}):
        r = api.anonymous.get(NCCM, params=params, headers=header)
        assert r.status_code == 401 and set(r.json()) == {"error"}
    bare = api.anonymous.get(NCCM, params=params, headers={"Authorization": key})
    assert bare.json() == {"error": "Invalid API key."}  # Infraon's Responses page


def test_create_answers_201_with_no_body_and_fills_read_only_fields(api):
    r = api.nccm.post(NCCM, json={"policyid": "p1", "organization": "acme", "name": "n",
                                  "id": "ffffffffffffffffffffffff", "status": "hacked", "unknown": 1})
    assert r.status_code == 201 and r.content == b""
    [stored] = api.nccm.get(NCCM, params={"items_per_page": 10, "page": 1}).json()
    assert stored["id"] != "ffffffffffffffffffffffff" and len(stored["id"]) == 24  # read-only: ignored
    assert stored["status"] == "inactive" and "unknown" not in stored
    assert stored["processid"] == 1  # the documented default
    assert stored["creationtime"] and stored["last_update_time"]


def test_get_put_delete_with_their_status_codes(api):
    policy = api.new_config("p1", name="first")
    path = f"{NCCM}{policy['id']}/"
    got = api.nccm.get(path)
    assert got.status_code == 200 and got.json() == policy
    put = api.nccm.put(path, json={"policyid": "p1", "organization": "acme", "description": "d",
                                   "creationtime": "1999-01-01"})
    assert put.status_code == 200
    body = put.json()
    assert body["description"] == "d" and body["name"] == ""  # full replace: left-out fields reset
    assert body["creationtime"] == policy["creationtime"]  # read-only kept
    assert body["last_update_time"] >= policy["last_update_time"]
    assert api.nccm.get(path).json() == body
    assert api.nccm.delete(path).status_code == 204
    for call in (api.nccm.get(path), api.nccm.delete(path), api.nccm.put(path, json={"policyid": "p", "organization": "o"})):
        assert call.status_code == 404 and "error" in call.json()


@pytest.mark.parametrize("bad_id", ["not-an-id", "0" * 24, "%2e%2e"])
def test_unknown_or_malformed_ids_are_404(api, bad_id):
    r = api.nccm.get(f"{NCCM}{bad_id}/")
    assert r.status_code == 404 and r.json() == {"error": "Not found."}


def test_validation_errors_name_each_field(api):
    r = api.nccm.post(NCCM, json={"organization": "o" * 26, "processid": "many"})
    assert r.status_code == 400
    errors = r.json()
    assert errors["policyid"] == ["This field is required."]
    assert "25 characters" in errors["organization"][0] and "processid" in errors
    blank = api.nccm.post(NCCM, json={"policyid": "  ", "organization": "o"})
    assert blank.status_code == 400 and "blank" in blank.json()["policyid"][0]
    assert api.nccm.post(NCCM, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert api.nccm.get(NCCM, params={"items_per_page": 1, "page": 1}).json() == []  # nothing stored


def test_policyid_and_organization_are_unique_together(api):
    api.new_config("p1", "acme")
    api.new_config("p1", "other")  # same policyid, other organization: fine
    dup = api.nccm.post(NCCM, json={"policyid": "p1", "organization": "acme"})
    assert dup.status_code == 400 and "p1" in dup.json()["error"] and "acme" in dup.json()["error"]
    second = api.new_config("p2", "acme")
    clash = api.nccm.put(f"{NCCM}{second['id']}/", json={"policyid": "p1", "organization": "acme"})
    assert clash.status_code == 400


def test_list_pagination_sort_and_reverse(api):
    for i in range(7):
        api.new_config(f"p{i}", name=f"n{6 - i}")
    page = lambda **p: api.nccm.get(NCCM, params={"items_per_page": 3, **p}).json()  # noqa: E731
    assert [p["policyid"] for p in page(page=1)] == ["p0", "p1", "p2"]  # creation order by default
    assert [p["policyid"] for p in page(page=3)] == ["p6"]
    assert page(page=4) == []  # past the end: empty, not an error
    newest = page(page=1, sort="creationtime", reverse="true")
    assert [p["policyid"] for p in newest] == ["p6", "p5", "p4"]
    by_name = page(page=1, sort="name")
    assert [p["name"] for p in by_name] == ["n0", "n1", "n2"]
    assert api.nccm.get(NCCM, params={"page": 1}).status_code == 400  # items_per_page is required
    assert api.nccm.get(NCCM, params={"items_per_page": 0, "page": 1}).status_code == 400
    assert api.nccm.get(NCCM, params={"items_per_page": 1, "page": 1, "sort": "nope"}).status_code == 400


def test_envelope_list_shape(api):
    for i in range(3):
        api.new_config(f"p{i}")
    api.server.admin.set_config(nccm_list="envelope")
    body = api.nccm.get(NCCM, params={"items_per_page": 2, "page": 1}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and "page=2" in body["next"]
    assert body["previous"] is None


def test_bulk_operation_creates_and_replaces_all_or_nothing(api):
    existing = api.new_config("p1", description="old")
    r = api.nccm.post(f"{NCCM}bulk-opration/", json=[
        {"id": existing["id"], "policyid": "p1", "organization": "acme", "description": "new"},
        {"policyid": "p2", "organization": "acme"}])
    assert r.status_code == 200
    assert [p["description"] for p in r.json()] == ["new", ""]
    bad = api.nccm.post(f"{NCCM}bulk-opration/", json=[{"policyid": "p3", "organization": "acme"},
                                                        {"policyid": "p1", "organization": "acme"}])  # dup
    assert bad.status_code == 400
    listed = api.nccm.get(NCCM, params={"items_per_page": 10, "page": 1}).json()
    assert sorted(p["policyid"] for p in listed) == ["p1", "p2"]  # p3 rolled back with the failure
    single = api.nccm.post(f"{NCCM}bulk-opration/", json={"policyid": "p4", "organization": "acme"})
    assert single.status_code == 200 and single.json()["policyid"] == "p4"


def test_multi_delete(api):
    ids = [api.new_config(f"p{i}")["id"] for i in range(3)]
    missing = api.nccm.post(f"{NCCM}multi-delete/", json={"ids": [ids[0], "0" * 24]})
    assert missing.status_code == 404  # all or nothing
    r = api.nccm.post(f"{NCCM}multi-delete/", json={"ids": ids[:2]})
    assert r.status_code == 200 and sorted(p["id"] for p in r.json()) == sorted(ids[:2])
    one = api.nccm.post(f"{NCCM}multi-delete/", json={"id": ids[2]})
    assert one.status_code == 200 and one.json()["id"] == ids[2]
    assert api.nccm.get(NCCM, params={"items_per_page": 10, "page": 1}).json() == []
    assert api.nccm.post(f"{NCCM}multi-delete/", json={"nothing": 1}).status_code == 400
    # the document's example body is a policy without an id: it names the policy by its natural key
    api.new_config("p9", "o1")
    assert api.nccm.post(f"{NCCM}multi-delete/", json={"policyid": "p9", "organization": "o2"}).status_code == 404
    by_key = api.nccm.post(f"{NCCM}multi-delete/", json={"policyid": "p9", "organization": "o1", "name": "x"})
    assert by_key.status_code == 200 and by_key.json()["policyid"] == "p9"
    assert api.nccm.get(NCCM, params={"items_per_page": 10, "page": 1}).json() == []


def test_options(api):
    r = api.nccm.get(f"{NCCM}options/")
    assert r.status_code == 200
    assert r.json()["processid"] == 1 and "policy_schedule" in r.json()

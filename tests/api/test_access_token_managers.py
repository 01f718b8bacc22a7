"""Admin API: reference access token managers, their descriptor, defaults and rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REFERENCE, Admin

JWT = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"

FIELD_ORDER = [
    ("Token Length", "28"),
    ("Token Lifetime", "120"),
    ("Lifetime Extension Policy", "NONE"),
    ("Maximum Token Lifetime", ""),
    ("Lifetime Extension Threshold Percentage", "30"),
    ("Mode for Synchronous RPC", "3"),
    ("RPC Timeout", "500"),
    ("Expand Scope Groups", "false"),
]


def _fields(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["name"], f["value"]) for f in doc["configuration"]["fields"]]


def _paths(response: Any) -> list[str]:
    return [e.get("fieldPath", "") for e in response.json()["validationErrors"]]


async def test_empty_configuration_comes_back_with_all_eight_defaults_in_order(admin: Admin) -> None:
    created = await admin.ok("POST", "/oauth/accessTokenManagers", {
        "id": "ref", "name": "Reference", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {}})
    assert _fields(created) == FIELD_ORDER
    fetched = await admin.ok("GET", "/oauth/accessTokenManagers/ref")
    assert _fields(fetched) == FIELD_ORDER
    assert fetched["configuration"]["tables"] == []
    assert all(isinstance(v, str) for _, v in _fields(fetched))
    assert fetched["pluginDescriptorRef"]["location"].endswith(f"/oauth/accessTokenManagers/descriptors/{REFERENCE}")
    assert fetched["attributeContract"]["coreAttributes"] == []
    assert fetched["selectionSettings"] == {"resourceUris": [], "inherited": False}
    assert fetched["accessControlSettings"]["restrictClients"] is False
    assert fetched["sequenceNumber"] == 1
    listing = await admin.ok("GET", "/oauth/accessTokenManagers")
    assert [i["id"] for i in listing["items"]] == ["ref"]


async def test_descriptor_lists_fields_with_defaults(admin: Admin) -> None:
    listing = await admin.ok("GET", "/oauth/accessTokenManagers/descriptors")
    assert [d["id"] for d in listing["items"]] == [REFERENCE, JWT]
    descriptor = await admin.ok("GET", f"/oauth/accessTokenManagers/descriptors/{REFERENCE}")
    fields = descriptor["configDescriptor"]["fields"]
    assert [(f["name"], f["defaultValue"]) for f in fields] == FIELD_ORDER
    policy = next(f for f in fields if f["name"] == "Lifetime Extension Policy")
    assert {o["value"] for o in policy["optionValues"]} == {"NONE", "TRANSIENT", "ALL"}
    missing = await admin.get("/oauth/accessTokenManagers/descriptors/no.such.Plugin")
    assert missing.status_code == 404
    assert missing.json()["resultId"] == "resource_not_found"


@pytest.mark.parametrize(("field", "value"), [
    ("Token Length", "21"),
    ("Token Length", "257"),
    ("Token Length", "twenty"),
    ("Token Lifetime", "0"),
    ("Token Lifetime", "-5"),
    ("Lifetime Extension Threshold Percentage", "101"),
    ("Lifetime Extension Threshold Percentage", "-1"),
    ("Mode for Synchronous RPC", "1"),
    ("RPC Timeout", "0"),
    ("Lifetime Extension Policy", "SOMETIMES"),
    ("Expand Scope Groups", "yes"),
    ("Maximum Token Lifetime", "abc"),
])
async def test_each_rule_gives_422_naming_the_field(admin: Admin, field: str, value: str) -> None:
    response = await admin.post("/oauth/accessTokenManagers", {
        "id": "ref", "name": "Reference", "pluginDescriptorRef": {"id": REFERENCE},
        "configuration": {"fields": [{"name": field, "value": value}]}})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["resultId"] == "validation_error"
    assert f"configuration.fields[{field}]" in _paths(response)
    assert field in body["validationErrors"][0]["message"]
    assert (await admin.get("/oauth/accessTokenManagers/ref")).status_code == 404


async def test_token_length_bounds_are_inclusive(admin: Admin) -> None:
    for length in ("22", "256"):
        created = await admin.reference_atm(f"len{length}", {"Token Length": length})
        assert dict(_fields(created))["Token Length"] == length


async def test_maximum_lifetime_below_lifetime_is_refused(admin: Admin) -> None:
    response = await admin.post("/oauth/accessTokenManagers", {
        "id": "ref", "name": "Reference", "pluginDescriptorRef": {"id": REFERENCE},
        "configuration": {"fields": [{"name": "Token Lifetime", "value": "60"},
                                     {"name": "Maximum Token Lifetime", "value": "59"}]}})
    assert response.status_code == 422
    assert _paths(response) == ["configuration.fields[Maximum Token Lifetime]"]
    ok = await admin.reference_atm("ref", {"Token Lifetime": "60", "Maximum Token Lifetime": "60"})
    assert dict(_fields(ok))["Maximum Token Lifetime"] == "60"


async def test_all_problems_are_reported_at_once(admin: Admin) -> None:
    response = await admin.post("/oauth/accessTokenManagers", {
        "id": "bad id!", "name": "", "pluginDescriptorRef": {"id": REFERENCE},
        "configuration": {"fields": [{"name": "Token Length", "value": "5"},
                                     {"name": "No Such Field", "value": "x"}]}})
    assert response.status_code == 422
    paths = _paths(response)
    for expected in ("id", "name", "configuration.fields[Token Length]", "configuration.fields[No Such Field]"):
        assert expected in paths


async def test_unknown_plugin_type_and_duplicate_id(admin: Admin) -> None:
    response = await admin.post("/oauth/accessTokenManagers", {
        "id": "x", "name": "X", "pluginDescriptorRef": {"id": "com.example.Nope"}, "configuration": {}})
    assert response.status_code == 422
    assert _paths(response) == ["pluginDescriptorRef.id"]
    await admin.reference_atm("ref")
    again = await admin.post("/oauth/accessTokenManagers", {
        "id": "ref", "name": "X", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {}})
    assert again.status_code == 422
    assert again.json()["validationErrors"][0]["errorId"] == "duplicate_id"


async def test_update_keeps_sequence_number_and_refuses_type_change(admin: Admin) -> None:
    await admin.reference_atm("one")
    second = await admin.reference_atm("two")
    assert second["sequenceNumber"] == 2
    second["configuration"] = {"fields": [{"name": "Token Lifetime", "value": "30"}]}
    updated = await admin.ok("PUT", "/oauth/accessTokenManagers/two", second)
    assert dict(_fields(updated))["Token Lifetime"] == "30"
    assert dict(_fields(updated))["Token Length"] == "28"
    assert updated["sequenceNumber"] == 2
    second["pluginDescriptorRef"] = {"id": "com.example.Other"}
    refused = await admin.put("/oauth/accessTokenManagers/two", second)
    assert refused.status_code == 422
    missing = await admin.put("/oauth/accessTokenManagers/nope", {**second, "id": "nope"})
    assert missing.status_code == 404


async def test_get_body_round_trips_as_put(admin: Admin) -> None:
    created = await admin.reference_atm("ref", {"Token Length": "40"}, attributes=("username",))
    again = await admin.ok("PUT", "/oauth/accessTokenManagers/ref", created)
    assert again["configuration"] == created["configuration"]
    assert again["attributeContract"] == created["attributeContract"]


async def test_first_manager_becomes_default_and_settings_validate(admin: Admin) -> None:
    assert await admin.ok("GET", "/oauth/accessTokenManagers/settings") == {}
    await admin.reference_atm("first")
    await admin.reference_atm("second")
    settings = await admin.ok("GET", "/oauth/accessTokenManagers/settings")
    assert settings["defaultAccessTokenManagerRef"]["id"] == "first"
    changed = await admin.ok("PUT", "/oauth/accessTokenManagers/settings",
                             {"defaultAccessTokenManagerRef": {"id": "second"}})
    assert changed["defaultAccessTokenManagerRef"]["id"] == "second"
    bad = await admin.put("/oauth/accessTokenManagers/settings", {"defaultAccessTokenManagerRef": {"id": "zz"}})
    assert bad.status_code == 422
    assert _paths(bad) == ["defaultAccessTokenManagerRef.id"]


async def test_delete_refused_while_used_by_client_mapping_or_setting(admin: Admin) -> None:
    await admin.reference_atm("main")
    await admin.reference_atm("spare", attributes=("who",))
    await admin.client_app("c1", defaultAccessTokenManagerRef={"id": "spare"})
    await admin.mapping("CLIENT_CREDENTIALS", "spare", {"who": ("CONTEXT", "ClientId")})
    refused = await admin.delete("/oauth/accessTokenManagers/spare")
    assert refused.status_code == 422
    messages = " ".join(e["message"] for e in refused.json()["validationErrors"])
    assert "'c1'" in messages and "client_credentials|spare" in messages
    as_default = await admin.delete("/oauth/accessTokenManagers/main")
    assert as_default.status_code == 422
    assert "default" in as_default.json()["validationErrors"][0]["message"]
    # nothing was removed by the refused deletes
    assert (await admin.get("/oauth/accessTokenManagers/spare")).status_code == 200
    await admin.ok("DELETE", "/oauth/accessTokenMappings/client_credentials|spare")
    await admin.ok("PUT", "/oauth/clients/c1", {"clientId": "c1", "name": "c1",
                                                 "grantTypes": ["CLIENT_CREDENTIALS"]})
    await admin.ok("DELETE", "/oauth/accessTokenManagers/spare")
    assert (await admin.get("/oauth/accessTokenManagers/spare")).status_code == 404
    # the only manager may be deleted although it is the default; the setting is cleared
    await admin.ok("DELETE", "/oauth/accessTokenManagers/main")
    assert await admin.ok("GET", "/oauth/accessTokenManagers/settings") == {}


async def test_resource_uris_and_allowed_clients_are_checked(admin: Admin) -> None:
    await admin.reference_atm("a", selectionSettings={"resourceUris": ["https://api.example.com/a"]})
    clash = await admin.post("/oauth/accessTokenManagers", {
        "id": "b", "name": "B", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
        "selectionSettings": {"resourceUris": ["https://api.example.com/a", "not-a-uri"]},
        "accessControlSettings": {"restrictClients": True, "allowedClients": [{"id": "ghost"}]}})
    assert clash.status_code == 422
    assert set(_paths(clash)) == {"selectionSettings.resourceUris[0]", "selectionSettings.resourceUris[1]",
                                  "accessControlSettings.allowedClients[0].id"}

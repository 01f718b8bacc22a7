"""Admin API: access token mappings and authorization server settings (scopes and groups)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Admin, Runtime

APP = ("app", "app-secret-0123456789")


def _paths(response: Any) -> set[str]:
    return {e["fieldPath"] for e in response.json()["validationErrors"]}


async def test_mapping_ids_listing_and_validation(admin: Admin) -> None:
    await admin.reference_atm("ref", attributes=("a", "b"))
    created = await admin.mapping("DEFAULT", "ref", {"a": ("TEXT", "x"), "b": ("NO_MAPPING", "")})
    assert created["id"] == "default|ref"
    assert created["accessTokenManagerRef"]["location"].endswith("/oauth/accessTokenManagers/ref")
    listing = await admin.ok("GET", "/oauth/accessTokenMappings")
    assert isinstance(listing, list) and [m["id"] for m in listing] == ["default|ref"]
    dup = await admin.post("/oauth/accessTokenMappings", {
        "context": {"type": "DEFAULT"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "TEXT"}, "value": "x"},
                                         "b": {"source": {"type": "TEXT"}, "value": "y"}}})
    assert dup.status_code == 422
    bad = await admin.post("/oauth/accessTokenMappings", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "LDAP_DATA_STORE"}, "value": "cn"},
                                         "zzz": {"source": {"type": "TEXT"}, "value": "y"}},
        "issuanceCriteria": {"expressionCriteria": [{"expression": "true"}]}})
    assert bad.status_code == 422
    assert _paths(bad) == {"attributeContractFulfillment.a.source.type", "attributeContractFulfillment.zzz",
                           "attributeContractFulfillment.b", "issuanceCriteria.expressionCriteria"}
    bad_context = await admin.post("/oauth/accessTokenMappings", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "CONTEXT"}, "value": "Moon"},
                                         "b": {"source": {"type": "OAUTH_PERSISTENT_GRANT"}, "value": "USER_KEY"}}})
    assert _paths(bad_context) == {"attributeContractFulfillment.a.value",
                                   "attributeContractFulfillment.b.source.type"}
    pcv = await admin.post("/oauth/accessTokenMappings", {
        "context": {"type": "PCV", "contextRef": {"id": "ghost"}}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "TEXT"}, "value": "x"},
                                         "b": {"source": {"type": "TEXT"}, "value": "y"}}})
    assert _paths(pcv) == {"context.contextRef.id"}


async def test_mapping_update_and_delete(admin: Admin) -> None:
    await admin.reference_atm("ref", attributes=("a",))
    await admin.mapping("DEFAULT", "ref", {"a": ("TEXT", "x")})
    updated = await admin.ok("PUT", "/oauth/accessTokenMappings/default|ref", {
        "context": {"type": "DEFAULT"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "TEXT"}, "value": "changed"}}})
    assert updated["attributeContractFulfillment"]["a"]["value"] == "changed"
    moved = await admin.put("/oauth/accessTokenMappings/default|ref", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"a": {"source": {"type": "TEXT"}, "value": "x"}}})
    assert moved.status_code == 422
    assert (await admin.get("/oauth/accessTokenMappings/nope|ref")).status_code == 404
    await admin.ok("DELETE", "/oauth/accessTokenMappings/default|ref")
    assert await admin.ok("GET", "/oauth/accessTokenMappings") == []


async def test_default_mapping_applies_when_no_context_mapping(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("ref", attributes=("src",))
    await admin.mapping("DEFAULT", "ref", {"src": ("TEXT", "default")})
    await admin.client_app()
    token = (await runtime.access_token())["access_token"]
    assert (await runtime.introspect(token))["src"] == "default"
    await admin.mapping("CLIENT_CREDENTIALS", "ref", {"src": ("TEXT", "cc")})
    token = (await runtime.access_token())["access_token"]
    assert (await runtime.introspect(token))["src"] == "cc"


async def test_issuance_criteria_and_multivalued_attributes(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("ref", attributeContract={"extendedAttributes": [
        {"name": "scopes", "multiValued": True}, {"name": "cid"}]})
    await admin.scopes(common=("read", "write"))
    await admin.ok("POST", "/oauth/accessTokenMappings", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"scopes": {"source": {"type": "CONTEXT"}, "value": "OAuthScopes"},
                                         "cid": {"source": {"type": "CONTEXT"}, "value": "ClientId"}},
        "issuanceCriteria": {"conditionalCriteria": [
            {"source": {"type": "CONTEXT"}, "attributeName": "ClientId", "condition": "NOT_EQUAL",
             "value": "blocked", "errorResult": "client blocked"}]}})
    await admin.client_app()
    await admin.client_app("blocked", "blocked-secret-00000")
    token = (await runtime.access_token(scope="read write"))["access_token"]
    info = await runtime.introspect(token)
    assert info["scopes"] == ["read", "write"] and info["cid"] == "app"
    denied = await runtime.token({"grant_type": "client_credentials"}, ("blocked", "blocked-secret-00000"))
    assert denied.status_code == 400
    assert denied.json() == {"error": "access_denied", "error_description": "client blocked"}


async def test_settings_defaults_and_validation(admin: Admin) -> None:
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    assert settings["refreshTokenLength"] == 42 and settings["scopes"] == []
    bad = await admin.put("/oauth/authServerSettings", {
        "authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
        "refreshTokenLength": 10,
        "scopes": [{"name": "read", "description": ""}, {"name": "read", "description": ""},
                   {"name": "bad scope", "description": ""}],
        "scopeGroups": [{"name": "g", "description": "", "scopes": ["missing"]},
                        {"name": "empty", "description": "", "scopes": []}]})
    assert bad.status_code == 422
    assert _paths(bad) == {"refreshTokenLength", "scopes[1].name", "scopes[2].name", "scopeGroups[0].scopes",
                           "scopeGroups[1].scopes"}
    missing = await admin.put("/oauth/authServerSettings", {"scopes": []})
    assert missing.status_code == 422 and "refreshTokenLength" in _paths(missing)


async def test_scope_sub_resources(admin: Admin) -> None:
    await admin.ok("POST", "/oauth/authServerSettings/scopes/commonScopes", {"name": "read", "description": "R"})
    await admin.ok("POST", "/oauth/authServerSettings/scopes/commonScopes", {"name": "write", "description": "W"})
    await admin.ok("POST", "/oauth/authServerSettings/scopes/exclusiveScopes", {"name": "admin", "description": "A"})
    group = await admin.ok("POST", "/oauth/authServerSettings/scopes/commonScopeGroups",
                           {"name": "rw", "description": "both", "scopes": ["read", "write"]})
    assert group["scopes"] == ["read", "write"]
    listing = await admin.ok("GET", "/oauth/authServerSettings/scopes/commonScopes?sortOrder=DESC")
    assert [s["name"] for s in listing["items"]] == ["write", "read"] and listing["totalItems"] == 2
    filtered = await admin.ok("GET", "/oauth/authServerSettings/scopes/commonScopes?filter=wri")
    assert [s["name"] for s in filtered["items"]] == ["write"]
    updated = await admin.ok("PUT", "/oauth/authServerSettings/scopes/commonScopes/read",
                             {"name": "read", "description": "Read things"})
    assert updated["description"] == "Read things"
    clash = await admin.post("/oauth/authServerSettings/scopes/exclusiveScopes", {"name": "read", "description": ""})
    assert clash.status_code == 422
    in_group = await admin.delete("/oauth/authServerSettings/scopes/commonScopes/read")
    assert in_group.status_code == 422 and in_group.json()["validationErrors"][0]["errorId"] == "resource_in_use"
    await admin.ok("DELETE", "/oauth/authServerSettings/scopes/commonScopeGroups/rw")
    await admin.ok("DELETE", "/oauth/authServerSettings/scopes/commonScopes/read")
    assert (await admin.get("/oauth/authServerSettings/scopes/commonScopes/read")).status_code == 404
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    assert [s["name"] for s in settings["scopes"]] == ["write"]


async def test_scopes_used_by_clients_cannot_disappear(admin: Admin) -> None:
    await admin.scopes(common=("read",), exclusive=("admin",))
    await admin.client_app(restrictScopes=True, restrictedScopes=["read"], exclusiveScopes=["admin"])
    refused = await admin.delete("/oauth/authServerSettings/scopes/exclusiveScopes/admin")
    assert refused.status_code == 422
    assert "'app'" in refused.json()["validationErrors"][0]["message"]

"""Runtime: the password grant against the simple credential validator, refresh tokens and grants."""

from __future__ import annotations

import pytest

from tests.conftest import SIMPLE_PCV, Admin, Runtime

APP = ("app", "app-secret-0123456789")


def _users(*pairs: tuple[str, str]) -> dict[str, object]:
    return {"tables": [{"name": "Users", "rows": [
        {"fields": [{"name": "Username", "value": u}, {"name": "Password", "value": p},
                    {"name": "Confirm Password", "value": p}]} for u, p in pairs]}]}


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await admin.reference_atm("ref", attributes=("user", "via"))
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": _users(("alice", "alice-password-1"), ("bob", "bob-password-22"))})
    await admin.mapping("PCV", "ref", {"user": ("PASSWORD_CREDENTIAL_VALIDATOR", "username"),
                                       "via": ("CONTEXT", "GrantType")}, context_ref="simple")
    await admin.scopes(common=("read", "write"))
    await admin.client_app(grants=("RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN", "ACCESS_TOKEN_VALIDATION"))
    return admin


async def _password(runtime: Runtime, user: str, password: str, **extra: str) -> dict[str, object]:
    response = await runtime.token({"grant_type": "password", "username": user, "password": password, **extra},
                                   APP)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_password_grant_issues_persistent_grant(configured: Admin, runtime: Runtime) -> None:
    issued = await _password(runtime, "alice", "alice-password-1", scope="read write")
    assert isinstance(issued["refresh_token"], str) and len(issued["refresh_token"]) == 42
    info = await runtime.introspect(str(issued["access_token"]))
    assert info["active"] and info["user"] == "alice" and info["via"] == "password"
    assert await runtime.introspect(str(issued["refresh_token"]), token_type_hint="refresh_token") == {
        "active": True}


async def test_wrong_credentials(configured: Admin, runtime: Runtime) -> None:
    for user, password in (("alice", "nope"), ("mallory", "alice-password-1")):
        response = await runtime.token({"grant_type": "password", "username": user, "password": password}, APP)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    missing = await runtime.token({"grant_type": "password", "username": "alice"}, APP)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_refresh_issues_new_access_tokens_and_narrows_scope(configured: Admin, runtime: Runtime) -> None:
    issued = await _password(runtime, "bob", "bob-password-22", scope="read write")
    refreshed = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"]),
                                     "scope": "read"}, APP)
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["scope"] == "read" and body["access_token"] != issued["access_token"]
    assert body["refresh_token"] == issued["refresh_token"]  # not rolled by default
    info = await runtime.introspect(body["access_token"])
    assert info["user"] == "bob"
    wider = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"]),
                                 "scope": "read admin"}, APP)
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    bogus = await runtime.token({"grant_type": "refresh_token", "refresh_token": "bogus"}, APP)
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"


async def test_rolling_refresh_tokens(configured: Admin, runtime: Runtime) -> None:
    client = await configured.ok("GET", "/oauth/clients/app")
    client["refreshRolling"] = "ROLL"
    await configured.ok("PUT", "/oauth/clients/app", client)
    issued = await _password(runtime, "alice", "alice-password-1")
    first = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])}, APP)
    rolled = first.json()["refresh_token"]
    assert rolled != issued["refresh_token"]
    replay = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])}, APP)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    again = await runtime.token({"grant_type": "refresh_token", "refresh_token": rolled}, APP)
    assert again.status_code == 200


async def test_revoking_the_refresh_token_revokes_the_grant_and_its_tokens(configured: Admin,
                                                                           runtime: Runtime) -> None:
    issued = await _password(runtime, "alice", "alice-password-1")
    refresh = str(issued["refresh_token"])
    second = (await runtime.token({"grant_type": "refresh_token", "refresh_token": refresh}, APP)).json()
    other = await _password(runtime, "bob", "bob-password-22")
    assert (await runtime.revoke(refresh, token_type_hint="refresh_token")).status_code == 200
    for token in (issued["access_token"], second["access_token"]):
        assert await runtime.introspect(str(token)) == {"active": False}
    assert await runtime.introspect(refresh, token_type_hint="refresh_token") == {"active": False}
    refused = await runtime.token({"grant_type": "refresh_token", "refresh_token": refresh}, APP)
    assert refused.status_code == 400
    assert (await runtime.introspect(str(other["access_token"])))["active"] is True


async def test_revoking_an_access_token_leaves_the_grant(configured: Admin, runtime: Runtime) -> None:
    issued = await _password(runtime, "alice", "alice-password-1")
    await runtime.revoke(str(issued["access_token"]))
    refreshed = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])},
                                    APP)
    assert refreshed.status_code == 200


async def test_without_refresh_grant_type_tokens_are_transient(configured: Admin, runtime: Runtime) -> None:
    await configured.client_app("nor", "nor-secret-000000000",
                                grants=("RESOURCE_OWNER_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"))
    response = await runtime.token({"grant_type": "password", "username": "alice",
                                    "password": "alice-password-1"}, ("nor", "nor-secret-000000000"))
    assert response.status_code == 200 and "refresh_token" not in response.json()


async def test_persistent_grant_lifetime_expires_refresh(configured: Admin, runtime: Runtime, clock: object) -> None:
    settings = await configured.ok("GET", "/oauth/authServerSettings")
    settings.update(persistentGrantLifetime=1, persistentGrantLifetimeUnit="HOURS")
    await configured.ok("PUT", "/oauth/authServerSettings", settings)
    issued = await _password(runtime, "alice", "alice-password-1")
    clock.advance(3601)  # type: ignore[attr-defined]
    expired = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])},
                                  APP)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


async def test_validator_admin_rules(admin: Admin) -> None:
    mismatch = await admin.post("/passwordCredentialValidators", {
        "id": "simple", "name": "S", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": {"tables": [{"name": "Users", "rows": [
            {"fields": [{"name": "Username", "value": "a"}, {"name": "Password", "value": "password-one"},
                        {"name": "Confirm Password", "value": "password-two"}]},
            {"fields": [{"name": "Username", "value": "b"}, {"name": "Password", "value": "short"},
                        {"name": "Confirm Password", "value": "short"}]},
            {"fields": [{"name": "Username", "value": "a"}, {"name": "Password", "value": "password-one"},
                        {"name": "Confirm Password", "value": "password-one"}]}]}]}})
    assert mismatch.status_code == 422
    paths = {e["fieldPath"] for e in mismatch.json()["validationErrors"]}
    assert paths == {"configuration.tables[Users].rows[0].fields[Confirm Password]",
                     "configuration.tables[Users].rows[1].fields[Password]",
                     "configuration.tables[Users].rows[2].fields[Username]"}
    created = await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "S", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": _users(("carol", "carol-password"))})
    row = created["configuration"]["tables"][0]["rows"][0]["fields"]
    password = next(f for f in row if f["name"] == "Password")
    assert "value" not in password and password["encryptedValue"].startswith("$argon2")
    assert "carol-password" not in str(created)
    again = await admin.ok("PUT", "/passwordCredentialValidators/simple", created)  # hash passed back unchanged
    assert again["configuration"] == created["configuration"]
    descriptors = await admin.ok("GET", "/passwordCredentialValidators/descriptors")
    assert [d["id"] for d in descriptors["items"]][:1] == [SIMPLE_PCV]  # bundled first, then add-ons


async def test_validator_in_use_cannot_be_deleted(configured: Admin) -> None:
    refused = await configured.delete("/passwordCredentialValidators/simple")
    assert refused.status_code == 422
    assert "simple|ref" in refused.json()["validationErrors"][0]["message"]


async def test_refresh_rechecks_manager_and_scope_rules(configured: Admin, runtime: Runtime) -> None:
    issued = await _password(runtime, "alice", "alice-password-1", scope="read write")
    client = await configured.ok("GET", "/oauth/clients/app")
    client.update(restrictScopes=True, restrictedScopes=["read"])
    await configured.ok("PUT", "/oauth/clients/app", client)
    narrowed = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])},
                                   APP)
    assert narrowed.status_code == 400 and narrowed.json()["error"] == "invalid_scope"
    ok = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"]),
                              "scope": "read"}, APP)
    assert ok.status_code == 200
    await configured.client_app("other", "other-secret-000000")
    atm = await configured.ok("GET", "/oauth/accessTokenManagers/ref")
    atm["accessControlSettings"] = {"restrictClients": True, "allowedClients": [{"id": "other"}]}
    await configured.ok("PUT", "/oauth/accessTokenManagers/ref", atm)
    denied = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(issued["refresh_token"])},
                                 APP)
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"
    assert await runtime.introspect(str(issued["refresh_token"]), token_type_hint="refresh_token") == {
        "active": False}


async def test_reserved_validator_ids(admin: Admin) -> None:
    response = await admin.post("/passwordCredentialValidators", {
        "id": "default", "name": "S", "pluginDescriptorRef": {"id": SIMPLE_PCV}, "configuration": {}})
    assert response.status_code == 422
    assert response.json()["validationErrors"][0]["fieldPath"] == "id"

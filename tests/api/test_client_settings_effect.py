"""Client settings that PingFederate's Terraform provider sends and that change what the endpoints do:
a client's own persistent grant lifetime, the offline_access rules for refresh tokens and consent,
restricted response types, and grant types a client may hold here without effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.authzkit import AUTHZ, REDIRECT, configure, consent, query_of, sign_in
from tests.conftest import SIMPLE_PCV, Admin, Runtime
from tokensmith.clock import FakeClock

APP = ("app", "app-secret-0123456789")
WEB = ("web", "web-secret-0123456789")
USERS = {"tables": [{"name": "Users", "rows": [{"fields": [
    {"name": "Username", "value": "alice"}, {"name": "Password", "value": "alice-password-1"},
    {"name": "Confirm Password", "value": "alice-password-1"}]}]}]}


@pytest.fixture
async def password_app(admin: Admin) -> Admin:
    await admin.reference_atm("ref", attributes=("user",))
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV}, "configuration": USERS})
    await admin.mapping("PCV", "ref", {"user": ("PASSWORD_CREDENTIAL_VALIDATOR", "username")}, context_ref="simple")
    await admin.scopes(common=("read", "offline_access"))
    return admin


async def _password(runtime: Runtime, auth: tuple[str, str] = APP, **extra: str) -> dict[str, object]:
    response = await runtime.token({"grant_type": "password", "username": "alice", "password": "alice-password-1",
                                    **extra}, auth)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _refresh(runtime: Runtime, token: object, auth: tuple[str, str] = APP) -> int:
    response = await runtime.token({"grant_type": "refresh_token", "refresh_token": str(token)}, auth)
    return response.status_code


async def test_a_clients_own_grant_lifetime_wins_over_the_servers(password_app: Admin, runtime: Runtime,
                                                                  clock: FakeClock) -> None:
    grants = ("RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN")
    await password_app.client_app(grants=grants, persistentGrantExpirationType="OVERRIDE_SERVER_DEFAULT",
                                  persistentGrantExpirationTime=2, persistentGrantExpirationTimeUnit="HOURS")
    await password_app.client_app("forever", "forever-secret-000000", grants=grants,
                                  persistentGrantExpirationType="INDEFINITE_EXPIRY")
    settings = await password_app.ok("GET", "/oauth/authServerSettings")
    await password_app.ok("PUT", "/oauth/authServerSettings", {**settings, "persistentGrantLifetime": 1,
                                                               "persistentGrantLifetimeUnit": "HOURS"})
    mine = await _password(runtime)
    forever = await _password(runtime, ("forever", "forever-secret-000000"))
    clock.advance(3 * 3600 - 60)  # 2 h 59 min: past the client's two hours
    assert await _refresh(runtime, mine["refresh_token"]) == 400
    assert await _refresh(runtime, forever["refresh_token"], ("forever", "forever-secret-000000")) == 200
    fresh = await _password(runtime)
    clock.advance(90 * 60)  # 1.5 h: past the server's lifetime, within the client's
    assert await _refresh(runtime, fresh["refresh_token"]) == 200


async def test_an_override_without_a_length_is_refused(admin: Admin) -> None:
    response = await admin.post("/oauth/clients", {
        "clientId": "c", "name": "c", "grantTypes": ["CLIENT_CREDENTIALS"],
        "clientAuth": {"type": "SECRET", "secret": "c-secret-0123456789"},
        "persistentGrantExpirationType": "OVERRIDE_SERVER_DEFAULT", "persistentGrantExpirationTime": 0})
    assert response.status_code == 422
    assert [e["fieldPath"] for e in response.json()["validationErrors"]] == ["persistentGrantExpirationTime"]
    assert (await admin.get("/oauth/clients/c")).status_code == 404


async def test_refresh_tokens_need_offline_access_where_required(password_app: Admin, runtime: Runtime) -> None:
    grants = ("RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN")
    await password_app.client_app(grants=grants)
    await password_app.client_app("always", "always-secret-000000", grants=grants,
                                  requireOfflineAccessScopeToIssueRefreshTokens="NO")
    await password_app.client_app("strict", "strict-secret-000000", grants=grants,
                                  requireOfflineAccessScopeToIssueRefreshTokens="YES")
    assert "refresh_token" in await _password(runtime, scope="read")  # the server does not require it yet
    assert "refresh_token" not in await _password(runtime, ("strict", "strict-secret-000000"), scope="read")
    assert "refresh_token" in await _password(runtime, ("strict", "strict-secret-000000"),
                                              scope="read offline_access")
    settings = await password_app.ok("GET", "/oauth/authServerSettings")
    await password_app.ok("PUT", "/oauth/authServerSettings",
                          {**settings, "requireOfflineAccessScopeToIssueRefreshTokens": True})
    assert "refresh_token" not in await _password(runtime, scope="read")
    assert "refresh_token" in await _password(runtime, scope="read offline_access")
    assert "refresh_token" in await _password(runtime, ("always", "always-secret-000000"), scope="read")


async def test_offline_access_brings_back_the_consent_page(admin: Admin, runtime: Runtime) -> None:
    await configure(admin, bypassApprovalPage=True, offlineAccessRequireConsentPrompt="YES")
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    await admin.ok("PUT", "/oauth/authServerSettings", {**settings, "scopes": [
        *settings["scopes"], {"name": "offline_access", "description": "Stay signed in"}]})
    http = runtime.client
    start = await http.get(AUTHZ, params={"client_id": "web", "response_type": "code", "scope": "read"})
    skipped = await sign_in(http, start)
    assert skipped.status_code == 302 and "code" in query_of(skipped.headers["location"])
    start = await http.get(AUTHZ, params={"client_id": "web", "response_type": "code",
                                          "scope": "read offline_access"})
    page = await sign_in(http, start)
    assert page.status_code == 200 and "offline_access" in page.text  # the consent page, listing the scope
    done = await consent(http, page)
    assert done.status_code == 302 and done.headers["location"].startswith(REDIRECT)


async def test_restricted_response_types_without_code_refuse_the_code_flow(admin: Admin, runtime: Runtime) -> None:
    await configure(admin, restrictedResponseTypes=["token", "id_token"])
    response = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code", "state": "s"})
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "unauthorized_client" and query["state"] == "s"
    bad = await admin.put("/oauth/clients/web", {
        **await admin.ok("GET", "/oauth/clients/web"), "restrictedResponseTypes": ["code", "code_token"]})
    assert bad.status_code == 422
    assert [e["fieldPath"] for e in bad.json()["validationErrors"]] == ["restrictedResponseTypes[1]"]


async def test_grant_types_held_without_effect_and_implicit_refused(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("ref")
    created = await admin.client_app(grants=("CLIENT_CREDENTIALS", "EXTENSION", "CIBA"))
    assert created["grantTypes"] == ["CIBA", "CLIENT_CREDENTIALS", "EXTENSION"]
    assert (await runtime.access_token())["access_token"]
    odd = await runtime.token({"grant_type": "urn:example:custom"}, APP)
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"
    implicit = await admin.post("/oauth/clients", {
        "clientId": "spa", "name": "spa", "grantTypes": ["IMPLICIT"], "clientAuth": {"type": "NONE"},
        "redirectUris": ["https://spa.example/cb"]})
    assert implicit.status_code == 422
    error = implicit.json()["validationErrors"][0]
    assert error["fieldPath"] == "grantTypes" and "RFC 9700" in error["message"]


@pytest.mark.parametrize(("key", "value"), [("requireSignedRequests", True),
                                            ("requireJwtSecuredAuthorizationResponseMode", True)])
async def test_authorization_request_rules_not_implemented_are_refused(admin: Admin, key: str,
                                                                       value: object) -> None:
    response = await admin.post("/oauth/clients", {
        "clientId": "web", "name": "web", "grantTypes": ["AUTHORIZATION_CODE"], "redirectUris": [REDIRECT],
        "clientAuth": {"type": "SECRET", "secret": "web-secret-0123456789"}, key: value})
    assert response.status_code == 422
    error = response.json()["validationErrors"][0]
    assert error["fieldPath"] == key and "cannot be honoured" in error["message"]


async def test_the_providers_complete_client_is_refused_only_for_what_cannot_be_honoured(admin: Admin) -> None:
    # tests/data/replay/client-complete.json round-trips the provider's complete client with these
    # members at their defaults; sent as the provider's acceptance test writes them, each is refused
    # with its reason, and nothing else is.
    fixture = json.loads((Path(__file__).parent.parent / "data" / "replay" / "client-complete.json").read_text())
    for step in fixture["setup"]:
        await admin.ok(step["method"], step["path"], step["body"])
    body = {**fixture["create"]["body"],
            "grantTypes": [*fixture["create"]["body"]["grantTypes"], "IMPLICIT", "DEVICE_CODE"],
            "persistentGrantReuseGrantTypes": ["IMPLICIT"],
            "requireDpop": True, "requireSignedRequests": True, "requireJwtSecuredAuthorizationResponseMode": True,
            "tokenIntrospectionSigningAlgorithm": "RS256", "tokenIntrospectionEncryptionAlgorithm": "A128KW",
            "tokenIntrospectionContentEncryptionAlgorithm": "AES_128_CBC_HMAC_SHA_256",
            "persistentGrantIdleTimeoutType": "OVERRIDE_SERVER_DEFAULT",
            "lockoutMaxMaliciousActions": 500, "lockoutMaxMaliciousActionsType": "OVERRIDE_SERVER_DEFAULT"}
    response = await admin.post("/oauth/clients", body)
    assert response.status_code == 422
    errors = response.json()["validationErrors"]
    assert {e["fieldPath"] for e in errors} == {
        "grantTypes", "requireDpop", "requireSignedRequests", "requireJwtSecuredAuthorizationResponseMode",
        "tokenIntrospectionSigningAlgorithm", "tokenIntrospectionEncryptionAlgorithm",
        "tokenIntrospectionContentEncryptionAlgorithm", "persistentGrantIdleTimeoutType",
        "lockoutMaxMaliciousActionsType"}
    assert any("IMPLICIT" in e["message"] and "RFC 9700" in e["message"] for e in errors)
    assert all("unknown" not in e["message"].lower() for e in errors)
    assert (await admin.get("/oauth/clients/tf-complete")).status_code == 404

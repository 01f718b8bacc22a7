"""PingFederate's grant management web services over real grants: the administrators' service
(HTTP Basic checked by ``adminWebServicePcvRef``) by client and by user, and the runtime API for a
client acting for its user (a bearer token of ``atmIdForOAuthGrantManagement`` with
``scopeForOAuthGrantManagement``). Revoking a grant revokes its tokens; bad calls get clear errors."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.authzkit import RS, code_for, configure, pkce, users
from tests.conftest import RUNTIME_BASE, SIMPLE_PCV, Admin, Runtime
from tokensmith.clock import FakeClock

WS = RUNTIME_BASE + "/pf-ws/rest/oauth"
XSRF = {"X-XSRF-Header": "PingFederate"}
SERVICE = ("grant-admin", "grant-admin-password-1")
WEB = ("web", "web-secret-0123456789")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await configure(admin)
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "wsusers", "name": "Grant service accounts", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users(SERVICE)})
    await admin.scopes(common=("read", "write", "grants"))
    await admin.client_app("pw", "pw-secret-0123456789", grants=("RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN"))
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    await admin.ok("PUT", "/oauth/authServerSettings", {
        **settings, "adminWebServicePcvRef": {"id": "wsusers"}, "atmIdForOAuthGrantManagement": "ref",
        "scopeForOAuthGrantManagement": "grants"})
    return admin


async def _code_grant(runtime: Runtime, scope: str = "read write") -> dict[str, Any]:
    verifier, challenge = pkce()
    code, _ = await code_for(runtime.client, code_challenge=challenge, code_challenge_method="S256", scope=scope)
    response = await runtime.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier}, WEB)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _password_grant(runtime: Runtime, user: str = "bob", password: str = "bob-password-22",
                          scope: str = "read") -> dict[str, Any]:
    response = await runtime.token({"grant_type": "password", "username": user, "password": password,
                                    "scope": scope}, ("pw", "pw-secret-0123456789"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ws(http: httpx.AsyncClient, method: str, path: str, auth: Any = SERVICE,
        headers: dict[str, str] | None = None) -> Any:
    return http.request(method, WS + path, auth=auth, headers=XSRF if headers is None else headers)


async def test_administrators_list_read_and_revoke_grants_by_user_and_by_client(configured: Admin,
                                                                                runtime: Runtime) -> None:
    http = runtime.client
    first = await _code_grant(runtime)
    await _password_grant(runtime, "alice", "alice-password-1", "read")
    await _password_grant(runtime)  # bob's
    listing = await _ws(http, "GET", "/users/alice/grants")
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert sorted((g["clientId"], g["grantType"], g["scopes"]) for g in items) == [
        ("pw", "RESOURCE_OWNER_CREDENTIALS", ["read"]), ("web", "AUTHORIZATION_CODE", ["read", "write"])]
    grant = next(g for g in items if g["clientId"] == "web")
    assert grant["userKey"] == "alice" and ISO.match(grant["issued"]) and grant["updated"] == grant["issued"]
    assert "expires" not in grant  # the server's default: grants do not expire
    assert {"name": "user", "values": ["alice"]} in grant["grantAttributes"]
    assert sorted(g["userKey"] for g in (await _ws(http, "GET", "/clients/pw/grants")).json()["items"]) == [
        "alice", "bob"]
    one = await _ws(http, "GET", f"/clients/web/grants/{grant['id']}")
    assert one.status_code == 200 and one.json() == grant
    assert (await _ws(http, "GET", f"/clients/pw/grants/{grant['id']}")).status_code == 404  # not pw's grant
    assert (await _ws(http, "GET", f"/users/bob/grants/{grant['id']}")).status_code == 404  # nor bob's
    revoked = await _ws(http, "DELETE", f"/users/alice/grants/{grant['id']}")
    assert revoked.status_code == 204
    assert (await runtime.introspect(first["access_token"], auth=RS))["active"] is False
    again = await runtime.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, WEB)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await _ws(http, "GET", f"/users/alice/grants/{grant['id']}")).status_code == 404
    assert (await _ws(http, "DELETE", "/clients/pw/grants")).status_code == 204  # every grant of the client
    assert (await _ws(http, "GET", "/clients/pw/grants")).json() == {"items": []}
    assert (await _ws(http, "GET", "/users/nobody/grants")).json() == {"items": []}


async def test_the_administrators_service_refuses_bad_calls_clearly(configured: Admin, runtime: Runtime) -> None:
    http = runtime.client
    await _password_grant(runtime)
    missing = await _ws(http, "GET", "/users/bob/grants", headers={})
    assert missing.status_code == 403 and "X-XSRF-Header" in missing.json()["error_description"]
    anonymous = await _ws(http, "GET", "/users/bob/grants", auth=None)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
    wrong = await _ws(http, "GET", "/users/bob/grants", auth=(SERVICE[0], "not-the-password"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # a user of another validator (alice signs in to applications) is not a service account
    assert (await _ws(http, "GET", "/users/bob/grants", auth=("alice", "alice-password-1"))).status_code == 401
    assert (await _ws(http, "POST", "/users/bob/grants")).status_code == 405
    for path in ("/users//grants", "/users/bob", "/users/bob/grants/x/y", "/whatever"):
        assert (await _ws(http, "GET", path)).status_code == 404, path
    assert len((await _ws(http, "GET", "/users/bob/grants")).json()["items"]) == 1  # nothing was changed


async def test_repeated_wrong_service_passwords_lock_the_account(configured: Admin, runtime: Runtime) -> None:
    http = runtime.client
    statuses = [(await _ws(http, "GET", "/users/bob/grants", auth=(SERVICE[0], f"wrong-{i}"))).status_code
                for i in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
    locked = await _ws(http, "GET", "/users/bob/grants")  # even the right password waits now
    assert locked.status_code == 429 and "retry-after" in locked.headers


async def test_without_a_validator_the_administrators_service_is_off(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    off = await _ws(runtime.client, "GET", "/users/alice/grants")
    assert off.status_code == 403 and "adminWebServicePcvRef" in off.json()["error_description"]


async def test_a_client_manages_its_users_grants_with_a_bearer_token(configured: Admin, runtime: Runtime) -> None:
    http = runtime.client
    other = await _code_grant(runtime, "read")
    manager = await _code_grant(runtime, "read grants")
    await _password_grant(runtime)  # bob's: never visible to alice's token
    bearer = {**XSRF, "Authorization": f"Bearer {manager['access_token']}"}
    listing = await http.get(WS + "/grants", headers=bearer)
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert {g["userKey"] for g in items} == {"alice"} and len(items) == 2
    target = next(g for g in items if g["scopes"] == ["read"])
    assert (await http.get(WS + f"/grants/{target['id']}", headers=bearer)).json()["id"] == target["id"]
    assert (await http.delete(WS + f"/grants/{target['id']}", headers=bearer)).status_code == 204
    assert (await runtime.introspect(other["access_token"], auth=RS))["active"] is False
    bobs = (await _ws(http, "GET", "/users/bob/grants")).json()["items"]
    assert (await http.delete(WS + f"/grants/{bobs[0]['id']}", headers=bearer)).status_code == 404
    assert len((await _ws(http, "GET", "/users/bob/grants")).json()["items"]) == 1


async def test_the_runtime_api_answers_per_rfc_6750(configured: Admin, runtime: Runtime, clock: FakeClock) -> None:
    http = runtime.client
    plain = await _code_grant(runtime, "read")  # no grant management scope
    manager = await _code_grant(runtime, "grants")
    none = await http.get(WS + "/grants", headers=XSRF)
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    bad = await http.get(WS + "/grants", headers={**XSRF, "Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
    scope = await http.get(WS + "/grants", headers={**XSRF, "Authorization": f"Bearer {plain['access_token']}"})
    assert scope.status_code == 403 and 'error="insufficient_scope"' in scope.headers["www-authenticate"]
    no_xsrf = await http.get(WS + "/grants", headers={"Authorization": f"Bearer {manager['access_token']}"})
    assert no_xsrf.status_code == 403
    clock.advance(3 * 3600)  # the access token has expired
    expired = await http.get(WS + "/grants", headers={**XSRF, "Authorization": f"Bearer {manager['access_token']}"})
    assert expired.status_code == 401


async def test_the_validator_named_for_the_service_cannot_be_deleted_or_missing(configured: Admin) -> None:
    refused = await configured.delete("/passwordCredentialValidators/wsusers")
    assert refused.status_code == 422 and "adminWebServicePcvRef" in refused.text
    settings = await configured.ok("GET", "/oauth/authServerSettings")
    missing = await configured.put("/oauth/authServerSettings", {**settings, "adminWebServicePcvRef": {"id": "no"}})
    assert missing.status_code == 422
    assert missing.json()["validationErrors"][0]["fieldPath"] == "adminWebServicePcvRef.id"

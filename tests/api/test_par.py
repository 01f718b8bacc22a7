"""Pushed authorization requests (RFC 9126): what a client pushing to /as/par.oauth2 and a user's
browser sent on with the reference see, and the settings that govern it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.authzkit import AUTHZ, REDIRECT, RS, configure, consent, pkce, query_of, sign_in
from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tokensmith.clock import FakeClock

PAR = "/as/par.oauth2"
WEB = ("web", "web-secret-0123456789")
PREFIX = "urn:ietf:params:oauth:request_uri:"
META = RUNTIME_BASE + "/.well-known/oauth-authorization-server"


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await configure(admin)
    return admin


async def _push(runtime: Runtime, auth: tuple[str, str] | None = WEB, **params: str) -> httpx.Response:
    return await runtime.post(PAR, {"response_type": "code", **params}, auth)


async def _pushed_uri(runtime: Runtime, **params: str) -> str:
    response = await _push(runtime, **params)
    assert response.status_code == 201, response.text
    uri: str = response.json()["request_uri"]
    return uri


def _page(response: httpx.Response) -> None:
    """The error page: the user is told, nothing is sent to any redirect URI."""
    assert response.status_code == 400, response.text
    assert "location" not in response.headers and response.headers["content-type"].startswith("text/html")


def _error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.headers["cache-control"] == "no-store"


async def test_push_then_authorize_then_redeem(configured: Admin, runtime: Runtime) -> None:
    verifier, challenge = pkce()
    response = await _push(runtime, scope="read write", state="pushed-state", redirect_uri=REDIRECT,
                           code_challenge=challenge, code_challenge_method="S256")
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["expires_in"] == 60 and body["request_uri"].startswith(PREFIX)
    assert len(body["request_uri"]) == len(PREFIX) + 32  # parReferenceLength 24 bytes, base64url
    # what the browser sends beside the reference is ignored: the pushed request counts (RFC 9126 §4)
    start = await runtime.client.get(AUTHZ, params={
        "client_id": "web", "request_uri": body["request_uri"], "scope": "admin", "state": "forged",
        "redirect_uri": "https://evil.example/cb", "response_type": "token"})
    assert start.status_code == 200, start.text
    assert "form-action 'self' https://app.example" in start.headers["content-security-policy"]
    done = await consent(runtime.client, await sign_in(runtime.client, start))
    assert done.status_code == 302 and done.headers["location"].startswith(REDIRECT + "?")
    query = query_of(done.headers["location"])
    assert query["state"] == "pushed-state"
    token = await runtime.token({"grant_type": "authorization_code", "code": query["code"],
                                 "redirect_uri": REDIRECT, "code_verifier": verifier}, WEB)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "read write"
    info = await runtime.introspect(token.json()["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["client_id"] == "web"


async def test_a_public_client_pushes_with_its_client_id(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "spa", "name": "SPA", "grantTypes": ["AUTHORIZATION_CODE"], "redirectUris": [REDIRECT],
        "clientAuth": {"type": "NONE"}, "requireProofKeyForCodeExchange": True})
    _, challenge = pkce()
    uri = await _pushed_uri(runtime, auth=None, client_id="spa", code_challenge=challenge,
                            code_challenge_method="S256")
    page = await runtime.client.get(AUTHZ, params={"client_id": "spa", "request_uri": uri})
    assert page.status_code == 200, page.text
    _error(await _push(runtime, auth=None, client_id="spa"), 400, "invalid_request")  # PKCE still required


async def test_a_request_uri_works_once(configured: Admin, runtime: Runtime) -> None:
    uri = await _pushed_uri(runtime)
    first = await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri})
    assert first.status_code == 200, first.text
    again = await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri})
    _page(again)
    assert "already been used" in again.text


async def test_an_expired_request_uri_is_refused(configured: Admin, runtime: Runtime, clock: FakeClock) -> None:
    uri = await _pushed_uri(runtime)
    clock.advance(61)  # parReferenceTimeout: 60 seconds
    _page(await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri}))


async def test_another_clients_request_uri_is_refused(configured: Admin, runtime: Runtime) -> None:
    await configured.ok("POST", "/oauth/clients", {
        "clientId": "other", "name": "Other", "grantTypes": ["AUTHORIZATION_CODE"], "redirectUris": [REDIRECT],
        "clientAuth": {"type": "SECRET", "secret": "other-secret-0123456789"}})
    uri = await _pushed_uri(runtime)
    stolen = await runtime.client.get(AUTHZ, params={"client_id": "other", "request_uri": uri})
    _page(stolen)
    assert "not issued to this application" in stolen.text
    # presented once, by anyone, a reference is spent
    _page(await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri}))
    _page(await runtime.client.get(AUTHZ, params={"request_uri": await _pushed_uri(runtime)}))  # no client_id
    _page(await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": PREFIX + "made-up"}))


async def test_required_by_the_server_refuses_a_plain_request(configured: Admin, runtime: Runtime) -> None:
    await configured.scopes(common=("read", "write"), parStatus="REQUIRED")
    plain = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code", "state": "s"})
    assert plain.status_code == 302
    query = query_of(plain.headers["location"])
    assert query["error"] == "invalid_request" and query["state"] == "s" and "PAR" in query["error_description"]
    uri = await _pushed_uri(runtime)
    assert (await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri})).status_code == 200
    meta = (await runtime.client.get(META)).json()
    assert meta["require_pushed_authorization_requests"] is True
    assert meta["pushed_authorization_request_endpoint"] == meta["issuer"] + PAR


async def test_required_by_the_client_refuses_a_plain_request(admin: Admin, runtime: Runtime) -> None:
    await configure(admin, requirePushedAuthorizationRequests=True)
    assert (await admin.ok("GET", "/oauth/clients/web"))["requirePushedAuthorizationRequests"] is True
    plain = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code"})
    assert plain.status_code == 302 and query_of(plain.headers["location"])["error"] == "invalid_request"
    uri = await _pushed_uri(runtime)
    assert (await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri})).status_code == 200
    assert (await runtime.client.get(META)).json()["require_pushed_authorization_requests"] is False


async def test_disabled(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    uri = await _pushed_uri(runtime)  # pushed while enabled
    await admin.scopes(common=("read", "write"), parStatus="DISABLED")
    _error(await _push(runtime), 400, "invalid_request")
    meta = (await runtime.client.get(META)).json()
    assert "pushed_authorization_request_endpoint" not in meta
    assert "require_pushed_authorization_requests" not in meta
    _page(await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri}))
    plain = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code"})
    assert plain.status_code == 200
    # a client that requires PAR while the server has it off cannot authorize at all (fails closed)
    await admin.ok("PUT", "/oauth/clients/web", {
        **(await admin.ok("GET", "/oauth/clients/web")), "requirePushedAuthorizationRequests": True})
    refused = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code"})
    assert query_of(refused.headers["location"])["error"] == "invalid_request"


async def test_client_authentication_as_at_the_token_endpoint(configured: Admin, runtime: Runtime) -> None:
    _error(await _push(runtime, auth=("web", "wrong-secret-0123456789")), 401, "invalid_client")
    _error(await _push(runtime, auth=None), 401, "invalid_client")  # nobody named
    _error(await _push(runtime, auth=None, client_id="web"), 401, "invalid_client")  # confidential, no secret
    _error(await _push(runtime, auth=None, client_id="nobody"), 401, "invalid_client")
    posted = await _push(runtime, auth=None, client_id="web", client_secret=WEB[1])  # client_secret_post
    assert posted.status_code == 201, posted.text
    _error(await _push(runtime, client_id="other"), 400, "invalid_request")  # differs from Basic


async def test_request_uri_inside_a_pushed_request_is_refused(configured: Admin, runtime: Runtime) -> None:
    uri = await _pushed_uri(runtime)
    response = await _push(runtime, request_uri=uri)
    _error(response, 400, "invalid_request")
    assert "request_uri" in response.json()["error_description"]


@pytest.mark.parametrize(("params", "error"), [
    ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
    ({"redirect_uri": REDIRECT + "/more"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"response_type": ""}, "invalid_request"),
    ({"scope": "admin"}, "invalid_scope"),
    ({"code_challenge": "short"}, "invalid_request"),
    ({"code_challenge_method": "S256"}, "invalid_request"),
    ({"response_mode": "fragment"}, "invalid_request"),
    ({"state": "s" * 2049}, "invalid_request"),
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
])
async def test_bad_pushed_requests_get_error_json(configured: Admin, runtime: Runtime, params: dict[str, str],
                                                  error: str) -> None:
    _error(await _push(runtime, **params), 400, error)


async def test_wrong_method_body_and_grant(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    got = await runtime.client.get(RUNTIME_BASE + PAR)
    assert got.status_code == 405 and got.headers["allow"] == "POST"
    json_body = await runtime.client.post(RUNTIME_BASE + PAR, json={"response_type": "code"}, auth=WEB)
    _error(json_body, 400, "invalid_request")
    await admin.client_app("cc", "cc-secret-0123456789", grants=("CLIENT_CREDENTIALS",), redirectUris=[REDIRECT])
    _error(await _push(runtime, auth=("cc", "cc-secret-0123456789")), 400, "unauthorized_client")
    form = {"content-type": "application/x-www-form-urlencoded"}
    for body in (b"response_type=code&scope=%ff", b"&".join(b"p%d=x" % i for i in range(65)),
                 b"response_type=code&response_type=code", b"\xff\xfe"):
        response = await runtime.client.post(RUNTIME_BASE + PAR, content=body, headers=form, auth=WEB)
        _error(response, 400, "invalid_request")


async def test_a_pushed_request_is_checked_again_when_used(configured: Admin, runtime: Runtime) -> None:
    uri = await _pushed_uri(runtime, scope="write")
    await configured.scopes(common=("read",))  # 'write' no longer exists
    refused = await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri})
    assert refused.status_code == 302 and query_of(refused.headers["location"])["error"] == "invalid_scope"
    uri = await _pushed_uri(runtime)
    client = await configured.ok("GET", "/oauth/clients/web")
    await configured.ok("PUT", "/oauth/clients/web", {**client, "enabled": False})
    _page(await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": uri}))


async def test_reference_lifetime_and_length_settings_take_effect(configured: Admin, runtime: Runtime,
                                                                  clock: FakeClock) -> None:
    await configured.scopes(common=("read", "write"), parReferenceTimeout=120, parReferenceLength=64)
    settings = await configured.ok("GET", "/oauth/authServerSettings")
    assert (settings["parStatus"], settings["parReferenceTimeout"], settings["parReferenceLength"]) == (
        "ENABLED", 120, 64)
    body = (await _push(runtime)).json()
    assert body["expires_in"] == 120 and len(body["request_uri"]) == len(PREFIX) + 86
    clock.advance(100)
    page = await runtime.client.get(AUTHZ, params={"client_id": "web", "request_uri": body["request_uri"]})
    assert page.status_code == 200, page.text


async def test_defaults_and_metadata(configured: Admin, runtime: Runtime) -> None:
    settings = await configured.ok("GET", "/oauth/authServerSettings")
    assert (settings["parStatus"], settings["parReferenceTimeout"], settings["parReferenceLength"]) == (
        "ENABLED", 60, 24)
    assert (await configured.ok("GET", "/oauth/clients/web"))["requirePushedAuthorizationRequests"] is False
    meta = (await runtime.client.get(META)).json()
    assert meta["pushed_authorization_request_endpoint"] == meta["issuer"] + PAR
    assert meta["require_pushed_authorization_requests"] is False


@pytest.mark.parametrize(("field", "value", "error_id"), [
    ("parReferenceTimeout", "60", "invalid_type"),
    ("parReferenceTimeout", True, "invalid_type"),
    ("parReferenceLength", 24.5, "invalid_type"),
    ("parStatus", True, "invalid_value"),
    ("parStatus", "SOMETIMES", None),
    ("parReferenceTimeout", 0, None),
    ("parReferenceTimeout", 3601, None),
    ("parReferenceLength", 15, None),
    ("parReferenceLength", 129, None),
])
async def test_bad_settings_get_validation_errors(admin: Admin, field: str, value: Any, error_id: str | None) -> None:
    body = {"authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
            "refreshTokenLength": 42, field: value}
    response = await admin.put("/oauth/authServerSettings", body)
    assert response.status_code == 422, response.text
    errors = response.json()["validationErrors"]
    assert [e["fieldPath"] for e in errors] == [field]
    if error_id is not None:
        assert errors[0]["errorId"] == error_id
    assert (await admin.ok("GET", "/oauth/authServerSettings"))[field] == {
        "parReferenceTimeout": 60, "parReferenceLength": 24, "parStatus": "ENABLED"}[field]


async def test_a_client_flag_of_the_wrong_type_gets_validation_errors(configured: Admin) -> None:
    client = await configured.ok("GET", "/oauth/clients/web")
    response = await configured.put("/oauth/clients/web", {**client, "requirePushedAuthorizationRequests": "yes"})
    assert response.status_code == 422, response.text
    assert [e["fieldPath"] for e in response.json()["validationErrors"]] == ["requirePushedAuthorizationRequests"]

"""Cross-origin requests from browser applications: ``allowedOrigins`` of the authorization server
settings, on the endpoints PingFederate opens to them (token, revocation, the persistent grant
management API, JWKS, OpenID configuration). Preflights from other origins, other methods or other
headers are refused; endpoints outside that list never answer for another origin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import RUNTIME_BASE, Admin, Runtime

APP = ("app", "app-secret-0123456789")
SPA = "https://spa.example.com"
ORIGINS = [SPA, "https://*.corp.example", "https://dev.example:*", "https://bxretail.org/cb/*"]


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await admin.reference_atm("ref", attributes=("cid",))
    await admin.mapping("CLIENT_CREDENTIALS", "ref", {"cid": ("CONTEXT", "ClientId")})
    await admin.scopes(common=("read",))
    await admin.client_app()
    return admin


async def _origins(admin: Admin, origins: Any) -> httpx.Response:
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    return await admin.put("/oauth/authServerSettings", {**settings, "allowedOrigins": origins})


def _preflight(runtime: Runtime, path: str, origin: str, method: str = "POST",
               headers: str = "authorization,content-type") -> Any:
    return runtime.client.options(RUNTIME_BASE + path, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def _token(runtime: Runtime, origin: str | None, auth: tuple[str, str] = APP) -> Any:
    headers = {"Origin": origin} if origin else {}
    return runtime.client.post(RUNTIME_BASE + "/as/token.oauth2", data={"grant_type": "client_credentials"},
                               auth=auth, headers=headers)


async def test_no_allowed_origins_no_cross_origin_answers(configured: Admin, runtime: Runtime) -> None:
    preflight = await _preflight(runtime, "/as/token.oauth2", SPA)
    assert preflight.status_code != 204 and "access-control-allow-origin" not in preflight.headers
    issued = await _token(runtime, SPA)
    assert issued.status_code == 200 and "access-control-allow-origin" not in issued.headers
    assert "origin" not in issued.headers.get("vary", "").lower()


async def test_allowed_origin_preflight_and_token_request(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ORIGINS)).raise_for_status()
    preflight = await _preflight(runtime, "/as/token.oauth2", SPA)
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == SPA
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
    assert preflight.headers["access-control-max-age"] == "600"
    assert preflight.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in preflight.headers
    issued = await _token(runtime, SPA)
    assert issued.status_code == 200 and issued.json()["access_token"]
    assert issued.headers["access-control-allow-origin"] == SPA and "Origin" in issued.headers["vary"]
    assert "access-control-allow-credentials" not in issued.headers
    refused = await _token(runtime, SPA, ("app", "wrong-secret-0123456789"))  # the application can read its error
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused.headers["access-control-allow-origin"] == SPA
    assert refused.headers["access-control-expose-headers"] == "WWW-Authenticate"


MATCHES = [
    (SPA, True), ("https://SPA.example.com", True), ("https://spa.example.com:443", True),
    ("http://spa.example.com", False), ("https://spa.example.com:8443", False),
    ("https://spa.example.com.evil.test", False), ("https://evilspa.example.com", False),
    ("https://a.corp.example", True), ("https://a.b.corp.example", True), ("https://corp.example", False),
    ("https://evil-corp.example", False), ("https://dev.example:3000", True), ("https://dev.example", False),
    ("https://bxretail.org", True), ("null", False), ("https://spa.example.com/path", False),
    ("https://user@spa.example.com", False), ("", False),
]


async def test_which_origins_match(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ORIGINS)).raise_for_status()
    for origin, allowed in MATCHES:
        preflight = await _preflight(runtime, "/as/token.oauth2", origin)
        assert preflight.status_code == (204 if allowed else 403), (origin, preflight.text)
        assert ("access-control-allow-origin" in preflight.headers) is allowed, origin
        issued = await _token(runtime, origin)
        assert issued.status_code == 200, origin
        assert issued.headers.get("access-control-allow-origin") == (origin if allowed else None), origin


async def test_preflight_for_other_methods_or_headers_is_refused(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ORIGINS)).raise_for_status()
    for method, headers in (("GET", "authorization"), ("PUT", ""), ("POST", "authorization, x-custom"),
                            ("POST", "cookie")):
        refused = await _preflight(runtime, "/as/token.oauth2", SPA, method, headers)
        assert refused.status_code == 403, (method, headers)
        assert "access-control-allow-origin" not in refused.headers
        assert refused.json()["error"] == "invalid_request"
    ok = await _preflight(runtime, "/as/token.oauth2", SPA, "POST", "")
    assert ok.status_code == 204 and "access-control-allow-headers" not in ok.headers


async def test_endpoints_open_to_browsers(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ORIGINS)).raise_for_status()
    for path, method in (("/as/revoke_token.oauth2", "POST"), ("/pf/JWKS", "GET"),
                         ("/.well-known/openid-configuration", "GET"),
                         ("/.well-known/oauth-authorization-server", "GET"), ("/pf-ws/rest/oauth/grants", "GET"),
                         ("/pf-ws/rest/oauth/grants/some-grant", "DELETE")):
        preflight = await _preflight(runtime, path, SPA, method, "authorization, x-xsrf-header")
        assert preflight.status_code == 204, path
        assert method in preflight.headers["access-control-allow-methods"]
    jwks = await runtime.client.get(RUNTIME_BASE + "/pf/JWKS", headers={"Origin": SPA})
    assert jwks.status_code == 200 and jwks.headers["access-control-allow-origin"] == SPA
    plain = await runtime.client.get(RUNTIME_BASE + "/pf/JWKS")  # caches keep one answer per origin
    assert "access-control-allow-origin" not in plain.headers and plain.headers["vary"] == "Origin"
    revoked = await runtime.client.post(RUNTIME_BASE + "/as/revoke_token.oauth2", data={"token": "nothing"},
                                        auth=APP, headers={"Origin": SPA})
    assert revoked.status_code == 200 and revoked.headers["access-control-allow-origin"] == SPA


async def test_other_endpoints_never_answer_another_origin(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ORIGINS)).raise_for_status()
    token = (await runtime.access_token())["access_token"]
    introspected = await runtime.client.post(RUNTIME_BASE + "/as/introspect.oauth2", data={"token": token},
                                             auth=APP, headers={"Origin": SPA})
    assert introspected.status_code == 200 and "access-control-allow-origin" not in introspected.headers
    for path in ("/as/introspect.oauth2", "/pf-ws/rest/oauth/users/alice/grants", "/as/authorization.oauth2",
                 "/pf/sts.wst"):
        preflight = await _preflight(runtime, path, SPA)
        assert preflight.status_code != 204 and "access-control-allow-origin" not in preflight.headers, path


async def test_any_origin_entry(configured: Admin, runtime: Runtime) -> None:
    (await _origins(configured, ["*"])).raise_for_status()
    issued = await _token(runtime, "https://anyone.test:8080")
    assert issued.headers["access-control-allow-origin"] == "https://anyone.test:8080"
    for odd in ("null", "https://ex ample.test", "https://a_b.test", "https://anyone.test/", "https://a.test:99999",
                "https://anyone.test, https://other.test"):  # never echoed, whatever the list says
        assert "access-control-allow-origin" not in (await _token(runtime, odd)).headers, odd


@pytest.mark.parametrize(("entry", "why"), [
    ("ftp://files.example.com", "http or https origin"), ("https://a*.example.com", "whole labels"),
    ("https://exa mple.com", "spaces"), ("https://example.com:99999", "http or https origin"),
    ("https://user@example.com", "http or https origin"), ("https://example.com/?q=1", "http or https origin"),
    ("example.com", "http or https origin"), ("", "http or https origin"),
])
async def test_bad_entries_are_refused_naming_the_entry(configured: Admin, entry: str, why: str) -> None:
    before = await configured.ok("GET", "/oauth/authServerSettings")
    response = await _origins(configured, [SPA, entry])
    assert response.status_code == 422, response.text
    [error] = response.json()["validationErrors"]
    assert error["fieldPath"] == "allowedOrigins[1]" and why in error["message"]
    assert await configured.ok("GET", "/oauth/authServerSettings") == before  # nothing half-written


async def test_wrong_types_are_errors_and_entries_round_trip(configured: Admin) -> None:
    for bad in ("https://spa.example.com", [1], {"origin": SPA}):
        response = await _origins(configured, bad)
        assert response.status_code == 422, (bad, response.text)
    sent = ["https://example.com:*", "https://bxretail.org/cb/*", "http://[::1]:8080", "*"]
    assert (await _origins(configured, sent)).status_code == 200
    assert (await configured.ok("GET", "/oauth/authServerSettings"))["allowedOrigins"] == sent

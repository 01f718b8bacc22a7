"""The authorization endpoint's pages: open-redirect rules, errors on the redirect URI, the sign-in and
consent forms (CSRF, lockout, escaping, headers) and the form_post response."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.authzkit import AUTHZ, REDIRECT, configure, consent, csrf_of, query_of, sign_in
from tests.conftest import Admin, Runtime
from tokensmith.clock import FakeClock
from tokensmith.oauth.authz_flow import COOKIE

START = {"client_id": "web", "response_type": "code"}


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await configure(admin)
    return admin


def _no_redirect(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"


async def test_unverified_clients_and_redirect_uris_never_redirect(configured: Admin, runtime: Runtime) -> None:
    get = runtime.client.get
    for params in ({"response_type": "code"}, {**START, "client_id": "ghost"},
                   {**START, "redirect_uri": "https://evil.example/callback"},
                   {**START, "redirect_uri": "javascript:alert(document.cookie)"},
                   {**START, "redirect_uri": REDIRECT + "?extra=1"},
                   {**START, "redirect_uri": REDIRECT.upper()},
                   {**START, "redirect_uri": "https://app.example.evil.example/callback"}):
        _no_redirect(await get(AUTHZ, params=params))
    repeated = await get(AUTHZ + "?client_id=web&response_type=code&client_id=web")
    _no_redirect(repeated)
    await configured.ok("PUT", "/oauth/clients/web", {
        **(await configured.ok("GET", "/oauth/clients/web")), "enabled": False})
    _no_redirect(await get(AUTHZ, params=START))


async def test_a_client_with_several_redirect_uris_must_name_one(configured: Admin, runtime: Runtime) -> None:
    doc = await configured.ok("GET", "/oauth/clients/web")
    await configured.ok("PUT", "/oauth/clients/web", {**doc, "redirectUris": [REDIRECT, "https://app.example/b"]})
    _no_redirect(await runtime.client.get(AUTHZ, params=START))
    named = await runtime.client.get(AUTHZ, params={**START, "redirect_uri": "https://app.example/b"})
    assert named.status_code == 200


async def test_a_wildcard_redirect_uri_takes_its_matches_and_nothing_else(configured: Admin, runtime: Runtime) -> None:
    doc = await configured.ok("GET", "/oauth/clients/web")
    await configured.ok("PUT", "/oauth/clients/web", {**doc, "redirectUris": ["https://*.app.example/cb*"]})
    _no_redirect(await runtime.client.get(AUTHZ, params=START))  # a pattern: the request must name the URI
    for evil in ("https://app.example/cb", "https://evil.example/.app.example/cb", "https://x.app.example.evil.example/cb",
                 "https://u@x.app.example/cb", "http://x.app.example/cb", "https://x.app.example/other"):
        _no_redirect(await runtime.client.get(AUTHZ, params={**START, "redirect_uri": evil}))
    sent = "https://tenant-7.app.example/cb/done?x=1"
    page = await runtime.client.get(AUTHZ, params={**START, "redirect_uri": sent, "state": "s"})
    assert page.status_code == 200, page.text
    done = await consent(runtime.client, await sign_in(runtime.client, page))
    assert done.status_code == 302 and done.headers["location"].startswith(sent + "&code="), done.headers
    code = query_of(done.headers["location"])["code"]
    mismatch = await runtime.token({"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": "https://other.app.example/cb"}, ("web", "web-secret-0123456789"))
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "invalid_grant"  # bound to the URI sent


async def test_errors_go_back_to_the_verified_redirect_uri(configured: Admin, runtime: Runtime) -> None:
    get = runtime.client.get
    token = await get(AUTHZ, params={**START, "response_type": "token", "state": "s1"})
    assert token.status_code == 302
    query = query_of(token.headers["location"])
    assert token.headers["location"].startswith(REDIRECT + "?")
    assert query["error"] == "unsupported_response_type" and query["state"] == "s1"
    meta = (await get("http://127.0.0.1:9031/.well-known/oauth-authorization-server")).json()
    assert query["iss"] == meta["issuer"]
    for params, error in (({"client_id": "web"}, "invalid_request"),
                          ({**START, "scope": "admin"}, "invalid_scope"),
                          ({**START, "code_challenge": "short"}, "invalid_request"),
                          ({**START, "code_challenge_method": "S256"}, "invalid_request"),
                          ({**START, "code_challenge": "a" * 43, "code_challenge_method": "S512"}, "invalid_request"),
                          ({**START, "prompt": "none"}, "login_required"),
                          ({**START, "response_mode": "fragment"}, "invalid_request")):
        response = await get(AUTHZ, params=params)
        assert response.status_code == 302, (params, response.text)
        found = query_of(response.headers["location"])
        assert found["error"] == error and "state" not in found, params


async def test_a_client_without_the_grant_is_unauthorized(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "cc", "name": "cc", "grantTypes": ["CLIENT_CREDENTIALS"], "redirectUris": [REDIRECT],
        "clientAuth": {"type": "SECRET", "secret": "cc-secret-0123456789"}})
    response = await runtime.client.get(AUTHZ, params={**START, "client_id": "cc"})
    assert query_of(response.headers["location"])["error"] == "unauthorized_client"


async def test_the_sign_in_page_is_locked_down(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params={**START, "login_hint": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://app.example" in csp and "script-src" not in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert "Web &lt;App&gt;" in page.text  # the client's name, escaped
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/as/authorization.oauth2" in cookie
    assert "Secure" not in cookie  # the issuer is http here; https issuers get Secure
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in page.text


async def test_csrf_token_missing_or_wrong_gets_a_400_page(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params=START)
    for data in ({"pf.action": "signin", "pf.username": "alice", "pf.pass": "alice-password-1"},
                 {"pf.action": "signin", "pf.csrf": "forged", "pf.username": "alice", "pf.pass": "alice-password-1"}):
        _no_redirect(await runtime.client.post(AUTHZ, data=data))
    # the right token without the cookie (another browser) is refused too
    bare = httpx.AsyncClient(transport=runtime.client._transport)
    _no_redirect(await bare.post(AUTHZ, data={"pf.csrf": csrf_of(page), "pf.action": "signin",
                                              "pf.username": "alice", "pf.pass": "alice-password-1"}))
    # a forged consent before sign-in is refused: the form must belong to the flow's step
    _no_redirect(await consent(runtime.client, page))
    assert (await sign_in(runtime.client, page)).status_code == 200  # the flow itself still works


async def test_wrong_password_shows_the_form_again(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params=START)
    wrong = await sign_in(runtime.client, page, password="nope")
    assert wrong.status_code == 200 and "not correct" in wrong.text and 'value="alice"' in wrong.text
    unknown = await sign_in(runtime.client, page, user="mallory")
    assert "not correct" in unknown.text
    done = await consent(runtime.client, await sign_in(runtime.client, page))
    assert done.status_code == 302 and "code" in query_of(done.headers["location"])


async def test_a_locked_out_user_gets_a_message_not_a_500(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params=START)
    last = page
    for _ in range(12):
        last = await sign_in(runtime.client, page, password="wrong-guess")
        if last.status_code == 429:
            break
    assert last.status_code == 429 and "Too many failed sign-ins" in last.text and last.headers["retry-after"]
    right = await sign_in(runtime.client, page)  # even the right password waits for the lock
    assert right.status_code == 429 and "<form" in right.text


async def test_denying_consent_returns_access_denied(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params={**START, "scope": "read", "state": "st"})
    asked = await sign_in(runtime.client, page)
    assert "<li>read</li>" in asked.text and "alice" in asked.text
    denied = await consent(runtime.client, asked, "deny")
    query = query_of(denied.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == "st"
    assert "Max-Age=0" in denied.headers["set-cookie"]
    _no_redirect(await consent(runtime.client, asked))  # the flow is over: the cookie is gone


async def test_form_post_response_mode(configured: Admin, runtime: Runtime) -> None:
    page = await runtime.client.get(AUTHZ, params={**START, "response_mode": "form_post", "state": "a\"<b"})
    done = await consent(runtime.client, await sign_in(runtime.client, page))
    assert done.status_code == 200 and "location" not in done.headers
    csp = done.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in done.text
    assert "form-action https://app.example" in csp and "default-src 'none'" in csp
    assert f'action="{REDIRECT}"' in done.text and 'name="code" value="' in done.text
    assert 'name="state" value="a&quot;&lt;b"' in done.text


async def test_post_authorization_requests_and_other_methods(configured: Admin, runtime: Runtime) -> None:
    posted = await runtime.client.post(AUTHZ, data=START)
    assert posted.status_code == 200 and "pf.username" in posted.text
    put = await runtime.client.put(AUTHZ, data=START)
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"


async def test_admin_checks_redirect_uris(admin: Admin) -> None:
    body = {"clientId": "c", "name": "c", "grantTypes": ["AUTHORIZATION_CODE"],
            "clientAuth": {"type": "SECRET", "secret": "c-secret-0123456789"}}
    missing = await admin.post("/oauth/clients", body)
    assert missing.status_code == 422
    assert [e["fieldPath"] for e in missing.json()["validationErrors"]] == ["redirectUris"]
    for uri in ("http://app.example/cb", "https://app.example/cb#frag", "https://*.example/cb", "javascript:x",
                "/relative", "https://user@app.example/cb", "myapp:/cb", "https://[x/cb", "https://a*.app.example/"):
        refused = await admin.post("/oauth/clients", {**body, "redirectUris": [REDIRECT, uri]})
        assert refused.status_code == 422, uri
        assert [e["fieldPath"] for e in refused.json()["validationErrors"]] == ["redirectUris[1]"], uri
    await admin.ok("POST", "/oauth/clients", {**body, "redirectUris": [REDIRECT, "http://127.0.0.1:7000/cb",
                                                                       "http://[::1]/cb", "http://localhost/cb",
                                                                       "com.example.app:/cb", "https://*.app.example/*",
                                                                       "http://127.0.0.1:*/cb"]})


async def test_an_altered_or_expired_flow_cookie_is_refused(configured: Admin, runtime: Runtime,
                                                            clock: FakeClock) -> None:
    page = await runtime.client.get(AUTHZ, params=START)
    sealed = runtime.client.cookies[COOKIE]
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    runtime.client.cookies.set(COOKIE, flipped, domain="127.0.0.1", path="/as/authorization.oauth2")
    _no_redirect(await sign_in(runtime.client, page))
    runtime.client.cookies.set(COOKIE, sealed, domain="127.0.0.1", path="/as/authorization.oauth2")
    clock.advance(601)  # the flow lives 10 minutes, whatever the cookie's Max-Age says
    expired = await sign_in(runtime.client, page)
    _no_redirect(expired)
    assert "expired" in expired.text


async def test_the_flow_cookie_is_secure_when_the_issuer_is_https(configured: Admin, runtime: Runtime) -> None:
    await configured.ok("PUT", "/serverSettings", {"federationInfo": {"baseUrl": "https://sso.example.com",
                                                                      "saml2EntityId": "sso"}})
    page = await runtime.client.get(AUTHZ, params={**START, "response_type": "token"})
    assert query_of(page.headers["location"])["iss"] == "https://sso.example.com"
    page = await runtime.client.get(AUTHZ, params=START)
    assert "; Secure" in page.headers["set-cookie"]


async def test_a_request_without_state_gets_its_code_without_state(configured: Admin, runtime: Runtime) -> None:
    # state is RECOMMENDED, not required (RFC 6749 §4.1.1): the answer carries none when none was sent,
    # and a state too long to carry back is refused on the page, never sent to the client.
    http = runtime.client
    start = await http.get(AUTHZ, params=START)
    done = await consent(http, await sign_in(http, start))
    assert done.status_code == 302
    query = query_of(done.headers["location"])
    assert query["code"] and "state" not in query
    _no_redirect(await http.get(AUTHZ, params={**START, "state": "s" * 5000}))

"""The users' grant page (``/as/oauth_access_grants.ping``, ``/as/grants.oauth2``): a user signs in,
sees the applications with lasting access on their behalf, and revokes one; forms without the page's
cookie or CSRF token, other users' grants and wrong passwords change nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.authzkit import RS, code_for, configure, csrf_of, pkce
from tests.conftest import RUNTIME_BASE, Admin, Runtime

PAGE = RUNTIME_BASE + "/as/oauth_access_grants.ping"
WEB = ("web", "web-secret-0123456789")
GRANT_ID = re.compile(r'name="pf\.grant" value="([^"]+)"')


async def _tokens(runtime: Runtime, scope: str) -> dict[str, str]:
    verifier, challenge = pkce()
    code, _ = await code_for(runtime.client, code_challenge=challenge, code_challenge_method="S256", scope=scope)
    issued = await runtime.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier}, WEB)
    assert issued.status_code == 200, issued.text
    return dict(issued.json())


async def _signed_in(http: httpx.AsyncClient, url: str = PAGE, user: str = "alice",
                     password: str = "alice-password-1") -> httpx.Response:
    page = await http.get(url)
    assert page.status_code == 200 and "Sign in" in page.text, page.text
    return await http.post(url, data={"pf.csrf": csrf_of(page), "pf.action": "signin", "pf.username": user,
                                      "pf.pass": password})


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await configure(admin)
    return admin


async def test_a_user_sees_and_revokes_their_grants(configured: Admin, runtime: Runtime) -> None:
    kept = await _tokens(runtime, "read")
    doomed = await _tokens(runtime, "read write")
    http = runtime.client
    listing = await _signed_in(http)
    assert listing.status_code == 200, listing.text
    assert "Web &lt;App&gt;" in listing.text and "read, write" in listing.text  # the client's name, escaped
    assert "default-src 'none'" in listing.headers["content-security-policy"]
    assert listing.headers["x-frame-options"] == "DENY" and listing.headers["cache-control"] == "no-store"
    ids = GRANT_ID.findall(listing.text)
    assert len(ids) == 2
    target = next(i for i in ids for row in listing.text.split("<li>")[1:] if "read, write" in row and i in row)
    again = await http.get(PAGE)  # the session cookie keeps the user signed in
    assert again.status_code == 200 and "Signed in as <strong>alice</strong>" in again.text
    revoked = await http.post(PAGE, data={"pf.csrf": csrf_of(again), "pf.action": "revoke", "pf.grant": target})
    assert revoked.status_code == 200 and "Access revoked." in revoked.text
    assert GRANT_ID.findall(revoked.text) == [i for i in ids if i != target]
    assert (await runtime.introspect(doomed["access_token"], auth=RS))["active"] is False
    assert (await runtime.introspect(kept["access_token"], auth=RS))["active"] is True
    out = await http.post(PAGE, data={"pf.csrf": csrf_of(revoked), "pf.action": "signout"})
    assert out.status_code == 200 and "Signed out" in out.text
    assert "Sign in" in (await http.get(PAGE)).text


async def test_both_paths_serve_the_page(configured: Admin, runtime: Runtime) -> None:
    await _tokens(runtime, "read")
    listing = await _signed_in(runtime.client, RUNTIME_BASE + "/as/grants.oauth2")
    assert len(GRANT_ID.findall(listing.text)) == 1 and 'action="grants.oauth2"' in listing.text


async def test_forms_without_the_cookie_or_token_and_other_users_grants_change_nothing(
        configured: Admin, runtime: Runtime) -> None:
    await _tokens(runtime, "read")  # alice's grant
    http = runtime.client
    alice = await _signed_in(http)
    [alices] = GRANT_ID.findall(alice.text)
    forged = await http.post(PAGE, data={"pf.csrf": "forged", "pf.action": "revoke", "pf.grant": alices})
    assert forged.status_code == 400 and "security token" in forged.text
    async with httpx.AsyncClient(transport=http._transport, base_url=str(http.base_url)) as stranger:
        cookieless = await stranger.post(PAGE, data={"pf.csrf": csrf_of(alice), "pf.action": "revoke",
                                                     "pf.grant": alices})
        assert cookieless.status_code == 400 and "expired" in cookieless.text
        bob = await _signed_in(stranger, user="bob", password="bob-password-22")
        assert "No application has lasting access" in bob.text
        hijack = await stranger.post(PAGE, data={"pf.csrf": csrf_of(bob), "pf.action": "revoke", "pf.grant": alices})
        assert "already revoked" in hijack.text
    assert GRANT_ID.findall((await http.get(PAGE)).text) == [alices]  # still there


async def test_wrong_passwords_are_shown_and_throttled(configured: Admin, runtime: Runtime) -> None:
    http = runtime.client
    wrong = await _signed_in(http, password="not-alices-password")
    assert wrong.status_code == 200 and "not correct" in wrong.text and "Your application access" not in wrong.text
    statuses = []
    for i in range(12):
        page = await http.get(PAGE)
        attempt = await http.post(PAGE, data={"pf.csrf": csrf_of(page), "pf.action": "signin", "pf.username": "alice",
                                              "pf.pass": f"wrong-{i}"})
        statuses.append(attempt.status_code)
    assert statuses[-1] == 429
    assert (await http.put(PAGE)).status_code == 405

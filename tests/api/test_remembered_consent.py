"""``bypassAuthorizationForApprovedGrants``: a user who approved a client once is not asked again for
the scopes of an unexpired grant; asking for more, revoking the grant, or the setting off brings the
consent page back. The code flow and the device flow both follow it."""

from __future__ import annotations

import httpx

from tests.authzkit import AUTHZ, RS, configure, consent, pkce, query_of, sign_in
from tests.conftest import Admin, Runtime
from tests.devicekit import TV, USER_PAGE, approve, configure_device, poll, start
from tests.devicekit import enter as enter_code
from tests.devicekit import sign_in as device_sign_in
from tokensmith.clock import FakeClock

WEB = ("web", "web-secret-0123456789")


async def _remember(admin: Admin, on: bool = True) -> None:
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    await admin.ok("PUT", "/oauth/authServerSettings", {**settings, "bypassAuthorizationForApprovedGrants": on})


async def _after_sign_in(http: httpx.AsyncClient, scope: str) -> httpx.Response:
    _, challenge = pkce()
    page = await http.get(AUTHZ, params={"client_id": "web", "response_type": "code", "scope": scope,
                                         "code_challenge": challenge, "code_challenge_method": "S256"})
    assert page.status_code == 200, page.text
    return await sign_in(http, page)


async def _approve_once(runtime: Runtime, scope: str) -> str:
    """Sign in and approve on the consent page, redeem the code; the refresh token."""
    verifier, challenge = pkce()
    http = runtime.client
    page = await http.get(AUTHZ, params={"client_id": "web", "response_type": "code", "scope": scope,
                                         "code_challenge": challenge, "code_challenge_method": "S256"})
    asked = await sign_in(http, page)
    assert "Allow access?" in asked.text, asked.text
    done = await consent(http, asked)
    code = query_of(done.headers["location"])["code"]
    issued = await runtime.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier}, WEB)
    assert issued.status_code == 200, issued.text
    return str(issued.json()["refresh_token"])


async def test_an_approved_grant_skips_the_consent_page_for_its_scopes(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await admin.scopes(common=("read", "write", "email"))
    await _remember(admin)
    refresh = await _approve_once(runtime, "read write")
    for scope in ("read write", "read"):  # the same scopes, or fewer: straight back to the client
        skipped = await _after_sign_in(runtime.client, scope)
        assert skipped.status_code == 302 and "code" in query_of(skipped.headers["location"]), skipped.text
    more = await _after_sign_in(runtime.client, "read email")  # a scope never approved: asked again
    assert more.status_code == 200 and "Allow access?" in more.text
    grant = await runtime.introspect(refresh, auth=RS)
    assert grant["active"] is True
    revoked = await runtime.revoke(refresh, auth=WEB)  # the user's grant is gone: consent is asked again
    assert revoked.status_code == 200
    asked = await _after_sign_in(runtime.client, "read")
    assert asked.status_code == 200 and "Allow access?" in asked.text


async def test_without_the_setting_consent_is_asked_every_time(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await _approve_once(runtime, "read")
    asked = await _after_sign_in(runtime.client, "read")
    assert asked.status_code == 200 and "Allow access?" in asked.text


async def test_an_expired_grant_is_not_an_approval(admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    await configure(admin)
    await _remember(admin)
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    await admin.ok("PUT", "/oauth/authServerSettings", {**settings, "persistentGrantLifetime": 1,
                                                        "persistentGrantLifetimeUnit": "HOURS"})
    await _approve_once(runtime, "read")
    assert (await _after_sign_in(runtime.client, "read")).status_code == 302
    clock.advance(3601)
    asked = await _after_sign_in(runtime.client, "read")
    assert asked.status_code == 200 and "Allow access?" in asked.text


async def test_the_device_flow_remembers_an_approval_too(admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    await configure_device(admin)
    await _remember(admin)
    http = runtime.client
    first = await start(http, scope="read")
    done = await approve(http, str(first["user_code"]))
    assert done.status_code == 200 and "Device connected" in done.text
    clock.advance(6)
    assert (await poll(http, first["device_code"])).status_code == 200
    second = await start(http, scope="read")
    page = await http.get(USER_PAGE)
    code_page = await device_sign_in(http, page)
    connected = await enter_code(http, code_page, str(second["user_code"]))
    assert "Device connected" in connected.text and "Allow access?" not in connected.text, connected.text
    clock.advance(6)
    tokens = await poll(http, second["device_code"], TV)
    assert tokens.status_code == 200, tokens.text

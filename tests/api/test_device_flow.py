"""The device authorization grant (RFC 8628) end to end: the device asks for codes and polls, the user
enters the code on the user page, signs in and decides; every answer is what a device or user sees."""

from __future__ import annotations

import re

from tests.authzkit import RS, csrf_of
from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tests.devicekit import (
    DEVICE_AUTHZ,
    DEVICE_GRANT,
    TV,
    USER_PAGE,
    approve,
    ask,
    configure_device,
    enter,
    poll,
    sign_in,
    start,
    submit,
)
from tokensmith.clock import FakeClock

USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


async def test_the_whole_flow_gives_tokens_of_the_signed_in_user(admin: Admin, runtime: Runtime,
                                                                 clock: FakeClock) -> None:
    await configure_device(admin)
    http = runtime.client
    codes = await start(http, scope="read write")
    assert USER_CODE.match(str(codes["user_code"])), codes
    issuer = (await http.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()["issuer"]
    assert codes["verification_uri"] == issuer + "/as/user_authz.oauth2"
    assert codes["verification_uri_complete"] == f"{codes['verification_uri']}?user_code={codes['user_code']}"
    assert codes["expires_in"] == 600 and codes["interval"] == 5 and len(str(codes["device_code"])) >= 43
    pending = await poll(http, codes["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    fast = await poll(http, codes["device_code"])  # at once: sooner than the interval
    assert fast.status_code == 400 and fast.json()["error"] == "slow_down"
    clock.advance(6)  # the interval is now 10 s (RFC 8628 §3.5): 6 s is still too soon
    assert (await poll(http, codes["device_code"])).json()["error"] == "slow_down"
    typed = str(codes["user_code"]).lower().replace("-", " ")  # case, dashes and spaces do not matter
    done = await approve(http, typed)
    assert done.status_code == 200 and "Device connected" in done.text and "Living Room TV" in done.text
    clock.advance(16)
    issued = await poll(http, codes["device_code"])
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["scope"] == "read write" and body["token_type"] == "Bearer" and body["refresh_token"]
    info = await runtime.introspect(body["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["name"] == "alice" and info["client_id"] == "tv"
    assert info["via"] == DEVICE_GRANT
    clock.advance(16)
    reused = await poll(http, codes["device_code"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refreshed = await runtime.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, TV)
    assert (await runtime.introspect(refreshed.json()["access_token"], auth=RS))["user"] == "alice"


async def test_a_denied_request_is_access_denied(admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    await configure_device(admin)
    codes = await start(runtime.client)
    done = await approve(runtime.client, str(codes["user_code"]), "deny")
    assert done.status_code == 200 and "Request denied" in done.text
    clock.advance(6)
    denied = await poll(runtime.client, codes["device_code"])
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"


async def test_codes_expire_after_the_pending_authorization_timeout(admin: Admin, runtime: Runtime,
                                                                   clock: FakeClock) -> None:
    await configure_device(admin)
    await admin.scopes(common=("read", "write"), pendingAuthorizationTimeout=30, devicePollingInterval=2)
    codes = await start(runtime.client)
    assert codes["expires_in"] == 30 and codes["interval"] == 2
    clock.advance(31)
    expired = await poll(runtime.client, codes["device_code"])
    assert expired.status_code == 400 and expired.json()["error"] == "expired_token"
    page = await sign_in(runtime.client, await runtime.client.get(USER_PAGE))
    late = await enter(runtime.client, page, str(codes["user_code"]))
    assert "That code is not valid, or it has expired" in late.text and "Allow" not in late.text


async def test_a_device_code_belongs_to_its_client(admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    await configure_device(admin)
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "other", "name": "Other", "grantTypes": ["DEVICE_CODE"],
        "clientAuth": {"type": "SECRET", "secret": "other-secret-0123456789"}})
    codes = await start(runtime.client)
    await approve(runtime.client, str(codes["user_code"]))
    stolen = await poll(runtime.client, codes["device_code"], ("other", "other-secret-0123456789"))
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    bogus = await poll(runtime.client, "not-a-device-code")
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"
    missing = await runtime.token({"grant_type": DEVICE_GRANT}, TV)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert (await poll(runtime.client, codes["device_code"])).status_code == 200  # the other client spent nothing


async def test_the_device_authorization_endpoint_refuses_bad_requests(admin: Admin, runtime: Runtime) -> None:
    await configure_device(admin)
    http = runtime.client
    wrong = await ask(http, ("tv", "wrong-secret-000000"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    nobody = await ask(http, None, scope="read")
    assert nobody.status_code == 401 and nobody.json()["error"] == "invalid_client"
    web = await ask(http, ("web", "web-secret-0123456789"))
    assert web.status_code == 400 and web.json()["error"] == "unauthorized_client"
    scope = await ask(http, scope="admin")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    got = await http.get(DEVICE_AUTHZ)
    assert got.status_code == 405 and got.json()["error"] == "invalid_request" and got.headers["allow"] == "POST"
    twice = await http.post(DEVICE_AUTHZ, content=b"client_id=cli&client_id=cli",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"


async def test_wrong_user_codes_are_shown_then_throttled(admin: Admin, runtime: Runtime) -> None:
    await configure_device(admin)
    http = runtime.client
    codes = await start(http)
    page = await sign_in(http, await http.get(USER_PAGE))
    last = page
    for _ in range(12):
        last = await enter(http, page, "BCDF-GHJK" if codes["user_code"] != "BCDF-GHJK" else "ZZZZ-ZZZZ")
        if last.status_code == 429:
            break
        assert "That code is not valid, or it has expired" in last.text
    assert last.status_code == 429 and "Too many wrong codes" in last.text and last.headers["retry-after"]
    right = await enter(http, page, str(codes["user_code"]))  # while locked even the right code is not looked up
    assert right.status_code == 429 and "Allow" not in right.text


async def test_the_user_page_refuses_forms_without_its_csrf_token_or_cookie(admin: Admin, runtime: Runtime) -> None:
    await configure_device(admin)
    http = runtime.client
    codes = await start(http)
    page = await http.get(USER_PAGE)
    forged = await http.post(USER_PAGE, data={"pf.csrf": "forged", "pf.action": "signin", "pf.username": "alice",
                                              "pf.pass": "alice-password-1"})
    assert forged.status_code == 400 and "security token is missing or wrong" in forged.text
    http.cookies.clear()
    no_cookie = await submit(http, page, **{"pf.action": "code", "user_code": str(codes["user_code"])})
    assert no_cookie.status_code == 400 and "expired or was opened in another browser" in no_cookie.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    huge = await http.get(USER_PAGE, params={"user_code": "B" * 5000})  # only 32 characters are kept
    assert huge.status_code == 200 and len(huge.headers["set-cookie"]) < 1500 and "B" * 33 not in huge.text


async def test_a_public_client_with_the_code_checked_before_sign_in(admin: Admin, runtime: Runtime,
                                                                   clock: FakeClock) -> None:
    await configure_device(admin)
    await admin.scopes(common=("read", "write"), activationCodeCheckMode="BEFORE_AUTHENTICATION")
    http = runtime.client
    codes = await start(http, auth=None, client_id="cli", scope="read")
    first = await http.get(USER_PAGE)
    assert "Enter the code shown on your device" in first.text and "pf.pass" not in first.text
    signin = await enter(http, first, str(codes["user_code"]))
    assert "Sign in" in signin.text and "Command Line" in signin.text
    consent = await sign_in(http, signin, "bob", "bob-password-22")
    assert "Allow access?" in consent.text and "bob" in consent.text and "<li>read</li>" in consent.text
    await submit(http, consent, **{"pf.action": "allow"})
    token = await poll(http, codes["device_code"], None, client_id="cli")
    assert token.status_code == 200 and "refresh_token" not in token.json()
    assert (await runtime.introspect(token.json()["access_token"], auth=RS))["user"] == "bob"


async def test_the_link_with_the_code_is_confirmed_unless_the_settings_bypass_it(admin: Admin,
                                                                                 runtime: Runtime) -> None:
    await configure_device(admin)
    http = runtime.client
    codes = await start(http)
    page = await http.get(str(codes["verification_uri_complete"]))
    code_page = await sign_in(http, page)
    assert "Check that this is the code shown on your device" in code_page.text
    assert f'value="{codes["user_code"]}"' in code_page.text
    await admin.ok("PUT", "/oauth/clients/tv", {
        "clientId": "tv", "name": "Living Room TV", "grantTypes": ["DEVICE_CODE", "REFRESH_TOKEN"],
        "bypassApprovalPage": True, "deviceFlowSettingType": "OVERRIDE_SERVER_DEFAULT",
        "bypassActivationCodeConfirmationOverride": True})
    codes = await start(http)
    done = await sign_in(http, await http.get(str(codes["verification_uri_complete"])))
    assert "Device connected" in done.text  # no code to confirm, no consent page
    assert (await poll(http, codes["device_code"])).status_code == 200


async def test_settings_and_client_overrides_shape_the_answer(admin: Admin, runtime: Runtime) -> None:
    await configure_device(admin)
    await admin.scopes(common=("read", "write"), userAuthorizationUrl="https://tv.example/link")
    codes = await start(runtime.client)
    assert codes["verification_uri"] == "https://tv.example/link"
    assert codes["verification_uri_complete"] == f"https://tv.example/link?user_code={codes['user_code']}"
    await admin.ok("PUT", "/oauth/clients/cli", {
        "clientId": "cli", "name": "Command Line", "grantTypes": ["DEVICE_CODE"], "clientAuth": {"type": "NONE"},
        "deviceFlowSettingType": "OVERRIDE_SERVER_DEFAULT", "userAuthorizationUrlOverride": "https://cli.example/d?x=1",
        "pendingAuthorizationTimeoutOverride": 120, "devicePollingIntervalOverride": 10})
    cli = await start(runtime.client, auth=None, client_id="cli")
    assert cli["verification_uri"] == "https://cli.example/d?x=1" and cli["expires_in"] == 120 and cli["interval"] == 10
    assert str(cli["verification_uri_complete"]).startswith("https://cli.example/d?x=1&user_code=")
    settings = await admin.ok("GET", "/oauth/authServerSettings")
    assert settings["pendingAuthorizationTimeout"] == 600 and settings["devicePollingInterval"] == 5
    assert settings["activationCodeCheckMode"] == "AFTER_AUTHENTICATION"
    assert settings["bypassActivationCodeConfirmation"] is False


async def test_out_of_range_device_settings_are_validation_errors(admin: Admin) -> None:
    await configure_device(admin)
    base = {"authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
            "refreshTokenLength": 42, "scopes": [{"name": "read", "description": "r"},
                                                  {"name": "write", "description": "w"}]}
    for field, value in (("pendingAuthorizationTimeout", 0), ("devicePollingInterval", 3601),
                         ("userAuthorizationUrl", "ftp://tv.example/"), ("userAuthorizationUrl", "https://[tv/"),
                         ("activationCodeCheckMode", "NEVER")):
        refused = await admin.put("/oauth/authServerSettings", {**base, field: value})
        assert refused.status_code == 422, (field, refused.text)
        assert field in [e["fieldPath"] for e in refused.json()["validationErrors"]], refused.text
    client = {"clientId": "tv2", "name": "TV 2", "grantTypes": ["DEVICE_CODE"], "clientAuth": {"type": "NONE"},
              "deviceFlowSettingType": "OVERRIDE_SERVER_DEFAULT"}
    for field, value in (("pendingAuthorizationTimeoutOverride", 0), ("devicePollingIntervalOverride", -1),
                         ("userAuthorizationUrlOverride", "tv.example"),
                         ("userAuthorizationUrlOverride", "https://[tv/")):  # an unreadable host: 422, never 500
        refused = await admin.post("/oauth/clients", {**client, field: value})
        assert refused.status_code == 422, (field, refused.text)
        assert field in [e["fieldPath"] for e in refused.json()["validationErrors"]], refused.text


async def test_metadata_names_the_device_endpoint_and_grant(admin: Admin, runtime: Runtime) -> None:
    meta = (await runtime.client.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()
    assert meta["device_authorization_endpoint"] == meta["issuer"] + "/as/device_authz.oauth2"
    assert DEVICE_GRANT in meta["grant_types_supported"]
    assert csrf_of  # the shared page helpers stay importable

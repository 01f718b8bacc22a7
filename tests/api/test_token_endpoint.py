"""Runtime: the token endpoint (client credentials), its errors, and introspection/revocation basics."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import Admin, Runtime

APP = ("app", "app-secret-0123456789")


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await admin.reference_atm("ref", {"Token Length": "40"}, attributes=("cid", "org", "ip"))
    await admin.mapping("CLIENT_CREDENTIALS", "ref", {"cid": ("CONTEXT", "ClientId"), "org": ("TEXT", "Acme"),
                                                      "ip": ("CONTEXT", "ClientIp")})
    await admin.scopes(common=("read", "write"), groups={"rw": ["read", "write"]})
    await admin.client_app()
    return admin


async def test_issue_introspect_revoke(configured: Admin, runtime: Runtime) -> None:
    issued = await runtime.access_token(scope="read")
    token = issued["access_token"]
    assert len(token) == 40
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 7200 and issued["scope"] == "read"
    assert "refresh_token" not in issued
    info = await runtime.introspect(token)
    assert info["active"] is True
    assert info["scope"] == "read" and info["client_id"] == "app" and info["token_type"] == "Bearer"
    assert info["exp"] - info["iat"] == 7200
    assert (info["cid"], info["org"], info["ip"]) == ("app", "Acme", "192.0.2.10")
    revoked = await runtime.revoke(token)
    assert revoked.status_code == 200
    assert await runtime.introspect(token) == {"active": False}


async def test_response_headers_forbid_caching(configured: Admin, runtime: Runtime) -> None:
    response = await runtime.token({"grant_type": "client_credentials"}, APP)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"].startswith("application/json")


async def test_client_secret_post_and_url_encoded_basic(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm()
    await admin.client_app("app:1", "p@ss word+/=0123456789")
    post = await runtime.token({"grant_type": "client_credentials", "client_id": "app:1",
                                "client_secret": "p@ss word+/=0123456789"})
    assert post.status_code == 200
    # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding
    encoded = base64.b64encode(b"app%3A1:p%40ss+word%2B%2F%3D0123456789").decode()
    basic = await runtime.client.post("http://127.0.0.1:9031/as/token.oauth2",
                                      data={"grant_type": "client_credentials"},
                                      headers={"Authorization": f"Basic {encoded}"})
    assert basic.status_code == 200, basic.text


def _error(response: object) -> str:
    return response.json()["error"]  # type: ignore[attr-defined,no-any-return]


async def test_malformed_requests_get_rfc6749_errors(configured: Admin, runtime: Runtime) -> None:
    cases: list[tuple[dict[str, str], tuple[str, str] | None, int, str]] = [
        ({}, APP, 400, "invalid_request"),  # missing grant_type
        ({"grant_type": "client_credentials"}, ("app", "wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "app"}, None, 401, "invalid_client"),  # no secret
        ({"grant_type": "client_credentials"}, ("ghost", "x"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),  # no client at all
        ({"grant_type": "authorization_code", "code": "x"}, APP, 400, "unauthorized_client"),
        ({"grant_type": "urn:example:magic"}, APP, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "admin"}, APP, 400, "invalid_scope"),
        ({"grant_type": "password", "username": "u", "password": "p"}, APP, 400, "unauthorized_client"),
        ({"grant_type": "client_credentials", "client_secret": "x"}, APP, 400, "invalid_request"),  # two methods
        ({"grant_type": "client_credentials", "access_token_manager_id": "nope"}, APP, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "resource": "https://unknown.example"}, APP, 400, "invalid_target"),
    ]
    for data, auth, status, error in cases:
        response = await runtime.token(data, auth)
        assert (response.status_code, _error(response)) == (status, error), (data, response.text)
        assert "error_description" in response.json()
    basic = await runtime.token({"grant_type": "client_credentials"}, ("app", "wrong"))
    assert basic.headers["www-authenticate"].startswith("Basic")


async def test_transport_level_mistakes(configured: Admin, runtime: Runtime) -> None:
    url = "http://127.0.0.1:9031/as/token.oauth2"
    get = await runtime.client.get(url)
    assert get.status_code == 405 and _error(get) == "invalid_request"
    as_json = await runtime.client.post(url, json={"grant_type": "client_credentials"}, auth=APP)
    assert as_json.status_code == 400 and _error(as_json) == "invalid_request"
    repeated = await runtime.client.post(url, content=b"grant_type=client_credentials&grant_type=password",
                                         headers={"content-type": "application/x-www-form-urlencoded"}, auth=APP)
    assert repeated.status_code == 400 and "more than once" in repeated.json()["error_description"]
    bad_utf8 = await runtime.client.post(url, content=b"grant_type=\xff\xfe",
                                         headers={"content-type": "application/x-www-form-urlencoded"}, auth=APP)
    assert bad_utf8.status_code == 400
    huge = await runtime.client.post(url, content=b"a=" + b"x" * 70_000,
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413
    bad_basic = await runtime.client.post(url, data={"grant_type": "client_credentials"},
                                          headers={"Authorization": "Basic %%%"})
    assert bad_basic.status_code == 401 and _error(bad_basic) == "invalid_client"
    unknown = await runtime.client.get("http://127.0.0.1:9031/as/nothing")
    assert unknown.status_code == 404


async def test_disabled_client_cannot_get_tokens(configured: Admin, runtime: Runtime) -> None:
    client = await configured.ok("GET", "/oauth/clients/app")
    client["enabled"] = False
    await configured.ok("PUT", "/oauth/clients/app", client)
    response = await runtime.token({"grant_type": "client_credentials"}, APP)
    assert response.status_code == 401


async def test_introspection_needs_an_authorised_client(configured: Admin, runtime: Runtime) -> None:
    token = (await runtime.access_token())["access_token"]
    unauthenticated = await runtime.post("/as/introspect.oauth2", {"token": token})
    assert unauthenticated.status_code == 401 and _error(unauthenticated) == "invalid_client"
    await configured.client_app("issuer", "issuer-secret-000000", grants=("CLIENT_CREDENTIALS",))
    no_grant = await runtime.post("/as/introspect.oauth2", {"token": token}, ("issuer", "issuer-secret-000000"))
    assert no_grant.status_code == 400 and _error(no_grant) == "unauthorized_client"
    missing = await runtime.post("/as/introspect.oauth2", {}, APP)
    assert missing.status_code == 400 and _error(missing) == "invalid_request"
    assert await runtime.introspect("not-a-token") == {"active": False}
    assert await runtime.introspect("not-a-token", token_type_hint="refresh_token") == {"active": False}


async def test_expired_tokens_are_inactive_and_purged(configured: Admin, runtime: Runtime, clock: object,
                                                      node: object) -> None:
    token = (await runtime.access_token())["access_token"]
    clock.advance(7199)  # type: ignore[attr-defined]
    assert (await runtime.introspect(token))["active"] is True
    clock.advance(1)  # type: ignore[attr-defined]
    assert await runtime.introspect(token) == {"active": False}
    removed = await node.state.purge_expired(clock.now())  # type: ignore[attr-defined]
    assert removed == 1
    assert node.state.count_tokens() == 0  # type: ignore[attr-defined]


async def test_revocation_rules(configured: Admin, runtime: Runtime) -> None:
    await configured.client_app("other", "other-secret-0000000")
    token = (await runtime.access_token())["access_token"]
    not_yours = await runtime.revoke(token, ("other", "other-secret-0000000"))
    assert not_yours.status_code == 400 and _error(not_yours) == "unauthorized_client"
    assert (await runtime.introspect(token))["active"] is True
    unknown = await runtime.revoke("never-issued")
    assert unknown.status_code == 200
    no_auth = await runtime.post("/as/revoke_token.oauth2", {"token": token})
    assert no_auth.status_code == 401
    no_token = await runtime.post("/as/revoke_token.oauth2", {}, APP)
    assert no_token.status_code == 400
    wrong_hint = await runtime.revoke(token, token_type_hint="refresh_token")
    assert wrong_hint.status_code == 200
    assert await runtime.introspect(token) == {"active": False}


async def test_only_a_digest_of_the_token_is_stored(configured: Admin, runtime: Runtime, settings: object) -> None:
    token = (await runtime.access_token())["access_token"]
    for name in ("tokens.db", "tokens.db-wal"):
        path = settings.data_dir / name  # type: ignore[attr-defined]
        if path.exists():
            assert token.encode() not in path.read_bytes()


async def test_config_change_is_live_without_restart(configured: Admin, runtime: Runtime) -> None:
    atm = await configured.ok("GET", "/oauth/accessTokenManagers/ref")
    atm["configuration"] = {"fields": [{"name": "Token Length", "value": "64"}]}
    await configured.ok("PUT", "/oauth/accessTokenManagers/ref", atm)
    assert len((await runtime.access_token())["access_token"]) == 64


async def test_metadata_and_heartbeat(configured: Admin, runtime: Runtime) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = await runtime.client.get("http://127.0.0.1:9031" + path)
        assert response.status_code == 200
        meta = response.json()
        assert meta["issuer"] == "http://127.0.0.1:9031"
        assert meta["token_endpoint"] == "http://127.0.0.1:9031/as/token.oauth2"
        assert meta["introspection_endpoint"].endswith("/as/introspect.oauth2")
        assert meta["revocation_endpoint"].endswith("/as/revoke_token.oauth2")
        assert meta["jwks_uri"] == "http://127.0.0.1:9031/pf/JWKS"
        assert "client_credentials" in meta["grant_types_supported"]
        assert meta["scopes_supported"] == ["read", "rw", "write"]
    beat = await runtime.client.get("http://127.0.0.1:9031/pf/heartbeat.ping")
    assert beat.status_code == 200 and beat.text == "OK"

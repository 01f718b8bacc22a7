"""Admin API: OAuth clients and their secrets."""

from __future__ import annotations

from tests.conftest import Admin, Runtime


async def test_secret_is_never_returned_only_encrypted(admin: Admin) -> None:
    created = await admin.client_app("app", "top-secret-value-123")
    assert "secret" not in created["clientAuth"]
    assert created["clientAuth"]["encryptedSecret"].startswith("OBF:JWE:")
    assert "top-secret-value-123" not in str(created)
    fetched = await admin.ok("GET", "/oauth/clients/app")
    assert "secret" not in fetched["clientAuth"] and "_secretDigest" not in fetched
    listing = await admin.ok("GET", "/oauth/clients")
    assert "top-secret-value-123" not in str(listing)
    secret = await admin.ok("GET", "/oauth/clients/app/clientAuth/clientSecret")
    assert secret["encryptedSecret"] == fetched["clientAuth"]["encryptedSecret"]


async def test_encrypted_secret_round_trip_keeps_the_secret(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm()
    created = await admin.client_app("app")
    created["description"] = "changed"
    await admin.ok("PUT", "/oauth/clients/app", created)
    assert (await runtime.token({"grant_type": "client_credentials"}, ("app", "app-secret-0123456789"))
            ).status_code == 200
    foreign = dict(created)
    foreign["clientAuth"] = {"type": "SECRET", "encryptedSecret": "OBF:JWE:eyJhbGciOiJkaXIifQ..a.b.c"}
    refused = await admin.put("/oauth/clients/app", foreign)
    assert refused.status_code == 422
    assert refused.json()["validationErrors"][0]["fieldPath"] == "clientAuth.encryptedSecret"


async def test_changing_the_secret_and_retention(admin: Admin, runtime: Runtime, clock: object) -> None:
    await admin.reference_atm()
    await admin.client_app("app", "first-secret-000000", clientSecretRetentionPeriodType="OVERRIDE_SERVER_DEFAULT",
                           clientSecretRetentionPeriod=10)
    result = await admin.ok("PUT", "/oauth/clients/app/clientAuth/clientSecret", {"secret": "second-secret-00000"})
    assert len(result["secondarySecrets"]) == 1
    assert (await runtime.token({"grant_type": "client_credentials"}, ("app", "second-secret-00000"))
            ).status_code == 200
    # the old secret works for the retention period only
    assert (await runtime.token({"grant_type": "client_credentials"}, ("app", "first-secret-000000"))
            ).status_code == 200
    clock.advance(11 * 60)  # type: ignore[attr-defined]
    assert (await runtime.token({"grant_type": "client_credentials"}, ("app", "first-secret-000000"))
            ).status_code == 401


async def test_without_retention_the_old_secret_stops_at_once(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm()
    await admin.client_app("app", "first-secret-000000")
    await admin.ok("PUT", "/oauth/clients/app/clientAuth/clientSecret", {"secret": "second-secret-00000"})
    assert (await runtime.token({"grant_type": "client_credentials"}, ("app", "first-secret-000000"))
            ).status_code == 401


async def test_client_validation(admin: Admin) -> None:
    response = await admin.post("/oauth/clients", {
        "clientId": "bad id", "name": "", "grantTypes": ["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"],
        "clientAuth": {"type": "SECRET"},
        "defaultAccessTokenManagerRef": {"id": "ghost"}, "restrictedScopes": ["nope"]})
    assert response.status_code == 422
    paths = {e["fieldPath"] for e in response.json()["validationErrors"]}
    assert paths >= {"clientId", "name", "redirectUris", "clientAuth.secret", "defaultAccessTokenManagerRef.id",
                     "restrictedScopes[0]"}  # AUTHORIZATION_CODE needs a redirect URI
    public = await admin.post("/oauth/clients", {"clientId": "pub", "name": "pub",
                                                 "grantTypes": ["CLIENT_CREDENTIALS"], "clientAuth": {"type": "NONE"}})
    assert public.status_code == 422
    bad_enum = await admin.post("/oauth/clients", {"clientId": "x", "name": "x", "grantTypes": ["MAGIC"]})
    assert bad_enum.status_code == 422
    assert bad_enum.json()["validationErrors"][0]["fieldPath"] == "grantTypes[0]"


async def test_duplicate_list_filter_delete(admin: Admin) -> None:
    await admin.client_app("alpha")
    await admin.client_app("beta")
    duplicate = await admin.post("/oauth/clients", {"clientId": "alpha", "name": "a",
                                                    "grantTypes": ["CLIENT_CREDENTIALS"],
                                                    "clientAuth": {"type": "SECRET", "secret": "xxxxxxxxxxxx"}})
    assert duplicate.status_code == 422
    filtered = await admin.ok("GET", "/oauth/clients?filter=alp")
    assert [c["clientId"] for c in filtered["items"]] == ["alpha"]
    page = await admin.ok("GET", "/oauth/clients?page=2&numberPerPage=1")
    assert [c["clientId"] for c in page["items"]] == ["beta"]
    await admin.ok("DELETE", "/oauth/clients/alpha")
    assert (await admin.get("/oauth/clients/alpha")).status_code == 404
    assert (await admin.delete("/oauth/clients/alpha")).status_code == 404


async def test_client_in_atm_allow_list_cannot_be_deleted(admin: Admin) -> None:
    await admin.client_app("app")
    await admin.reference_atm("ref", accessControlSettings={"restrictClients": True, "allowedClients": [{"id": "app"}]})
    refused = await admin.delete("/oauth/clients/app")
    assert refused.status_code == 422
    assert "'ref'" in refused.json()["validationErrors"][0]["message"]


async def test_update_without_client_auth_keeps_secret_and_secondaries(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm()
    await admin.client_app("app", "first-secret-000000", clientSecretRetentionPeriodType="OVERRIDE_SERVER_DEFAULT",
                           clientSecretRetentionPeriod=10)
    await admin.ok("PUT", "/oauth/clients/app/clientAuth/clientSecret", {"secret": "second-secret-00000"})
    await admin.ok("PUT", "/oauth/clients/app", {"clientId": "app", "name": "renamed",
                                                 "grantTypes": ["CLIENT_CREDENTIALS"],
                                                 "clientSecretRetentionPeriodType": "OVERRIDE_SERVER_DEFAULT",
                                                 "clientSecretRetentionPeriod": 10})
    for secret in ("first-secret-000000", "second-secret-00000"):
        assert (await runtime.token({"grant_type": "client_credentials"}, ("app", secret))).status_code == 200


async def test_short_secret_and_zoneless_expiry(admin: Admin) -> None:
    short = await admin.post("/oauth/clients", {"clientId": "x", "name": "x", "grantTypes": ["CLIENT_CREDENTIALS"],
                                                "clientAuth": {"type": "SECRET", "secret": "short"}})
    assert short.status_code == 422
    assert short.json()["validationErrors"][0]["fieldPath"] == "clientAuth.secret"
    created = await admin.ok("POST", "/oauth/clients", {
        "clientId": "y", "name": "y", "grantTypes": ["CLIENT_CREDENTIALS"],
        "clientAuth": {"type": "SECRET", "secret": "long-enough-secret",
                       "secondarySecrets": [{"secret": "older-secret-0000", "expiryTime": "2099-01-01T00:00:00"}]}})
    assert created["clientAuth"]["secondarySecrets"][0]["expiryTime"] == "2099-01-01T00:00:00Z"


async def test_non_json_body_is_415_and_too_large_413(admin: Admin) -> None:
    response = await admin.client.post("http://127.0.0.1:9999/pf-admin-api/v1/oauth/clients",
                                       content=b"clientId=x", headers={"content-type": "text/plain"})
    assert response.status_code == 415 and response.json()["resultId"] == "unsupported_media_type"
    huge = await admin.client.post("http://127.0.0.1:9999/pf-admin-api/v1/oauth/clients",
                                   content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                                   headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["resultId"] == "request_too_large"


async def test_settings_the_server_cannot_enforce_are_refused_not_ignored(admin: Admin) -> None:
    base = {"clientId": "strict", "name": "strict", "grantTypes": ["CLIENT_CREDENTIALS"],
            "clientAuth": {"type": "SECRET", "secret": "strict-secret-0123456789"}}
    for key, value in (("requireDpop", True), ("persistentGrantIdleTimeoutType", "INDEFINITE_EXPIRY"),
                       ("lockoutMaxMaliciousActionsType", "OVERRIDE_SERVER_DEFAULT"),
                       ("tokenIntrospectionSigningAlgorithm", "RS256")):
        response = await admin.post("/oauth/clients", {**base, key: value})
        assert response.status_code == 422, key
        error = response.json()["validationErrors"][0]
        assert error["fieldPath"] == key and "cannot be honoured" in error["message"]
    assert (await admin.get("/oauth/clients/strict")).status_code == 404
    # Their defaults, as PingFederate's Terraform provider sends them, are stored as sent.
    created = await admin.ok("POST", "/oauth/clients", {
        **base, "requireDpop": False, "persistentGrantExpirationType": "SERVER_DEFAULT",
        "persistentGrantIdleTimeoutType": "SERVER_DEFAULT", "lockoutMaxMaliciousActionsType": "DO_NOT_LOCKOUT"})
    assert created["requireDpop"] is False and created["lockoutMaxMaliciousActionsType"] == "DO_NOT_LOCKOUT"

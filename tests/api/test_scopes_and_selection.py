"""Runtime: scope rules (common, exclusive, groups, dynamic, restrictions) and manager selection."""

from __future__ import annotations

from tests.conftest import Admin, Runtime

APP = ("app", "app-secret-0123456789")


async def _scope_of(runtime: Runtime, scope: str, client: tuple[str, str] = APP) -> tuple[int, str]:
    response = await runtime.token({"grant_type": "client_credentials", "scope": scope}, client)
    body = response.json()
    return response.status_code, body.get("scope", body.get("error", ""))


async def test_common_exclusive_and_dynamic_scopes(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm()
    await admin.ok("PUT", "/oauth/authServerSettings", {
        "authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
        "refreshTokenLength": 42,
        "scopes": [{"name": "read", "description": "r"}, {"name": "user:*", "description": "d", "dynamic": True}],
        "exclusiveScopes": [{"name": "admin", "description": "a"}]})
    await admin.client_app()
    await admin.client_app("privileged", "privileged-secret-00", exclusiveScopes=["admin"])
    assert await _scope_of(runtime, "read") == (200, "read")
    assert await _scope_of(runtime, "read read") == (200, "read")
    assert await _scope_of(runtime, "user:42") == (200, "user:42")
    assert await _scope_of(runtime, "user:") == (400, "invalid_scope")
    assert await _scope_of(runtime, "admin") == (400, "invalid_scope")
    assert await _scope_of(runtime, "admin read", ("privileged", "privileged-secret-00")) == (200, "admin read")
    assert await _scope_of(runtime, "unknown") == (400, "invalid_scope")
    no_scope = await runtime.access_token()
    assert "scope" not in no_scope


async def test_restricted_client_and_scope_groups(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("plain")
    await admin.reference_atm("expanding", {"Expand Scope Groups": "true"})
    await admin.scopes(common=("read", "write", "delete"), groups={"rw": ["read", "write"]})
    await admin.client_app(restrictScopes=True, restrictedScopes=["read", "rw"])
    assert await _scope_of(runtime, "delete") == (400, "invalid_scope")
    assert await _scope_of(runtime, "rw") == (200, "rw")
    expanded = await runtime.access_token(scope="rw read", access_token_manager_id="expanding")
    assert expanded["scope"] == "read write"
    assert (await runtime.introspect(expanded["access_token"]))["scope"] == "read write"
    kept = await runtime.access_token(scope="rw", access_token_manager_id="plain")
    assert (await runtime.introspect(kept["access_token"]))["scope"] == "rw"


async def test_manager_selection_order(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("global", {"Token Length": "30"})
    await admin.reference_atm("clientdefault", {"Token Length": "31"})
    await admin.reference_atm("byresource", {"Token Length": "32"},
                              selectionSettings={"resourceUris": ["https://api.example.com/",
                                                                  "https://api.example.com/orders"]})
    await admin.reference_atm("explicit", {"Token Length": "33"})
    await admin.client_app()
    await admin.client_app("pinned", "pinned-secret-000000", defaultAccessTokenManagerRef={"id": "clientdefault"})

    async def length(client: tuple[str, str] = APP, **params: str) -> int:
        return len((await runtime.access_token(client, **params))["access_token"])

    assert await length() == 30
    assert await length(("pinned", "pinned-secret-000000")) == 31
    assert await length(resource="https://api.example.com/orders/7") == 32
    assert await length(aud="https://api.example.com/x") == 32
    assert await length(access_token_manager_id="explicit") == 33


async def test_restrictions_on_managers(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("open")
    await admin.client_app()
    await admin.client_app("pinned", "pinned-secret-000000", defaultAccessTokenManagerRef={"id": "open"},
                           restrictToDefaultAccessTokenManager=True)
    await admin.reference_atm("closed", accessControlSettings={"restrictClients": True,
                                                               "allowedClients": [{"id": "pinned"}]})
    denied = await runtime.token({"grant_type": "client_credentials", "access_token_manager_id": "closed"}, APP)
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"
    pinned = await runtime.token({"grant_type": "client_credentials", "access_token_manager_id": "closed"},
                                 ("pinned", "pinned-secret-000000"))
    assert pinned.status_code == 400 and pinned.json()["error"] == "invalid_request"
    # a token of a restricted manager is not revealed to introspecting clients outside its allow list
    await admin.client_app("allowed", "allowed-secret-00000")
    atm = await admin.ok("GET", "/oauth/accessTokenManagers/closed")
    atm["accessControlSettings"]["allowedClients"] = [{"id": "pinned"}, {"id": "allowed"}]
    await admin.ok("PUT", "/oauth/accessTokenManagers/closed", atm)
    token = (await runtime.access_token(("allowed", "allowed-secret-00000"),
                                        access_token_manager_id="closed"))["access_token"]
    assert (await runtime.introspect(token, ("allowed", "allowed-secret-00000")))["active"] is True
    assert await runtime.introspect(token, APP) == {"active": False}


async def test_no_manager_configured(admin: Admin, runtime: Runtime) -> None:
    await admin.client_app()
    response = await runtime.token({"grant_type": "client_credentials"}, APP)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_a_restricted_client_without_a_default_is_held_to_the_servers_default(admin: Admin,
                                                                                    runtime: Runtime) -> None:
    # PingFederate's Terraform provider sends restrictToDefaultAccessTokenManager without a
    # defaultAccessTokenManagerRef; the server's default manager is then the only one allowed.
    await admin.reference_atm("main")
    await admin.reference_atm("other")
    await admin.ok("PUT", "/oauth/accessTokenManagers/settings", {"defaultAccessTokenManagerRef": {"id": "main"}})
    await admin.client_app("held", "held-secret-00000000", restrictToDefaultAccessTokenManager=True)
    assert (await runtime.access_token(("held", "held-secret-00000000")))["access_token"]
    other = await runtime.token({"grant_type": "client_credentials", "access_token_manager_id": "other"},
                                ("held", "held-secret-00000000"))
    assert other.status_code == 400 and other.json()["error"] == "invalid_request"
    assert "default access token manager" in other.json()["error_description"]

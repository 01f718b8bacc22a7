"""Runtime: lifetime extension of reference tokens, driven by the injected clock."""

from __future__ import annotations

from tests.conftest import SIMPLE_PCV, Admin, Runtime

APP = ("app", "app-secret-0123456789")
MINUTE = 60.0


async def _setup(admin: Admin, **fields: str) -> None:
    await admin.reference_atm("ref", {"Token Lifetime": "60", **fields})
    await admin.client_app(grants=("CLIENT_CREDENTIALS", "RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN",
                                   "ACCESS_TOKEN_VALIDATION"))


async def test_no_extension_under_none(admin: Admin, runtime: Runtime, clock: object) -> None:
    await _setup(admin)
    token = (await runtime.access_token())["access_token"]
    first = await runtime.introspect(token)
    clock.advance(55 * MINUTE)  # type: ignore[attr-defined]
    assert (await runtime.introspect(token))["exp"] == first["exp"]
    clock.advance(5 * MINUTE)  # type: ignore[attr-defined]
    assert await runtime.introspect(token) == {"active": False}


async def test_extension_only_below_threshold(admin: Admin, runtime: Runtime, clock: object, node: object) -> None:
    await _setup(admin, **{"Lifetime Extension Policy": "ALL", "Lifetime Extension Threshold Percentage": "30"})
    token = (await runtime.access_token())["access_token"]
    issued_exp = (await runtime.introspect(token))["exp"]
    writes = node.state.writes  # type: ignore[attr-defined]
    clock.advance(42 * MINUTE)  # 18 minutes left: exactly 30 % of 60, not below it
    assert (await runtime.introspect(token))["exp"] == issued_exp
    assert node.state.writes == writes  # type: ignore[attr-defined]
    clock.advance(1)  # type: ignore[attr-defined]
    extended = await runtime.introspect(token)
    assert extended["exp"] == int(clock.now() + 60 * MINUTE)  # type: ignore[attr-defined]
    assert node.state.writes == writes + 1  # type: ignore[attr-defined]
    # right after an extension, validations write nothing
    for _ in range(5):
        clock.advance(MINUTE)  # type: ignore[attr-defined]
        assert (await runtime.introspect(token))["exp"] == extended["exp"]
    assert node.state.writes == writes + 1  # type: ignore[attr-defined]


async def test_extension_never_passes_the_maximum_lifetime(admin: Admin, runtime: Runtime, clock: object) -> None:
    await _setup(admin, **{"Lifetime Extension Policy": "ALL", "Maximum Token Lifetime": "90"})
    token = (await runtime.access_token())["access_token"]
    info = await runtime.introspect(token)
    cap = info["iat"] + 90 * MINUTE
    for _ in range(10):
        clock.advance(45 * MINUTE)  # type: ignore[attr-defined]
        info = await runtime.introspect(token)
        if not info["active"]:
            break
        assert info["exp"] <= cap
    assert info == {"active": False}
    assert clock.now() >= cap  # type: ignore[attr-defined]


async def test_transient_policy_skips_tokens_with_persistent_grants(admin: Admin, runtime: Runtime,
                                                                   clock: object) -> None:
    await _setup(admin, **{"Lifetime Extension Policy": "TRANSIENT"})
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "S", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": {"tables": [{"name": "Users", "rows": [{"fields": [
            {"name": "Username", "value": "alice"}, {"name": "Password", "value": "alice-password"},
            {"name": "Confirm Password", "value": "alice-password"}]}]}]}})
    transient = (await runtime.access_token())["access_token"]
    persistent = (await runtime.token({"grant_type": "password", "username": "alice",
                                       "password": "alice-password"}, APP)).json()
    assert "refresh_token" in persistent
    before = {t: (await runtime.introspect(t))["exp"] for t in (transient, persistent["access_token"])}
    clock.advance(50 * MINUTE)  # type: ignore[attr-defined]
    assert (await runtime.introspect(transient))["exp"] > before[transient]
    assert (await runtime.introspect(persistent["access_token"]))["exp"] == before[persistent["access_token"]]

"""An independent OAuth client, Authlib's, runs the device authorization grant (RFC 8628): it asks for
the codes, then polls the token endpoint the way a device does (Authlib has no device helper, so its
generic ``fetch_token`` with the device_code grant type), waiting ``interval`` seconds on the test
clock and adding 5 on ``slow_down``, while the user approves on the user page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.authzkit import RS
from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tests.devicekit import DEVICE_AUTHZ, DEVICE_GRANT, TV, approve, configure_device
from tokensmith.clock import FakeClock
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

TOKEN = RUNTIME_BASE + "/as/token.oauth2"


@pytest.fixture
async def transport(node: Node, settings: Settings) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=build_app(node, settings), client=("192.0.2.30", 40000))


@pytest.fixture
async def tv(transport: httpx.ASGITransport) -> AsyncIterator[AsyncOAuth2Client]:
    async with AsyncOAuth2Client(TV[0], TV[1], scope="read", token_endpoint_auth_method="client_secret_basic",
                                 transport=transport) as client:
        yield client


async def _codes(client: AsyncOAuth2Client, **data: str) -> dict[str, Any]:
    response = await client.request("POST", DEVICE_AUTHZ, data=data, withhold_token=True,
                                    auth=httpx.BasicAuth(*TV) if client.client_secret else None)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _poll_until_done(client: AsyncOAuth2Client, codes: dict[str, Any], clock: FakeClock,
                           on_pending: Any = None) -> tuple[dict[str, Any], list[str]]:
    """Poll like a device: wait ``interval`` (on the test clock), slow down when told; the token and the
    errors seen on the way."""
    interval, seen = int(codes["interval"]), []
    for _ in range(20):
        try:
            token = await client.fetch_token(TOKEN, grant_type=DEVICE_GRANT, device_code=codes["device_code"])
            return dict(token), seen
        except OAuthError as error:
            seen.append(error.error)
            if error.error == "slow_down":
                interval += 5
            elif error.error != "authorization_pending":
                raise
            if on_pending is not None and error.error == "authorization_pending":
                await on_pending()
                on_pending = None
        clock.advance(interval)
    raise AssertionError(f"no token after 20 polls: {seen}")


async def test_authlib_polls_until_the_user_approves(admin: Admin, runtime: Runtime, clock: FakeClock,
                                                     tv: AsyncOAuth2Client) -> None:
    await configure_device(admin)
    codes = await _codes(tv, scope="read")
    with pytest.raises(OAuthError, match="authorization_pending"):
        await tv.fetch_token(TOKEN, grant_type=DEVICE_GRANT, device_code=codes["device_code"])
    with pytest.raises(OAuthError, match="slow_down"):  # at once again: sooner than the interval
        await tv.fetch_token(TOKEN, grant_type=DEVICE_GRANT, device_code=codes["device_code"])
    clock.advance(11)  # the interval is 10 s now

    async def user_approves() -> None:
        done = await approve(runtime.client, str(codes["user_code"]))
        assert "Device connected" in done.text

    token, seen = await _poll_until_done(tv, codes, clock, user_approves)
    assert seen == ["authorization_pending"]
    assert token["token_type"] == "Bearer" and token["scope"] == "read" and token["refresh_token"]
    info = await runtime.introspect(token["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["client_id"] == "tv" and info["via"] == DEVICE_GRANT
    clock.advance(codes["interval"])
    with pytest.raises(OAuthError, match="invalid_grant"):  # the device code is spent
        await tv.fetch_token(TOKEN, grant_type=DEVICE_GRANT, device_code=codes["device_code"])
    refreshed = await tv.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    assert (await runtime.introspect(refreshed["access_token"], auth=RS))["user"] == "alice"


async def test_authlib_public_client_sees_access_denied(admin: Admin, runtime: Runtime, clock: FakeClock,
                                                        transport: httpx.ASGITransport) -> None:
    await configure_device(admin)
    async with AsyncOAuth2Client("cli", token_endpoint_auth_method="none", transport=transport) as cli:
        codes = await _codes(cli, client_id="cli")

        async def user_denies() -> None:
            await approve(runtime.client, str(codes["user_code"]), "deny")

        with pytest.raises(OAuthError, match="access_denied"):
            await _poll_until_done(cli, codes, clock, user_denies)

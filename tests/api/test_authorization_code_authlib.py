"""An independent OAuth client, Authlib's, runs the authorization code flow with PKCE against the
server: it builds the authorization URL (S256 challenge, state), a browser-like httpx client follows
the sign-in and consent forms, and Authlib checks the state and redeems the code with its verifier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.authzkit import AUTHZ, REDIRECT, RS, configure, consent, query_of, sign_in
from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

TOKEN = RUNTIME_BASE + "/as/token.oauth2"


@pytest.fixture
async def oauth(node: Node, settings: Settings) -> AsyncIterator[AsyncOAuth2Client]:
    transport = httpx.ASGITransport(app=build_app(node, settings), client=("192.0.2.20", 40000))
    async with AsyncOAuth2Client("web", "web-secret-0123456789", redirect_uri=REDIRECT, scope="read write",
                                 code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic",
                                 transport=transport) as client:
        yield client


async def _browser(runtime: Runtime, url: str) -> str:
    """The user's browser: open the authorization URL, sign in, allow; the redirect it lands on."""
    page = await runtime.client.get(url)
    assert page.status_code == 200, page.text
    done = await consent(runtime.client, await sign_in(runtime.client, page))
    assert done.status_code == 302, done.text
    return done.headers["location"]


async def test_authlib_completes_the_code_flow_with_pkce(admin: Admin, runtime: Runtime,
                                                        oauth: AsyncOAuth2Client) -> None:
    await configure(admin, requireProofKeyForCodeExchange=True)
    await admin.scopes(common=("read", "write"), disallowPlainPKCE=True, includeIssuerInAuthorizationResponse=True)
    verifier = generate_token(64)
    url, state = oauth.create_authorization_url(AUTHZ, code_verifier=verifier, state=generate_token(20))
    params = query_of(url)
    assert params["code_challenge_method"] == "S256" and params["redirect_uri"] == REDIRECT
    location = await _browser(runtime, url)
    assert location.startswith(REDIRECT + "?") and query_of(location)["state"] == state
    meta = (await runtime.client.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()
    assert query_of(location)["iss"] == meta["issuer"]  # RFC 9207: the client can check who answered
    token = await oauth.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier, state=state)
    assert token["token_type"] == "Bearer" and token["scope"] == "read write" and token["refresh_token"]
    info = await runtime.introspect(token["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["client_id"] == "web"
    assert info["via"] == "authorization_code"
    refreshed = await oauth.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    assert (await runtime.introspect(refreshed["access_token"], auth=RS))["user"] == "alice"


async def test_authlib_sees_a_replayed_code_refused(admin: Admin, runtime: Runtime, oauth: AsyncOAuth2Client) -> None:
    await configure(admin)
    verifier = generate_token(64)
    url, state = oauth.create_authorization_url(AUTHZ, code_verifier=verifier)
    location = await _browser(runtime, url)
    first = await oauth.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier, state=state)
    with pytest.raises(Exception, match="invalid_grant"):
        await oauth.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier, state=state)
    assert await runtime.introspect(first["access_token"], auth=RS) == {"active": False}


async def test_authlib_with_a_wrong_verifier_gets_invalid_grant(admin: Admin, runtime: Runtime,
                                                                oauth: AsyncOAuth2Client) -> None:
    await configure(admin)
    url, state = oauth.create_authorization_url(AUTHZ, code_verifier=generate_token(64))
    location = await _browser(runtime, url)
    with pytest.raises(Exception, match="invalid_grant"):
        await oauth.fetch_token(TOKEN, authorization_response=location, code_verifier=generate_token(64), state=state)

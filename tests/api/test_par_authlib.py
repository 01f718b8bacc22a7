"""An independent OAuth client, Authlib's, pushes its authorization request (RFC 9126): Authlib builds
the request (S256 challenge, state), posts it to /as/par.oauth2 with its own client authentication,
a browser-like httpx client opens the authorization endpoint with only client_id and request_uri and
follows the sign-in and consent forms, and Authlib checks the state and redeems the code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

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
PAR = RUNTIME_BASE + "/as/par.oauth2"


@pytest.fixture(params=["client_secret_basic", "client_secret_post"])
async def oauth(request: pytest.FixtureRequest, node: Node, settings: Settings) -> AsyncIterator[AsyncOAuth2Client]:
    transport = httpx.ASGITransport(app=build_app(node, settings), client=("192.0.2.21", 40000))
    async with AsyncOAuth2Client("web", "web-secret-0123456789", redirect_uri=REDIRECT, scope="read write",
                                 code_challenge_method="S256", token_endpoint_auth_method=request.param,
                                 transport=transport) as client:
        yield client


async def _push(oauth: AsyncOAuth2Client, verifier: str) -> tuple[str, str]:
    """Authlib's authorization request, pushed with its client authentication: (request_uri, state)."""
    url, state = oauth.create_authorization_url(AUTHZ, code_verifier=verifier, state=generate_token(20))
    data = query_of(url)
    if oauth.token_endpoint_auth_method == "client_secret_post":
        del data["client_id"]  # Authlib's client_secret_post adds it with the secret; sent twice it is refused
    response = await oauth.post(PAR, data=data, auth=oauth.client_auth(oauth.token_endpoint_auth_method))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:") and body["expires_in"] == 60
    return body["request_uri"], state


def _front_channel(request_uri: str) -> str:
    return AUTHZ + "?" + urlencode({"client_id": "web", "request_uri": request_uri})


async def test_authlib_pushes_then_completes_the_code_flow(admin: Admin, runtime: Runtime,
                                                           oauth: AsyncOAuth2Client) -> None:
    await configure(admin, requireProofKeyForCodeExchange=True, requirePushedAuthorizationRequests=True)
    await admin.scopes(common=("read", "write"), disallowPlainPKCE=True, includeIssuerInAuthorizationResponse=True)
    meta = (await runtime.client.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()
    assert meta["pushed_authorization_request_endpoint"] == PAR
    verifier = generate_token(64)
    request_uri, state = await _push(oauth, verifier)
    page = await runtime.client.get(_front_channel(request_uri))
    assert page.status_code == 200, page.text
    done = await consent(runtime.client, await sign_in(runtime.client, page))
    assert done.status_code == 302, done.text
    location = done.headers["location"]
    assert location.startswith(REDIRECT + "?") and query_of(location)["iss"] == meta["issuer"]
    token = await oauth.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier, state=state)
    assert token["scope"] == "read write" and token["refresh_token"]
    info = await runtime.introspect(token["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["client_id"] == "web"
    again = await runtime.client.get(_front_channel(request_uri))  # the reference worked once
    assert again.status_code == 400 and "location" not in again.headers


async def test_authlib_with_a_wrong_secret_is_refused_at_the_par_endpoint(admin: Admin, node: Node,
                                                                         settings: Settings) -> None:
    await configure(admin)
    transport = httpx.ASGITransport(app=build_app(node, settings), client=("192.0.2.22", 40000))
    async with AsyncOAuth2Client("web", "not-the-secret-0123", redirect_uri=REDIRECT, scope="read",
                                 transport=transport) as oauth:
        url, _ = oauth.create_authorization_url(AUTHZ)
        response = await oauth.post(PAR, data=query_of(url), auth=oauth.client_auth("client_secret_basic"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"

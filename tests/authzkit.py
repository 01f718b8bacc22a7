"""Drives the authorization endpoint's pages like a browser does: follow the forms, carry the cookie."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import RUNTIME_BASE, SIMPLE_PCV, Admin

AUTHZ = RUNTIME_BASE + "/as/authorization.oauth2"
REDIRECT = "https://app.example/callback"
RS = ("rs", "rs-secret-0123456789")  # a resource server: introspects
CSRF = re.compile(r'name="pf\.csrf" value="([^"]+)"')


def users(*pairs: tuple[str, str]) -> dict[str, object]:
    return {"tables": [{"name": "Users", "rows": [
        {"fields": [{"name": "Username", "value": u}, {"name": "Password", "value": p},
                    {"name": "Confirm Password", "value": p}]} for u, p in pairs]}]}


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def configure(admin: Admin, **client: Any) -> None:
    """A reference manager, a validator with alice and bob, an IDP_ADAPTER mapping, scopes, and the
    web client ``web`` (secret, code + refresh) with one redirect URI."""
    await admin.reference_atm("ref", attributes=("user", "via", "name"))
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users(("alice", "alice-password-1"), ("bob", "bob-password-22"))})
    await admin.mapping("IDP_ADAPTER", "ref", {"user": ("OAUTH_PERSISTENT_GRANT", "USER_KEY"),
                                               "via": ("CONTEXT", "GrantType"), "name": ("ADAPTER", "username")},
                        context_ref="simple")
    await admin.scopes(common=("read", "write"))
    body = {"clientId": "web", "name": "Web <App>", "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
            "clientAuth": {"type": "SECRET", "secret": "web-secret-0123456789"}, "redirectUris": [REDIRECT],
            **client}
    await admin.ok("POST", "/oauth/clients", body)
    await admin.client_app("rs", "rs-secret-0123456789", grants=("ACCESS_TOKEN_VALIDATION",))


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return html.unescape(found.group(1))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def sign_in(http: httpx.AsyncClient, page: httpx.Response, user: str = "alice",
                  password: str = "alice-password-1") -> httpx.Response:
    return await http.post(AUTHZ, data={"pf.csrf": csrf_of(page), "pf.action": "signin", "pf.username": user,
                                        "pf.pass": password})


async def consent(http: httpx.AsyncClient, page: httpx.Response, action: str = "allow") -> httpx.Response:
    return await http.post(AUTHZ, data={"pf.csrf": csrf_of(page), "pf.action": action})


async def code_for(http: httpx.AsyncClient, **params: str) -> tuple[str, dict[str, str]]:
    """Run the whole flow for alice; the code and every parameter of the redirect."""
    start = await http.get(AUTHZ, params={"client_id": "web", "response_type": "code", **params})
    assert start.status_code == 200, start.text
    page = await sign_in(http, start)
    assert page.status_code == 200, page.text
    done = await consent(http, page)
    assert done.status_code == 302, done.text
    query = query_of(done.headers["location"])
    return query["code"], query

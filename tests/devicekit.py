"""Drives the device authorization grant: the device's requests, and the user page like a browser."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from tests.authzkit import configure, csrf_of
from tests.conftest import RUNTIME_BASE, Admin

DEVICE_AUTHZ = RUNTIME_BASE + "/as/device_authz.oauth2"
USER_PAGE = RUNTIME_BASE + "/as/user_authz.oauth2"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TV = ("tv", "tv-secret-0123456789")


async def configure_device(admin: Admin, **tv: object) -> None:
    """The authorization code setup of :func:`tests.authzkit.configure` (manager, validator with alice
    and bob, IDP_ADAPTER mapping, scopes read/write), plus the confidential device client ``tv``
    (device code + refresh) and the public device client ``cli``."""
    await configure(admin)
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "tv", "name": "Living Room TV", "grantTypes": ["DEVICE_CODE", "REFRESH_TOKEN"],
        "clientAuth": {"type": "SECRET", "secret": TV[1]}, **tv})
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "cli", "name": "Command Line", "grantTypes": ["DEVICE_CODE"], "clientAuth": {"type": "NONE"}})


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def ask(http: httpx.AsyncClient, auth: tuple[str, str] | None = TV, **data: str) -> httpx.Response:
    """A device authorization request (a form body even when it has no parameters)."""
    return await http.post(DEVICE_AUTHZ, content=urlencode(data), headers=FORM, auth=auth or httpx.USE_CLIENT_DEFAULT)


async def start(http: httpx.AsyncClient, auth: tuple[str, str] | None = TV, **data: str) -> dict[str, object]:
    response = await ask(http, auth, **data)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def poll(http: httpx.AsyncClient, device_code: object, auth: tuple[str, str] | None = TV,
               **data: str) -> httpx.Response:
    return await http.post(RUNTIME_BASE + "/as/token.oauth2", auth=auth,
                           data={"grant_type": DEVICE_GRANT, "device_code": str(device_code), **data})


async def submit(http: httpx.AsyncClient, page: httpx.Response, **fields: str) -> httpx.Response:
    """Post one of the user page's forms with the CSRF token of ``page``."""
    return await http.post(USER_PAGE, data={"pf.csrf": csrf_of(page), **fields})


async def sign_in(http: httpx.AsyncClient, page: httpx.Response, user: str = "alice",
                  password: str = "alice-password-1") -> httpx.Response:
    return await submit(http, page, **{"pf.action": "signin", "pf.username": user, "pf.pass": password})


async def enter(http: httpx.AsyncClient, page: httpx.Response, code: str) -> httpx.Response:
    return await submit(http, page, **{"pf.action": "code", "user_code": code})


async def approve(http: httpx.AsyncClient, user_code: str, action: str = "allow") -> httpx.Response:
    """The default order (AFTER_AUTHENTICATION): open the page, sign in as alice, enter the code, decide."""
    page = await http.get(USER_PAGE)
    assert page.status_code == 200 and "Sign in" in page.text, page.text
    code_page = await sign_in(http, page)
    assert "Enter the code shown on your device" in code_page.text, code_page.text
    consent = await enter(http, code_page, user_code)
    assert "Allow access?" in consent.text, consent.text
    return await submit(http, consent, **{"pf.action": action})

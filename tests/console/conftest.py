"""In-process console tests: the admin listener's application driven through httpx's ASGI
transport, signed in through the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

ADMIN = "http://127.0.0.1:9999"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
FIELD_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-err\d+">([^<]*)</p>')


class ConsoleClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def login(self, password: str = ADMIN_PASSWORD, username: str = "administrator",
                    **extra: str) -> httpx.Response:
        page = await self.http.get("/console/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token is not None, page.text
        response = await self.http.post("/console/login", data={
            "username": username, "password": password, "login_token": token.group(1), "next": "/console/", **extra})
        if response.status_code == 303:
            home = await self.http.get("/console/")
            found = CSRF.search(home.text)
            assert found is not None
            self.csrf = found.group(1)
        return response

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get("/console" + path, **kw)

    async def post(self, path: str, data: dict[str, Any] | None = None, csrf: str | None = None,
                   **kw: Any) -> httpx.Response:
        body = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        return await self.http.post("/console" + path, data=body, **kw)


def field_errors(html: str) -> dict[str, list[str]]:
    """Error messages by the id of the input they are shown next to."""
    found: dict[str, list[str]] = {}
    for input_id, message in FIELD_ERROR.findall(html):
        found.setdefault(input_id, []).append(message.replace("&#39;", "'").replace("&amp;", "&"))
    return found


def app_client(node: Node, settings: Settings, base: str = ADMIN) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(node, settings), client=("198.51.100.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url=base)


@pytest.fixture
async def anonymous(node: Node, settings: Settings) -> AsyncIterator[ConsoleClient]:
    async with app_client(node, settings) as http:
        yield ConsoleClient(http)


@pytest.fixture
async def console(anonymous: ConsoleClient) -> ConsoleClient:
    response = await anonymous.login()
    assert response.status_code == 303, response.text
    return anonymous

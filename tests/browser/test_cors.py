"""Chromium, on a page of another origin, calls the token endpoint of a real two-worker server with
``fetch`` (an ``Authorization`` header, so the browser sends a preflight first): an origin in
``allowedOrigins`` gets the token and can read an error; any other origin is blocked by the browser
itself, which is the only judge of CORS that matters."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD
from tests.system.server import APP, Server, ServerFactory, configure

pytestmark = pytest.mark.system
PAGE = b"<!doctype html><title>SPA</title><p>A browser application</p>"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def spa_port() -> Iterator[int]:
    """A page server on 127.0.0.1 (the browser application's origin), stopped afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory, spa_port: int) -> Iterator[Server]:
    factory = ServerFactory(tmp_path_factory.mktemp("cors-server"))
    try:
        server = factory(workers=2, env_password=PASSWORD)
        with server.admin() as admin:
            configure(admin)
            settings = admin.get("/oauth/authServerSettings").json()
            response = admin.put("/oauth/authServerSettings",
                                 json={**settings, "allowedOrigins": [f"http://127.0.0.1:{spa_port}"]})
            assert response.status_code == 200, response.text
        yield server
    finally:
        factory.close()


FETCH = """async ([url, authorization]) => {
  try {
    const response = await fetch(url, {method: "POST", headers: {"Authorization": authorization,
      "Content-Type": "application/x-www-form-urlencoded"}, body: "grant_type=client_credentials&scope=read"});
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_an_allowed_origin_gets_a_token_and_reads_errors(browser: Any, cors_server: Server, spa_port: int) -> None:
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{spa_port}/")
        url = f"{cors_server.runtime_url}/as/token.oauth2"
        issued = page.evaluate(FETCH, [url, _basic(*APP)])
        assert issued.get("status") == 200, issued
        assert issued["body"]["token_type"] == "Bearer" and issued["body"]["access_token"]
        refused = page.evaluate(FETCH, [url, _basic(APP[0], "not-the-secret-0123456789")])
        assert refused.get("status") == 401 and refused["body"]["error"] == "invalid_client", refused
    finally:
        page.close()


def test_another_origin_is_blocked_by_the_browser(browser: Any, cors_server: Server, spa_port: int) -> None:
    page = browser.new_page()
    try:
        page.goto(f"http://localhost:{spa_port}/")  # same page, another origin: not in allowedOrigins
        blocked = page.evaluate(FETCH, [f"{cors_server.runtime_url}/as/token.oauth2", _basic(*APP)])
        assert "blocked" in blocked and "Failed to fetch" in blocked["blocked"], blocked
    finally:
        page.close()

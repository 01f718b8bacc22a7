"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against a real
``tokensmith serve`` process with two workers on 127.0.0.1. One server and one browser serve the
whole package (one browser for all browser tests); screenshots go to ``test-artifacts/console/``."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.authzkit import users
from tests.conftest import REFERENCE, SIMPLE_PCV
from tests.system.server import Server, ServerFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "console-admin-password-1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="package")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    factory = ServerFactory(tmp_path_factory.mktemp("console-server"))
    try:
        yield factory(workers=2, env_password=PASSWORD)
    finally:
        factory.close()


# Package scope: one browser and one server for every browser test. Playwright's sync API keeps an
# event loop marked running while it is open, so it must close before the asyncio tests of other
# packages run; pytest tears a package fixture down after the package's last test.
@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS, viewport=WIDE,
            accept_downloads=True)
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


class Console:
    """A browser tab on the console, with helpers that act as an administrator would."""

    def __init__(self, page: Any, server: Server) -> None:
        self.page = page
        self.server = server
        self.base = f"http://127.0.0.1:{server.admin_port}/console"

    def go(self, path: str = "/") -> Any:
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def login(self, password: str = PASSWORD) -> None:
        self.page.context.clear_cookies()  # each test signs in afresh
        self.go("/login")
        self.page.get_by_label("Username").fill("administrator")
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def field(self, name: str) -> Any:
        """The input named after an admin API field path."""
        return self.page.locator(f'[name="{name}"]')

    def error_at(self, name: str) -> str:
        """The error text shown next to the input ``name``."""
        input_id = self.field(name).first.get_attribute("id")
        return str(self.page.locator(f'[id^="{input_id}-err"]').all_inner_texts())

    def flash(self) -> str:
        return " ".join(self.page.locator(".flash").all_inner_texts())

    def row(self, text: str) -> Any:
        return self.page.locator("table.listing tbody tr").filter(has_text=re.compile(re.escape(text)))


@pytest.fixture
def console(browser: Any, console_server: Server) -> Iterator[Console]:
    page = browser.new_page()
    try:
        yield Console(page, console_server)
    finally:
        page.close()


RS = ("rs", "rs-secret-0123456789")  # a resource server: introspects the tokens the browser flows get


def configure_sign_in(server: Server, client: dict[str, Any], **settings: Any) -> None:
    """What the authorization and device pages need: a reference manager filled from the sign-in
    (IDP_ADAPTER mapping of the simple validator with alice), ``client``, the resource server ``rs``
    and authorization server settings with the scope ``read`` plus ``settings``."""
    with server.admin() as admin:
        for path, body in (
            ("/oauth/accessTokenManagers", {
                "id": "ref", "name": "Reference", "pluginDescriptorRef": {"id": REFERENCE},
                "configuration": {"fields": []},
                "attributeContract": {"extendedAttributes": [{"name": "user"}]}}),
            ("/passwordCredentialValidators", {
                "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
                "configuration": users(("alice", "alice-password-1"))}),
            ("/oauth/accessTokenMappings", {
                "context": {"type": "IDP_ADAPTER", "contextRef": {"id": "simple"}},
                "accessTokenManagerRef": {"id": "ref"},
                "attributeContractFulfillment": {"user": {"source": {"type": "ADAPTER"}, "value": "username"}}}),
            ("/oauth/clients", client),
            ("/oauth/clients", {
                "clientId": "rs", "name": "rs", "grantTypes": ["ACCESS_TOKEN_VALIDATION"],
                "clientAuth": {"type": "SECRET", "secret": RS[1]}}),
        ):
            response = admin.post(path, json=body)
            assert response.status_code == 201, response.text
        body = {"authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
                "refreshTokenLength": 42, "scopes": [{"name": "read", "description": "Read your data"}], **settings}
        assert admin.put("/oauth/authServerSettings", json=body).status_code == 200


@contextmanager
def sign_in_server(tmp_path_factory: pytest.TempPathFactory, name: str, client: dict[str, Any],
                   **settings: Any) -> Iterator[Server]:
    """A two-worker server set up by :func:`configure_sign_in`, stopped afterwards."""
    factory = ServerFactory(tmp_path_factory.mktemp(name))
    try:
        server = factory(workers=2, env_password=PASSWORD)
        configure_sign_in(server, client, **settings)
        yield server
    finally:
        factory.close()

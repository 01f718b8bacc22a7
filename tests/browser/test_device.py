"""A user connects a device through the real user page in Chromium, against a real two-worker server:
the device asks for its codes and polls over HTTP, the user opens verification_uri_complete, signs in
(wrong password first), confirms the code the link carried, allows, and the device's next poll gets a
token that introspects as the user. A wrong code is shown as an error. No page may log a Content
Security Policy violation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, RS, sign_in_server
from tests.system.server import Server

pytestmark = pytest.mark.system
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def device_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with sign_in_server(tmp_path_factory, "device-server", {
        "clientId": "tv", "name": "Living Room TV", "grantTypes": ["DEVICE_CODE"],
        "clientAuth": {"type": "NONE"}}, devicePollingInterval=1) as server:
        yield server


@pytest.fixture
def tab(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    page = browser.new_page()
    page.context.clear_cookies()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    try:
        yield page, messages
    finally:
        page.close()


def _codes(server: Server) -> dict[str, Any]:
    with server.client() as http:
        response = http.post("/as/device_authz.oauth2", data={"client_id": "tv", "scope": "read"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _poll(server: Server, device_code: str) -> Any:
    with server.client() as http:
        return http.post("/as/token.oauth2", data={"grant_type": DEVICE_GRANT, "device_code": device_code,
                                                   "client_id": "tv"})


def test_a_user_connects_a_device_with_the_link(tab: Any, device_server: Server) -> None:
    page, messages = tab
    codes = _codes(device_server)
    assert _poll(device_server, codes["device_code"]).json()["error"] == "authorization_pending"
    page.goto(codes["verification_uri_complete"])
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert "not correct" in page.get_by_role("alert").inner_text()
    page.get_by_label("Password").fill("alice-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Connect a device").wait_for()
    assert page.get_by_label("Activation code").input_value() == codes["user_code"]  # shown to confirm
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Allow access?").wait_for()
    assert "Living Room TV" in page.content() and "read" in page.locator("li").all_inner_texts()
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Device connected").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "device-connected.png"), full_page=True)
    token = None
    for _ in range(5):  # the interval is 1 s: a poll sooner than that is slow_down
        response = _poll(device_server, codes["device_code"])
        if response.status_code == 200:
            token = response.json()
            break
        assert response.json()["error"] == "slow_down", response.text
        time.sleep(1.5)
    assert token is not None
    with device_server.client() as http:
        info = http.post("/as/introspect.oauth2", auth=RS, data={"token": token["access_token"]}).json()
    assert info["active"] and info["user"] == "alice" and info["client_id"] == "tv"
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_a_wrong_code_is_an_error_on_the_page(tab: Any, device_server: Server) -> None:
    page, messages = tab
    page.goto(f"{device_server.runtime_url}/as/user_authz.oauth2")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Activation code").fill("bbbb-bbbb")
    page.get_by_role("button", name="Continue").click()
    assert "not valid" in page.get_by_role("alert").inner_text()
    assert not [m for m in messages if "Content Security Policy" in m], messages

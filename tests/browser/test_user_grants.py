"""A user reviews and revokes an application's lasting access on the grant page in Chromium, against
a real two-worker server; the grant management web service on the same listener sees the change. No
page may log a Content Security Policy violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, Console, sign_in_server
from tests.system.server import Server

pytestmark = pytest.mark.system
APP = ("pw", "pw-secret-0123456789")
XSRF = {"X-XSRF-Header": "PingFederate"}


@pytest.fixture(scope="module")
def grants_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with sign_in_server(tmp_path_factory, "grants-server", {
        "clientId": "pw", "name": "Example Mail App", "grantTypes": ["RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN"],
        "clientAuth": {"type": "SECRET", "secret": APP[1]}}, adminWebServicePcvRef={"id": "simple"}) as server:
        yield server


def _grant(server: Server) -> str:
    with server.client() as http:
        issued = http.post("/as/token.oauth2", auth=APP, data={"grant_type": "password", "username": "alice",
                                                               "password": "alice-password-1", "scope": "read"})
        assert issued.status_code == 200, issued.text
        return str(issued.json()["refresh_token"])


def test_a_user_revokes_an_applications_access(browser: Any, grants_server: Server) -> None:
    refresh = _grant(grants_server)
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    try:
        page.goto(f"{grants_server.runtime_url}/as/oauth_access_grants.ping")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("alice-password-1")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Your application access").wait_for()
        assert "Example Mail App" in page.locator("li").all_inner_texts()[0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "user-grants.png"), full_page=True)
        with grants_server.client() as http:
            listed = http.get("/pf-ws/rest/oauth/users/alice/grants", auth=("alice", "alice-password-1"),
                              headers=XSRF)
            assert listed.status_code == 200 and len(listed.json()["items"]) == 1, listed.text
        page.get_by_role("button", name="Revoke access").click()
        page.get_by_role("status").wait_for()
        assert page.get_by_role("status").inner_text() == "Access revoked."
        assert "No application has lasting access" in page.content()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Signed out").wait_for()
    finally:
        page.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages
    with grants_server.client() as http:
        again = http.post("/as/token.oauth2", auth=APP, data={"grant_type": "refresh_token", "refresh_token": refresh})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        listed = http.get("/pf-ws/rest/oauth/users/alice/grants", auth=("alice", "alice-password-1"), headers=XSRF)
        assert listed.json() == {"items": []}
        deleted = http.delete("/pf-ws/rest/oauth/clients/pw/grants", auth=("alice", "alice-password-1"), headers=XSRF)
        assert deleted.status_code == 204


def test_an_administrator_finds_and_revokes_a_grant_in_the_console(browser: Any, grants_server: Server) -> None:
    refresh = _grant(grants_server)
    page = browser.new_page()
    try:
        console = Console(page, grants_server)
        console.login()
        console.go("/oauth/grants")
        page.get_by_label("User key").fill("alice")
        page.get_by_role("button", name="Find grants").click()
        row = console.row("Example Mail App")
        assert "Resource Owner Password Credentials" in row.inner_text() and "read" in row.inner_text()
        console.shot("console-grants")
        page.get_by_label("Client").select_option("pw")
        page.get_by_role("button", name="Find grants").click()
        console.row("Example Mail App").get_by_role("link", name="Revoke").click()
        page.get_by_role("heading", name=re.compile("Revoke the grant of")).wait_for()
        confirm = page.url
        page.get_by_role("button", name="Revoke").click()
        assert "Revoked the grant of alice to pw" in console.flash()
        assert "No unexpired grant matches." in page.content()
        assert page.get_by_label("User key").input_value() == "alice"  # back to the same search
        page.goto(confirm)  # a stale link to the revoked grant
        assert "no longer exists" in console.flash()
    finally:
        page.close()
    with grants_server.client() as http:
        again = http.post("/as/token.oauth2", auth=APP, data={"grant_type": "refresh_token", "refresh_token": refresh})
        assert again.status_code == 400

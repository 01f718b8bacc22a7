"""A user signs in through the real authorization pages in Chromium, against a real two-worker server:
the sign-in form, the consent page, the redirect with the code (the callback is answered by the test
through request interception), and a form_post response run by its nonce-allowed script. No page may
log a Content Security Policy violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from tests.authzkit import pkce, query_of
from tests.browser.conftest import ARTIFACTS, RS, sign_in_server
from tests.system.server import Server, free_ports

pytestmark = pytest.mark.system
CALLBACK_PORT = free_ports(1)[0]  # nothing listens here: the browser's request is intercepted
CALLBACK = f"http://127.0.0.1:{CALLBACK_PORT}/cb"
WEB = ("web", "web-secret-0123456789")


@pytest.fixture(scope="module")
def authz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with sign_in_server(tmp_path_factory, "authz-server", {
        "clientId": "web", "name": "Example Web App", "grantTypes": ["AUTHORIZATION_CODE"],
        "clientAuth": {"type": "SECRET", "secret": WEB[1]}, "redirectUris": [CALLBACK],
        "requireProofKeyForCodeExchange": True}, disallowPlainPKCE=True) as server:
        yield server


@pytest.fixture
def tab(browser: Any) -> Iterator[tuple[Any, list[str], list[Any]]]:
    """A page whose console messages and callback requests are recorded."""
    page = browser.new_page()
    page.context.clear_cookies()
    messages: list[str] = []
    callbacks: list[Any] = []
    page.on("console", lambda message: messages.append(message.text))

    def callback(route: Any) -> None:
        callbacks.append(route.request)
        route.fulfill(status=200, body="signed in", content_type="text/plain")

    page.route(f"http://127.0.0.1:{CALLBACK_PORT}/**", callback)
    try:
        yield page, messages, callbacks
    finally:
        page.close()


def _start(page: Any, server: Server, challenge: str, **extra: str) -> None:
    params = {"client_id": "web", "response_type": "code", "scope": "read", "state": "st-1",
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    page.goto(f"{server.runtime_url}/as/authorization.oauth2?{urlencode(params)}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert "not correct" in page.get_by_role("alert").inner_text()
    page.get_by_label("Password").fill("alice-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Allow access?").wait_for()
    assert "read" in page.locator("li").all_inner_texts()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "authorization-consent.png"), full_page=True)
    page.get_by_role("button", name="Allow").click()


def _redeem(server: Server, code: str, verifier: str) -> None:
    with server.client() as http:
        issued = http.post("/as/token.oauth2", auth=WEB, data={"grant_type": "authorization_code", "code": code,
                                                               "code_verifier": verifier})
        assert issued.status_code == 200, issued.text
        info = http.post("/as/introspect.oauth2", auth=RS, data={"token": issued.json()["access_token"]}).json()
        assert info["active"] and info["user"] == "alice" and info["scope"] == "read"


def test_a_user_signs_in_and_the_client_gets_a_code(tab: Any, authz_server: Server) -> None:
    page, messages, callbacks = tab
    verifier, challenge = pkce()
    _start(page, authz_server, challenge)
    page.wait_for_url(f"{CALLBACK}?*")
    query = query_of(page.url)
    assert query["state"] == "st-1" and callbacks and callbacks[0].method == "GET"
    _redeem(authz_server, query["code"], verifier)
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_form_post_is_submitted_by_the_nonce_allowed_script(tab: Any, authz_server: Server) -> None:
    page, messages, callbacks = tab
    verifier, challenge = pkce()
    _start(page, authz_server, challenge, response_mode="form_post")
    page.wait_for_url(CALLBACK)
    posted = callbacks[0]
    assert posted.method == "POST"
    fields = {k: v[0] for k, v in parse_qs(posted.post_data).items()}
    assert fields["state"] == "st-1"
    _redeem(authz_server, fields["code"], verifier)
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_an_unregistered_redirect_uri_stays_on_the_error_page(tab: Any, authz_server: Server) -> None:
    page, _, callbacks = tab
    params = {"client_id": "web", "response_type": "code", "redirect_uri": "https://evil.example/cb"}
    response = page.goto(f"{authz_server.runtime_url}/as/authorization.oauth2?{urlencode(params)}")
    assert response.status == 400 and page.url.startswith(authz_server.runtime_url)
    assert "not registered" in page.content() and not callbacks

"""Console: SP connections are listed with their partner service ids, token type, processors and
state, and deleted after a confirmation (CSRF-protected)."""

from __future__ import annotations

import html

from tests.conftest import Admin
from tests.console.conftest import ConsoleClient
from tests.stskit import SERVICE, sp_connection, sp_setup

PAGE = "/token-exchange/sp-connections"


async def test_sp_connections_are_listed_and_deleted(console: ConsoleClient, admin: Admin) -> None:
    empty = await console.get(PAGE)
    assert empty.status_code == 200 and "No SP connection exists yet." in empty.text
    await sp_setup(admin)
    await admin.ok("POST", "/idp/spConnections", sp_connection(token_type="SAML11_O365"))
    page = await console.get(PAGE)
    text = html.unescape(page.text)
    assert "Connection orders" in text and SERVICE in text and "SAML 1.1 for Office 365" in text
    assert "Username tokens" in text and "Active" in text and "/idp/spConnections" in text
    confirm = await console.get(PAGE + "/delete", params={"id": "orders"})
    assert confirm.status_code == 200 and "Connection orders" in html.unescape(confirm.text)
    forged = await console.post(PAGE + "/delete?id=orders", csrf="not-the-token")
    assert forged.status_code in (400, 403)
    assert (await admin.get("/idp/spConnections/orders")).status_code == 200
    done = await console.post(PAGE + "/delete?id=orders", follow_redirects=True)
    assert done.status_code == 200 and "deleted" in done.text
    assert (await admin.get("/idp/spConnections/orders")).status_code == 404
    missing = await console.get(PAGE + "/delete", params={"id": "orders"})
    assert missing.status_code == 404

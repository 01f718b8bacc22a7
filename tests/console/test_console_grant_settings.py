"""The Authorization Server Settings page sets the persistent grant management settings: the web
service's validator, the runtime API's manager and scope, and remembered consent; a save keeps a
scope the admin API stored even when it is not one of the defined scopes, and a validator that does
not exist is an error beside its field."""

from __future__ import annotations

from tests.authzkit import users
from tests.conftest import SIMPLE_PCV, Admin
from tests.console.conftest import ConsoleClient, field_errors

PAGE = "/oauth/authorization-server-settings"
FORM = {"refreshTokenLength": "42", "persistentGrantLifetime": "-1", "clientSecretRetentionPeriod": "0",
        "defaultScopeDescription": ""}


async def test_grant_management_settings_are_set_and_kept(console: ConsoleClient, admin: Admin) -> None:
    await admin.reference_atm("ref")
    await admin.scopes(common=("read", "grants"))
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "svc", "name": "Service accounts", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users(("tool", "tool-password-0001"))})
    page = await console.get(PAGE)
    assert 'name="adminWebServicePcvRef.id"' in page.text and "Service accounts" in page.text
    saved = await console.post(PAGE, {**FORM, "adminWebServicePcvRef.id": "svc", "atmIdForOAuthGrantManagement": "ref",
                                      "scopeForOAuthGrantManagement": "grants",
                                      "bypassAuthorizationForApprovedGrants": "true"})
    assert saved.status_code == 303, saved.text
    stored = await admin.ok("GET", "/oauth/authServerSettings")
    assert stored["adminWebServicePcvRef"]["id"] == "svc" and stored["atmIdForOAuthGrantManagement"] == "ref"
    assert stored["scopeForOAuthGrantManagement"] == "grants" and stored["bypassAuthorizationForApprovedGrants"] is True

    await admin.ok("PUT", "/oauth/authServerSettings", {**stored, "scopeForOAuthGrantManagement": "not-defined"})
    shown = await console.get(PAGE)
    assert '<option value="not-defined" selected>' in shown.text  # offered, so a save does not drop it
    again = await console.post(PAGE, {**FORM, "scopeForOAuthGrantManagement": "not-defined"})
    assert again.status_code == 303
    stored = await admin.ok("GET", "/oauth/authServerSettings")
    assert stored["scopeForOAuthGrantManagement"] == "not-defined" and "adminWebServicePcvRef" not in stored
    assert stored["bypassAuthorizationForApprovedGrants"] is False

    refused = await console.post(PAGE, {**FORM, "adminWebServicePcvRef.id": "ghost"})
    assert refused.status_code == 422
    assert any("ghost" in m for messages in field_errors(refused.text).values() for m in messages)


async def test_allowed_origins_are_set_one_per_line(console: ConsoleClient, admin: Admin) -> None:
    saved = await console.post(PAGE, {**FORM, "allowedOrigins": " https://spa.example.com \r\n\r\nhttps://*.corp.example\n"
                                                                "https://dev.example:*"})
    assert saved.status_code == 303, saved.text
    stored = await admin.ok("GET", "/oauth/authServerSettings")
    assert stored["allowedOrigins"] == ["https://spa.example.com", "https://*.corp.example", "https://dev.example:*"]
    shown = await console.get(PAGE)
    assert "https://spa.example.com\nhttps://*.corp.example\nhttps://dev.example:*</textarea>" in shown.text
    kept = await console.post(PAGE, FORM)  # a form without the field changes nothing
    assert kept.status_code == 303
    assert (await admin.ok("GET", "/oauth/authServerSettings"))["allowedOrigins"] == stored["allowedOrigins"]

    refused = await console.post(PAGE, {**FORM, "allowedOrigins": "https://spa.example.com\nftp://files.example.com"})
    assert refused.status_code == 422
    placed = field_errors(refused.text)
    [where] = [key for key, messages in placed.items() if any("ftp://files.example.com" in m for m in messages)]
    assert where.endswith("allowedOrigins"), placed  # beside the text area
    assert (await admin.ok("GET", "/oauth/authServerSettings"))["allowedOrigins"] == stored["allowedOrigins"]
    cleared = await console.post(PAGE, {**FORM, "allowedOrigins": ""})
    assert cleared.status_code == 303
    assert (await admin.ok("GET", "/oauth/authServerSettings"))["allowedOrigins"] == []

"""The client form's flow sections (PKCE, pushed requests, grant lifetime, offline access, device
authorization): what the console stores is what the admin API reads back, members the form does not
show survive a console save, and wrong input is shown beside its input with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Console
from tokensmith.admin.clients import RESPONSE_TYPES
from tokensmith.errors import ErrorCollector
from tokensmith.web.console.pages import client_flows, clients
from tokensmith.web.console.web import FormInput

pytestmark = pytest.mark.system
CLIENT = "flowapp"
STORED = {  # a client as the admin API stores it, with members the console form does not show
    "clientId": CLIENT, "name": "Flow app", "description": "", "enabled": True, "grantTypes": ["AUTHORIZATION_CODE"],
    "redirectUris": ["https://app.example/cb"], "refreshRolling": "SERVER_DEFAULT",
    "clientSecretRetentionPeriodType": "SERVER_DEFAULT", "restrictToDefaultAccessTokenManager": False,
    "restrictScopes": False, "restrictedScopes": [], "exclusiveScopes": [], "clientAuth": {"type": "NONE"},
    "requireProofKeyForCodeExchange": True, "bypassApprovalPage": False, "requirePushedAuthorizationRequests": False,
    "restrictedResponseTypes": ["code token", "code"], "persistentGrantExpirationType": "SERVER_DEFAULT",
    "persistentGrantExpirationTime": 7, "deviceFlowSettingType": "SERVER_DEFAULT",
    "devicePollingIntervalOverride": 9, "cibaDeliveryMode": "POLL", "logoUrl": "https://app.example/logo.png",
}


def _form_of(doc: dict[str, Any], **changes: list[str]) -> FormInput:
    """What the client form posts for ``doc`` (untouched), with ``changes`` typed over it."""
    values: dict[str, list[str]] = {
        "name": [doc["name"]], "description": [doc["description"]], "enabled": ["true"] if doc["enabled"] else [],
        "grantTypes": list(doc["grantTypes"]), "redirectUris": ["\n".join(doc["redirectUris"])],
        "refreshRolling": [doc["refreshRolling"]], "clientAuth.type": [doc["clientAuth"]["type"]],
        "clientSecretRetentionPeriodType": [doc["clientSecretRetentionPeriodType"]],
        "restrictedResponseTypes": [t for t in RESPONSE_TYPES
                                    if t in doc["restrictedResponseTypes"]],
        "persistentGrantExpirationType": [doc["persistentGrantExpirationType"]],
        "persistentGrantExpirationTime": [str(doc.get("persistentGrantExpirationTime", ""))],
        "persistentGrantExpirationTimeUnit": ["DAYS"], "deviceFlowSettingType": [doc["deviceFlowSettingType"]],
        "devicePollingIntervalOverride": [str(doc.get("devicePollingIntervalOverride", ""))],
        "requireOfflineAccessScopeToIssueRefreshTokens": ["SERVER_DEFAULT"],
        "offlineAccessRequireConsentPrompt": ["SERVER_DEFAULT"],
    }
    for key in ("requireProofKeyForCodeExchange", "bypassApprovalPage", "requirePushedAuthorizationRequests"):
        values[key] = ["true"] if doc[key] else []
    values.update(changes)
    return FormInput({k: v for k, v in values.items() if v})


def test_parse_of_an_untouched_form_gives_back_the_stored_client() -> None:
    errors = ErrorCollector()
    body, generated = clients.parse(_form_of(STORED), STORED, errors)
    assert not errors and not generated
    assert body == {k: v for k, v in STORED.items() if k != "clientAuth"} | {"clientAuth": {"type": "NONE"}}


def test_parse_reads_overrides_only_when_chosen_and_keeps_wrong_text_beside_its_error() -> None:
    errors = ErrorCollector()
    form = _form_of(STORED, persistentGrantExpirationType=["OVERRIDE_SERVER_DEFAULT"],
                    persistentGrantExpirationTime=["a week"], deviceFlowSettingType=["OVERRIDE_SERVER_DEFAULT"],
                    devicePollingIntervalOverride=[""], bypassActivationCodeConfirmationOverride=["false"],
                    offlineAccessRequireConsentPrompt=["YES"])
    body, _ = clients.parse(form, STORED, errors)
    assert [(e.field_path, e.message) for e in errors.errors] == [
        ("persistentGrantExpirationTime", "The grant lifetime must be a whole number")]
    assert body["persistentGrantExpirationTime"] == "a week"  # redrawn as typed; nothing is saved
    assert "devicePollingIntervalOverride" not in body  # blank: the server's interval
    assert body["bypassActivationCodeConfirmationOverride"] is False
    assert body["offlineAccessRequireConsentPrompt"] == "YES"

    errors = ErrorCollector()
    clients.parse(_form_of(STORED, persistentGrantExpirationType=["FOREVER"], deviceFlowSettingType=["X"]),
                  STORED, errors)
    assert {e.field_path for e in errors.errors} == {"persistentGrantExpirationType", "deviceFlowSettingType"}

    errors = ErrorCollector()  # text the URL parser cannot read is refused here, not left to fail later
    clients.parse(_form_of(STORED, deviceFlowSettingType=["OVERRIDE_SERVER_DEFAULT"],
                           userAuthorizationUrlOverride=["https://[device.example/"]), STORED, errors)
    assert [(e.field_path, e.message) for e in errors.errors] == [
        ("userAuthorizationUrlOverride",
         "userAuthorizationUrlOverride must be an absolute http or https URL without a fragment")]


def test_the_lists_are_the_admin_api_schema_lists() -> None:
    assert set(client_flows.choices("persistentGrantExpirationType")) == {
        "SERVER_DEFAULT", "INDEFINITE_EXPIRY", "OVERRIDE_SERVER_DEFAULT"}
    assert set(client_flows.choices("offlineAccessRequireConsentPrompt")) == {"SERVER_DEFAULT", "YES", "NO"}
    offered = client_flows.options()
    assert [v for v, _ in offered["persistentGrantExpirationTimeUnit"]] == ["MINUTES", "HOURS", "DAYS", "SECONDS"]
    assert [v for v, _ in offered["response_types"]] == list(RESPONSE_TYPES)


@pytest.fixture
def signed_in(console: Console) -> Iterator[Console]:
    """The console signed in, and signed out again afterwards: the browser is shared, and other tests
    start from a browser without a session."""
    console.login()
    try:
        yield console
    finally:
        console.page.context.clear_cookies()


def _stored(console: Console) -> dict[str, Any]:
    with console.server.admin() as admin:
        response = admin.get(f"/oauth/clients/{CLIENT}")
        assert response.status_code == 200, response.text
        return dict(response.json())


def _save(console: Console) -> int:
    """Press Save; the status of the answer to the post."""
    page = console.page
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    return int(answer.value.status)


def test_flow_settings_are_stored_kept_and_refused_as_the_admin_api_does(signed_in: Console) -> None:
    console = signed_in
    page = console.page
    console.go("/oauth/clients/new")
    console.field("clientId").fill(CLIENT)
    console.field("name").fill("Flow app")
    console.field("clientAuth.secret").fill("flow-app-secret-0123456789")
    page.locator('[name="grantTypes"][value="CLIENT_CREDENTIALS"]').uncheck()
    for grant in ("AUTHORIZATION_CODE", "REFRESH_TOKEN", "DEVICE_CODE"):
        page.locator(f'[name="grantTypes"][value="{grant}"]').check()
    console.field("redirectUris").fill("https://app.example/cb")
    console.field("requireProofKeyForCodeExchange").check()
    console.field("requirePushedAuthorizationRequests").check()
    assert console.field("persistentGrantExpirationTime").is_hidden()  # shown for an override only
    assert console.field("devicePollingIntervalOverride").is_hidden()
    console.field("persistentGrantExpirationType").select_option("OVERRIDE_SERVER_DEFAULT")
    console.field("persistentGrantExpirationTime").fill("30")
    console.field("persistentGrantExpirationTimeUnit").select_option("HOURS")
    console.field("requireOfflineAccessScopeToIssueRefreshTokens").select_option("YES")
    console.field("deviceFlowSettingType").select_option("OVERRIDE_SERVER_DEFAULT")
    console.field("userAuthorizationUrlOverride").fill("https://app.example/activate")
    console.field("devicePollingIntervalOverride").fill("10")
    console.field("bypassActivationCodeConfirmationOverride").select_option("true")
    console.shot("70-client-flows-form")
    assert _save(console) == 303
    assert f"OAuth client '{CLIENT}' created." in console.flash()

    stored = _stored(console)
    assert {k: stored.get(k) for k in client_flows.FIELDS} == {
        "requireProofKeyForCodeExchange": True, "bypassApprovalPage": False, "restrictedResponseTypes": [],
        "requirePushedAuthorizationRequests": True, "persistentGrantExpirationType": "OVERRIDE_SERVER_DEFAULT",
        "persistentGrantExpirationTime": 30, "persistentGrantExpirationTimeUnit": "HOURS",
        "requireOfflineAccessScopeToIssueRefreshTokens": "YES",
        "offlineAccessRequireConsentPrompt": None,  # left at the server default: not stored, as the API does
        "deviceFlowSettingType": "OVERRIDE_SERVER_DEFAULT", "userAuthorizationUrlOverride": "https://app.example/activate",
        "pendingAuthorizationTimeoutOverride": None,  # left blank: the server's timeout
        "devicePollingIntervalOverride": 10, "bypassActivationCodeConfirmationOverride": True}

    # Members the console does not show, and a response type order of the API's, set through the API.
    extra = {"cibaDeliveryMode": "POLL", "logoUrl": "https://app.example/logo.png",
             "restrictedResponseTypes": ["code token", "code"]}
    with console.server.admin() as admin:
        body = {k: v for k, v in stored.items() if k != "clientAuth"} | extra
        assert admin.put(f"/oauth/clients/{CLIENT}", json=body).status_code == 200
    before = _stored(console)

    console.go(f"/oauth/clients/edit?id={CLIENT}")
    assert console.field("persistentGrantExpirationTime").input_value() == "30"
    assert console.field("devicePollingIntervalOverride").input_value() == "10"
    assert page.locator('[name="restrictedResponseTypes"][value="code token"]').is_checked()
    console.field("name").fill("Flow app, renamed")
    assert _save(console) == 303
    after = _stored(console)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"name", "modificationDate"}

    # Wrong input: shown beside its input, the page answers 422, and nothing is stored.
    console.go(f"/oauth/clients/edit?id={CLIENT}")
    console.field("persistentGrantExpirationTime").fill("a day")
    assert _save(console) == 422
    assert "The grant lifetime must be a whole number" in console.error_at("persistentGrantExpirationTime")
    assert console.field("persistentGrantExpirationTime").input_value() == "a day"  # kept as typed
    console.field("persistentGrantExpirationTime").fill("12")
    console.field("devicePollingIntervalOverride").fill("-5")
    assert _save(console) == 422  # the admin API's own check, with its message, at the input
    assert "devicePollingIntervalOverride must be between 1 and 3600 seconds" in console.error_at(
        "devicePollingIntervalOverride")
    assert console.field("devicePollingIntervalOverride").is_visible()
    console.shot("71-client-flows-error")
    page.evaluate("""() => {
        const kind = document.querySelector('[name="deviceFlowSettingType"]');
        kind.add(new Option('Forever', 'FOREVER', true, true));
    }""")
    assert _save(console) == 422  # a value no list offers is refused, not a server error
    assert "Choose the server default or an override" in console.error_at("deviceFlowSettingType")
    after_errors = _stored(console)
    assert after_errors == after

    # Back to the server's device settings: the override values stay stored, without effect.
    console.go(f"/oauth/clients/edit?id={CLIENT}")
    console.field("deviceFlowSettingType").select_option("SERVER_DEFAULT")
    assert console.field("devicePollingIntervalOverride").is_hidden()
    assert _save(console) == 303
    final = _stored(console)
    assert final["deviceFlowSettingType"] == "SERVER_DEFAULT" and final["devicePollingIntervalOverride"] == 10

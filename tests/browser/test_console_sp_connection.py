"""An SP connection created on the console form in a real browser, then read back through the
admin API as PingFederate tooling would."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Console
from tests.keyfiles import RSA_SETTINGS
from tests.stskit import SIMPLE_PCV, USERNAME_PROC, users_table

pytestmark = pytest.mark.system
PAGE = "/token-exchange/sp-connections"
M0 = "wsTrust.tokenProcessorMappings[0]"


def test_sp_connection_created_on_the_form(console: Console) -> None:
    page = console.page
    console.login()
    with console.server.admin() as admin:
        key = {**RSA_SETTINGS, "id": "sp-form-signer"}
        assert admin.post("/keyPairs/signing/generate", json=key).status_code == 201
        assert admin.post("/passwordCredentialValidators", json={
            "id": "spformusers", "name": "SP form users", "pluginDescriptorRef": {"id": SIMPLE_PCV},
            "configuration": users_table(("alice", "alice-password-1"))}).status_code == 201
        assert admin.post("/idp/tokenProcessors", json={
            "id": "spformutp", "name": "SP form usernames", "pluginDescriptorRef": {"id": USERNAME_PROC},
            "configuration": {"tables": [{"name": "Credential Validators", "rows": [
                {"fields": [{"name": "Password Credential Validator Instance", "value": "spformusers"}]}]}]},
            "attributeContract": {"coreAttributes": [{"name": "username"}]}}).status_code == 201

    console.go(PAGE + "/new")
    console.field("name").fill("Form orders")
    console.field("entityId").fill("urn:partner:form-orders")
    console.field("id").fill("formorders")
    console.field("wsTrust.partnerServiceIds").fill("https://ws.partner.example/form-orders")
    console.field("wsTrust.defaultTokenType").select_option("SAML11_O365")
    console.field("credentials.signingSettings.signingKeyPairRef.id").select_option("sp-form-signer")
    console.field(f"{M0}.idpTokenProcessorRef.id").select_option("spformutp")
    page.get_by_role("button", name="Show the attributes").click()
    console.field(f"{M0}.attributeContractFulfillment.TOKEN_SUBJECT.source.type").select_option("TOKEN")
    console.field(f"{M0}.attributeContractFulfillment.TOKEN_SUBJECT.value").fill("username")
    page.get_by_role("button", name="Save", exact=True).last.click()
    assert "SP connection 'Form orders' saved." in console.flash()
    assert console.row("Form orders").count() == 1

    with console.server.admin() as admin:
        doc = admin.get("/idp/spConnections/formorders").json()
    assert doc["wsTrust"]["partnerServiceIds"] == ["https://ws.partner.example/form-orders"]
    assert doc["wsTrust"]["defaultTokenType"] == "SAML11_O365"
    assert doc["credentials"]["signingSettings"]["signingKeyPairRef"]["id"] == "sp-form-signer"
    fulfil = doc["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"]
    assert fulfil["TOKEN_SUBJECT"] == {"source": {"type": "TOKEN"}, "value": "username"}

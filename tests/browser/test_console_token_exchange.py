"""A token exchange processor policy with two processor mappings and a generator group created on the
console forms in a real browser, then read back through the admin API as PingFederate tooling would."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Console
from tests.keyfiles import RSA_SETTINGS
from tests.stskit import SAML11_PROC, SAML20_GEN, SAML20_PROC

pytestmark = pytest.mark.system
TT = "urn:ietf:params:oauth:token-type:"
M0, M1 = "processorMappings[0]", "processorMappings[1]"
F0, F1 = M0 + ".attributeContractFulfillment", M1 + ".attributeContractFulfillment"


def _setup(console: Console) -> None:
    with console.server.admin() as admin:
        assert admin.post("/keyPairs/signing/generate", json={**RSA_SETTINGS, "id": "txb-signer"}).status_code == 201
        for processor_id, plugin in (("txbsaml2", SAML20_PROC), ("txbsaml1", SAML11_PROC)):
            assert admin.post("/idp/tokenProcessors", json={
                "id": processor_id, "name": f"TX {processor_id}", "pluginDescriptorRef": {"id": plugin},
                "configuration": {"fields": []}, "attributeContract": {
                    "coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": [{"name": "role"}]}}
            ).status_code == 201
        config = {"Issuer": "https://sts.example.com", "Signing Certificate": "txb-signer",
                  "Audience": "https://rp.example.com/", "Confirmation Method": "urn:oasis:names:tc:SAML:2.0:cm:bearer"}
        assert admin.post("/sp/tokenGenerators", json={
            "id": "txbgen", "name": "TX generator", "pluginDescriptorRef": {"id": SAML20_GEN},
            "configuration": {"fields": [{"name": k, "value": v} for k, v in config.items()]},
            "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": []}}
        ).status_code == 201


def test_policy_and_group_created_on_the_forms(console: Console) -> None:
    page = console.page
    console.login()
    _setup(console)

    console.go("/token-exchange/processor-policies")
    page.get_by_role("link", name="Add Processor Policy").click()
    console.field("id").fill("txbpolicy")
    console.field("name").fill("Browser policy")
    page.get_by_role("button", name="Add an attribute").click()
    console.field("attributeContract.extendedAttributes[0].name").fill("role")
    console.field(f"{M0}.subjectTokenType").select_option(TT + "saml2")
    console.field(f"{M0}.subjectTokenProcessor.id").select_option("txbsaml2")
    page.get_by_role("button", name="Add a processor mapping").click()
    console.field(f"{M1}.subjectTokenType").select_option(TT + "saml1")
    console.field(f"{M1}.subjectTokenProcessor.id").select_option("txbsaml1")
    console.field(f"{M1}.actorTokenType").select_option(TT + "saml2")
    console.field(f"{M1}.actorTokenProcessor.id").select_option("txbsaml2")
    for base in (F0, F1):
        console.field(f"{base}.subject.value").fill("SAML_SUBJECT")
        console.field(f"{base}.role.value").fill("role")
    console.field(f"{F1}.role.source.type").select_option("ACTOR_TOKEN")
    console.shot("tx-policy-form")
    page.get_by_role("button", name="Save", exact=True).last.click()
    assert "Processor policy 'Browser policy' saved." in console.flash()
    assert console.row("Browser policy").count() == 1

    console.go("/token-exchange/generator-groups/new")
    console.field("id").fill("txbgroup")
    console.field("name").fill("Browser group")
    console.field("resourceUris").fill("https://api.example.com/browser")
    console.field("generatorMappings[0].requestedTokenType").select_option(TT + "saml2")
    console.field("generatorMappings[0].tokenGenerator.id").select_option("txbgen")
    page.get_by_role("button", name="Save", exact=True).last.click()
    assert "Generator group 'Browser group' saved." in console.flash()
    assert console.row("Browser group").count() == 1

    with console.server.admin() as admin:
        policy = admin.get("/oauth/tokenExchange/processor/policies/txbpolicy").json()
        group = admin.get("/oauth/tokenExchange/generator/groups/txbgroup").json()
    assert policy["attributeContract"]["extendedAttributes"] == [{"name": "role"}]
    first, second = policy["processorMappings"]
    assert (first["subjectTokenType"], first["subjectTokenProcessor"]["id"]) == (TT + "saml2", "txbsaml2")
    assert (second["subjectTokenType"], second["subjectTokenProcessor"]["id"]) == (TT + "saml1", "txbsaml1")
    assert (second["actorTokenType"], second["actorTokenProcessor"]["id"]) == (TT + "saml2", "txbsaml2")
    assert second["attributeContractFulfillment"]["role"] == {"source": {"type": "ACTOR_TOKEN"}, "value": "role"}
    assert first["attributeContractFulfillment"]["subject"] == {"source": {"type": "SUBJECT_TOKEN"},
                                                                 "value": "SAML_SUBJECT"}
    assert "validationErrors" not in policy and "validationErrors" not in group
    assert group["resourceUris"] == ["https://api.example.com/browser"]
    assert [(m["requestedTokenType"], m["tokenGenerator"]["id"], m["defaultMapping"])
            for m in group["generatorMappings"]] == [(TT + "saml2", "txbgen", True)]

"""The STS resources in configuration export and import, and the reference PingFederate export's
token generator and SAML token processor."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import RUNTIME_BASE, Admin
from tests.keyfiles import generate
from tests.stskit import SAML20_PROC, cxf_issue, requested_token, signing_key, username_setup

# The token generator and SAML 2.0 token processor of a PingFederate bulk export (the server profile the
# PingFederate Terraform provider tests against), as they are.
REFERENCE_ITEMS = Path(__file__).parent.parent / "data" / "pf-bulk-export-sts-items.json"


def _stable(document: dict[str, Any]) -> Any:
    doc = copy.deepcopy(document)
    for op in doc["operations"]:
        for item in op["items"]:
            for key in ("fileData", "encryptedPassword"):
                item.pop(key, None)
            for user in item.get("users", []):
                user.pop("encryptedPassword", None)
    return doc


async def test_sts_configuration_round_trips_through_export_and_import(admin: Admin, http: httpx.AsyncClient) -> None:
    await username_setup(admin)
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {"saml2EntityId": "https://sts.example.com"}})
    await admin.ok("PUT", "/serverSettings/generalSettings", {"disableAutomaticConnectionValidation": True})
    await admin.ok("PUT", "/serverSettings/wsTrustStsSettings", {
        "basicAuthnEnabled": True, "users": [{"username": "wsc", "password": "wsc-secret-123"}]})
    cert = signing_key("RSA", 2048, "partner").certificate_pem.decode()
    await admin.ok("POST", "/certificates/ca/import", {"id": "partnerca", "fileData": cert})
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "samlp", "name": "SAML in", "pluginDescriptorRef": {"id": SAML20_PROC}, "configuration": {}})
    await admin.ok("POST", "/sp/idpConnections", {
        "id": "partner", "name": "Partner", "entityId": "https://idp.partner.example", "active": True,
        "credentials": {"certs": [{"x509File": {"fileData": cert}, "activeVerificationCert": True}]},
        "wsTrust": {"attributeContract": {}, "generateLocalToken": True, "tokenGeneratorMappings": [{
            "spTokenGeneratorRef": {"id": "saml2gen"}, "defaultMapping": True, "attributeContractFulfillment": {
                "SAML_SUBJECT": {"source": {"type": "ASSERTION"}, "value": "TOKEN_SUBJECT"},
                "role": {"source": {"type": "TEXT"}, "value": "x"}}}]}})
    exported = await admin.ok("GET", "/bulk/export")
    types = [op["resourceType"] for op in exported["operations"]]
    assert types[-8:] == ["/certificates/ca", "/serverSettings", "/serverSettings/generalSettings",
                          "/serverSettings/wsTrustStsSettings", "/sp/tokenGenerators", "/idp/tokenProcessors",
                          "/tokenProcessorToTokenGeneratorMappings", "/sp/idpConnections"]
    assert "wsc-secret-123" not in json.dumps(exported)
    for path in ("/sp/idpConnections/partner", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen",
                 "/idp/tokenProcessors/samlp", "/idp/tokenProcessors/utp", "/sp/tokenGenerators/saml2gen",
                 "/certificates/ca/partnerca"):
        await admin.ok("DELETE", path)
    result = await admin.ok("POST", "/bulk/import", exported, status=200)
    assert result["saved"]["/sp/tokenGenerators"] == 1 and result["saved"]["/sp/idpConnections"] == 1
    assert _stable(await admin.ok("GET", "/bulk/export")) == _stable(exported)
    response = await http.post(RUNTIME_BASE + "/pf/sts.wst", content=cxf_issue("alice", "alice-password-1"),
                               headers={"content-type": "text/xml"}, auth=("wsc", "wsc-secret-123"))
    assert response.status_code == 200, response.text
    assert requested_token(response.content).tag == "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"


async def test_reference_export_generator_and_saml_processor_import(admin: Admin) -> None:
    """The token generator and the SAML 2.0 processor of PingFederate's reference export, as they are
    (the key pair they name generated here; the username processor names an LDAP validator type
    Tokensmith does not have, so it is left out)."""
    document = json.loads(REFERENCE_ITEMS.read_text())
    await generate(admin, "419x9yg43rlawqwq9v6az997k")
    result = await admin.ok("POST", "/bulk/import", document, status=200)
    assert result["saved"] == {"/sp/tokenGenerators": 1, "/idp/tokenProcessors": 1}
    generator = await admin.ok("GET", "/sp/tokenGenerators/tokengenerator")
    values = {f["name"]: f["value"] for f in generator["configuration"]["fields"]}
    assert values["Signing Algorithm"] == "SHA1" and values["Audience"] == "audience"
    processor = await admin.ok("GET", "/idp/tokenProcessors/tokenprocessor")
    assert processor["attributeContract"]["coreAttributes"] == [{"name": "SAML_SUBJECT", "masked": False}]

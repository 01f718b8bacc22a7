"""``/idp/spConnections``: WS-Trust SP connections in PingFederate's shapes, stored as sent, with a
422 naming the field for every rule, check usage and guarded deletes, the OpenAPI document, and
bulk export and import."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.conftest import Admin
from tests.keyfiles import generate
from tests.stskit import SERVICE, signing_key, sp_connection, sp_setup

READ_ONLY = ("creationDate", "modificationDate", "validationErrors")


@pytest.fixture
async def sp(admin: Admin) -> Admin:
    await sp_setup(admin)
    return admin


def _without_server_members(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in copy.deepcopy(doc).items() if k not in READ_ONLY}
    signing = out["credentials"]["signingSettings"]
    signing["signingKeyPairRef"].pop("location")
    for m in out["wsTrust"]["tokenProcessorMappings"]:
        m["idpTokenProcessorRef"].pop("location")
    for cert in out["credentials"]["certs"]:
        cert.pop("certView")
        cert["x509File"].pop("id")
    return out


def _errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["resultId"] == "validation_error"
    return {e.get("fieldPath", ""): e["message"] for e in body["validationErrors"]}


async def test_create_get_list_update_delete_round_trip_as_sent(sp: Admin) -> None:
    body = sp_connection()
    created = await sp.ok("POST", "/idp/spConnections", body)
    assert _without_server_members(created) == body
    assert created["creationDate"] and created["modificationDate"]
    assert created["wsTrust"]["tokenProcessorMappings"][0]["idpTokenProcessorRef"]["location"].endswith(
        "/idp/tokenProcessors/utp")
    got = await sp.ok("GET", "/idp/spConnections/orders")
    assert got == created
    listed = await sp.ok("GET", "/idp/spConnections")
    assert [c["id"] for c in listed["items"]] == ["orders"]
    assert (await sp.ok("GET", "/idp/spConnections?entityId=urn:partner:orders"))["items"][0]["id"] == "orders"
    assert (await sp.ok("GET", "/idp/spConnections?entityId=urn:partner:other"))["items"] == []
    assert [c["id"] for c in (await sp.ok("GET", "/idp/spConnections?filter=CONNECTION%20ord"))["items"]] == ["orders"]

    # a GET body sent back is accepted; an update keeps the creation date
    got["wsTrust"]["minutesAfter"] = 60
    updated = await sp.ok("PUT", "/idp/spConnections/orders", got)
    assert updated["wsTrust"]["minutesAfter"] == 60 and updated["creationDate"] == created["creationDate"]

    # members not sent stay absent; lists sent empty stay empty
    minimal = {"name": "Minimal", "entityId": "urn:partner:minimal",
               "credentials": {"signingSettings": {"signingKeyPairRef": {"id": "signer"}}},
               "wsTrust": {"partnerServiceIds": ["urn:minimal"], "attributeContract": {"extendedAttributes": []},
                           "tokenProcessorMappings": [{"idpTokenProcessorRef": {"id": "utp"},
                                                       "attributeContractFulfillment": {"TOKEN_SUBJECT": {
                                                           "source": {"type": "TOKEN"}, "value": "username"}}}]}}
    made = await sp.ok("POST", "/idp/spConnections", minimal)
    assert made["id"] and made["type"] == "SP"
    assert made["wsTrust"]["attributeContract"] == {"extendedAttributes": []}
    for absent in ("defaultTokenType", "minutesBefore", "generateKey", "encryptSaml2Assertion"):
        assert absent not in made["wsTrust"]
    assert "active" not in made and "certs" not in made["credentials"]
    assert "issuanceCriteria" not in made["wsTrust"]["tokenProcessorMappings"][0]

    await sp.ok("DELETE", "/idp/spConnections/orders")
    assert (await sp.get("/idp/spConnections/orders")).status_code == 404
    assert (await sp.delete("/idp/spConnections/orders")).status_code == 404


async def test_certificates_are_stored_as_der_with_a_cert_view(sp: Admin) -> None:
    pem = signing_key("RSA", 2048, "partner-enc").certificate_pem.decode()
    body = sp_connection(encryptSaml2Assertion=True)
    body["credentials"]["certs"] = [{"x509File": {"fileData": pem}, "encryptionCert": True}]
    created = await sp.ok("POST", "/idp/spConnections", body)
    cert = created["credentials"]["certs"][0]
    assert "BEGIN" not in cert["x509File"]["fileData"] and cert["x509File"]["id"]
    assert cert["certView"]["subjectDN"] and cert["encryptionCert"] is True
    assert "activeVerificationCert" not in cert
    again = await sp.ok("PUT", "/idp/spConnections/orders", created)  # certView and the id are read back
    assert again["credentials"]["certs"][0]["x509File"] == cert["x509File"]


@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda b: b["wsTrust"]["tokenProcessorMappings"][0]["idpTokenProcessorRef"].update(id="nope"),
     "wsTrust.tokenProcessorMappings[0].idpTokenProcessorRef.id", "'nope' does not exist"),
    (lambda b: b["credentials"]["signingSettings"]["signingKeyPairRef"].update(id="nokey"),
     "credentials.signingSettings.signingKeyPairRef.id", "'nokey' does not exist"),
    (lambda b: b["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"].pop("role"),
     "wsTrust.tokenProcessorMappings[0].attributeContractFulfillment.role", "needs a fulfilment"),
    (lambda b: b["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"]["role"].update(
        source={"type": "TOKEN"}, value="department"),
     "wsTrust.tokenProcessorMappings[0].attributeContractFulfillment.role.value", "not an attribute"),
    (lambda b: b["wsTrust"].update(tokenProcessorMappings=[]), "wsTrust.tokenProcessorMappings", "at least one"),
    (lambda b: b["wsTrust"].update(partnerServiceIds=[]), "wsTrust.partnerServiceIds", "at least one"),
    (lambda b: b["wsTrust"].update(partnerServiceIds=[SERVICE, SERVICE]), "wsTrust.partnerServiceIds[1]",
     "more than once"),
    (lambda b: b["wsTrust"].update(encryptSaml2Assertion=True), "wsTrust.encryptSaml2Assertion",
     "encryption certificate"),
    (lambda b: b["wsTrust"].update(generateKey=True), "wsTrust.generateKey", "encryption certificate"),
    (lambda b: b["wsTrust"].update(minutesAfter=0), "wsTrust.minutesAfter", "between 1"),
    (lambda b: b["wsTrust"].update(messageCustomizations=[{"contextName": "assertion", "messageExpression": "x"}]),
     "wsTrust.messageCustomizations", "not supported"),
    (lambda b: b["credentials"]["signingSettings"].update(algorithm="SHA256withECDSA"),
     "credentials.signingSettings.algorithm", "RSA key"),
    (lambda b: b["credentials"]["signingSettings"].update(algorithm="MD5withRSA"),
     "credentials.signingSettings.algorithm", "not a supported"),
    (lambda b: b["credentials"].pop("signingSettings"), "credentials.signingSettings", "required"),
    (lambda b: b.update(spBrowserSso={"protocol": "SAML20"}), "spBrowserSso", "not supported"),
    (lambda b: b.pop("wsTrust"), "wsTrust", "only WS-Trust"),
    (lambda b: b["wsTrust"]["attributeContract"]["coreAttributes"].append({"name": "SAML_SUBJECT"}),
     "wsTrust.attributeContract.coreAttributes[1].name", "TOKEN_SUBJECT"),
    (lambda b: b["wsTrust"]["attributeContract"]["extendedAttributes"].append({"name": "role"}),
     "wsTrust.attributeContract.extendedAttributes[1].name", "more than once"),
    (lambda b: b["credentials"].update(keyTransportAlgorithm="RSA_v15"), "credentials.keyTransportAlgorithm",
     "not supported"),
    (lambda b: b["credentials"].update(keyTransportAlgorithm="RSA_OAEP_256"), "credentials.keyTransportAlgorithm",
     "not supported"),
    (lambda b: b["credentials"].update(blockEncryptionAlgorithm="Triple_DES"),
     "credentials.blockEncryptionAlgorithm", "not supported"),
    (lambda b: b["wsTrust"]["tokenProcessorMappings"][0]["issuanceCriteria"]["conditionalCriteria"].append(
        {"source": {"type": "TOKEN"}, "attributeName": "username", "condition": "MATCHES", "value": "x"}),
     "wsTrust.tokenProcessorMappings[0].issuanceCriteria.conditionalCriteria[0].condition", "not supported"),
])
async def test_every_rule_is_a_422_naming_the_field_and_nothing_is_stored(sp: Admin, change: Any, path: str,
                                                                         words: str) -> None:
    body = sp_connection()
    change(body)
    errors = _errors(await sp.post("/idp/spConnections", body))
    assert path in errors, errors
    assert words in errors[path]
    assert (await sp.ok("GET", "/idp/spConnections"))["items"] == []


async def test_saml11_namespaces_must_be_uris_with_a_path(sp: Admin) -> None:
    body = sp_connection(token_type="SAML11")
    body["wsTrust"]["attributeContract"]["extendedAttributes"] = [{"name": "role", "namespace": "urn:x"}]
    errors = _errors(await sp.post("/idp/spConnections", body))
    assert "namespace" in errors["wsTrust.attributeContract.extendedAttributes[0].namespace"]
    body["wsTrust"]["attributeContract"]["extendedAttributes"] = [
        {"name": "role", "namespace": "http://schemas.xmlsoap.org/claims"}]
    await sp.ok("POST", "/idp/spConnections", body)


@pytest.mark.parametrize(("member", "value", "path"), [
    ("active", "yes", "active"),
    ("wsTrust.minutesBefore", "5", "wsTrust.minutesBefore"),
    ("wsTrust.defaultTokenType", "JWT", "wsTrust.defaultTokenType"),
    ("wsTrust.partnerServiceIds", "urn:one", "wsTrust.partnerServiceIds"),
    ("wsTrust.unknownMember", True, "wsTrust.unknownMember"),
])
async def test_strict_json_types(sp: Admin, member: str, value: Any, path: str) -> None:
    body = sp_connection()
    target = body
    *parents, last = member.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    assert path in _errors(await sp.post("/idp/spConnections", body))


async def test_partner_service_ids_and_entity_ids_are_unique_across_connections(sp: Admin) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    other = sp_connection("other", service="urn:other")
    other["wsTrust"]["partnerServiceIds"].append(SERVICE)
    errors = _errors(await sp.post("/idp/spConnections", other))
    assert "SP connection 'orders' already has partner service id" in errors["wsTrust.partnerServiceIds[1]"]
    clash = sp_connection("other", service="urn:other")
    clash["entityId"] = "urn:partner:orders"
    assert "entityId" in _errors(await sp.post("/idp/spConnections", clash))
    # an update of the connection itself keeps its own ids
    await sp.ok("PUT", "/idp/spConnections/orders", sp_connection())
    failed = sp_connection()
    failed["wsTrust"]["partnerServiceIds"] = []
    _errors(await sp.put("/idp/spConnections/orders", failed))
    assert (await sp.ok("GET", "/idp/spConnections/orders"))["wsTrust"]["partnerServiceIds"] == [SERVICE]


async def test_processor_check_usage_and_guarded_deletes(sp: Admin) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    usage = await sp.ok("GET", "/idp/tokenProcessors/utp/usage")
    assert [(u["type"], u["id"]) for u in usage["items"]] == [("spConnection", "orders")]
    assert usage["items"][0]["location"].endswith("/idp/spConnections/orders")
    refused = await sp.delete("/idp/tokenProcessors/utp")
    assert refused.status_code == 422
    assert "SP connection 'orders'" in refused.text
    key_refused = await sp.delete("/keyPairs/signing/signer")
    assert key_refused.status_code == 422 and "SP connection 'orders'" in key_refused.text
    await sp.ok("DELETE", "/idp/spConnections/orders")
    await sp.ok("DELETE", "/idp/tokenProcessors/utp")


async def test_openapi_declares_the_operations_and_their_errors(admin: Admin) -> None:
    doc = (await admin.get("/openapi.json")).json()
    collection = doc["paths"]["/pf-admin-api/v1/idp/spConnections"]
    item = doc["paths"]["/pf-admin-api/v1/idp/spConnections/{connection_id}"]
    assert set(collection) >= {"get", "post"} and set(item) >= {"get", "put", "delete"}
    for operation in (collection["post"], item["put"]):
        assert {"400", "401", "403", "404", "413", "415", "422"} <= set(operation["responses"])
    assert "SpWsTrust" in doc["components"]["schemas"]
    assert "partnerServiceIds" in doc["components"]["schemas"]["SpWsTrust"]["properties"]


async def test_bulk_export_and_import_carry_sp_connections(sp: Admin) -> None:
    pem = signing_key("RSA", 2048, "partner-enc").certificate_pem.decode()
    body = sp_connection(encryptSaml2Assertion=True)
    body["credentials"]["certs"] = [{"x509File": {"fileData": pem}, "encryptionCert": True}]
    created = await sp.ok("POST", "/idp/spConnections", body)
    exported = await sp.ok("GET", "/bulk/export")
    ops = {op["resourceType"]: op["items"] for op in exported["operations"]}
    item = ops["/idp/spConnections"][0]
    assert "location" not in str(item) and "certView" not in str(item) and "creationDate" not in item
    await sp.ok("DELETE", "/idp/spConnections/orders")
    result = await sp.ok("POST", "/bulk/import", exported, status=200)
    assert result["saved"]["/idp/spConnections"] == 1
    again = await sp.ok("GET", "/idp/spConnections/orders")
    assert _without_server_members(again) == _without_server_members(created)
    # an import naming a missing processor is a 422 and saves nothing of that item
    broken = copy.deepcopy(exported)
    broken_item = next(op for op in broken["operations"] if op["resourceType"] == "/idp/spConnections")["items"][0]
    broken_item["id"] = "other"
    broken_item["entityId"] = "urn:partner:other"
    broken_item["wsTrust"]["partnerServiceIds"] = ["urn:other"]
    broken_item["wsTrust"]["tokenProcessorMappings"][0]["idpTokenProcessorRef"]["id"] = "missing"
    response = await sp.post("/bulk/import", broken)
    assert response.status_code == 422 and "'missing' does not exist" in response.text
    assert (await sp.get("/idp/spConnections/other")).status_code == 404


async def test_another_key_pair_and_ec_signing(admin: Admin) -> None:
    await sp_setup(admin)
    await generate(admin, "ecsigner", keyAlgorithm="EC", keySize=256, signatureAlgorithm="SHA256withECDSA")
    body = sp_connection(key_pair="ecsigner")
    body["credentials"]["signingSettings"]["algorithm"] = "SHA384withECDSA"
    await admin.ok("POST", "/idp/spConnections", body)
    del body["credentials"]["signingSettings"]["algorithm"]
    body["id"], body["entityId"], body["wsTrust"]["partnerServiceIds"] = "ec2", "urn:ec2", ["urn:ec2"]
    await admin.ok("POST", "/idp/spConnections", body)  # the EC key's default algorithm



async def test_credentials_sub_resources(sp: Admin) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    base = "/idp/spConnections/orders/credentials"
    signing = await sp.ok("GET", base + "/signingSettings")
    assert signing["signingKeyPairRef"]["id"] == "signer" and signing["algorithm"] == "SHA256withRSA"
    signing["algorithm"] = "SHA512withRSA"
    assert (await sp.ok("PUT", base + "/signingSettings", signing))["algorithm"] == "SHA512withRSA"
    assert (await sp.ok("GET", "/idp/spConnections/orders"))["credentials"]["signingSettings"]["algorithm"] == \
        "SHA512withRSA"
    errors = _errors(await sp.put(base + "/signingSettings", {"signingKeyPairRef": {"id": "nokey"}}))
    assert "credentials.signingSettings.signingKeyPairRef.id" in errors
    assert (await sp.ok("GET", base + "/signingSettings"))["signingKeyPairRef"]["id"] == "signer"

    assert await sp.ok("GET", base + "/certs") == {"items": []}
    pem = signing_key("RSA", 2048, "partner-enc").certificate_pem.decode()
    added = await sp.ok("POST", base + "/certs", {"x509File": {"fileData": pem}, "encryptionCert": True})
    assert added["x509File"]["id"] and added["certView"]["subjectDN"]
    listed = await sp.ok("GET", base + "/certs")
    assert [c["x509File"]["id"] for c in listed["items"]] == [added["x509File"]["id"]]
    second = _errors(await sp.post(base + "/certs", {"x509File": {"fileData": pem}, "encryptionCert": True}))
    assert "only one" in second["credentials.certs"].lower()
    assert (await sp.ok("PUT", base + "/certs", {"items": []})) == {"items": []}
    bad = _errors(await sp.put(base + "/certs", {"items": [{"x509File": {"fileData": "not a cert"}}]}))
    assert "credentials.certs[0].x509File.fileData" in bad

    assert await sp.ok("GET", base + "/decryptionKeys") == {}
    await generate(sp, "decrypter")
    keys = await sp.ok("PUT", base + "/decryptionKeys", {"primaryKeyRef": {"id": "decrypter"}})
    assert keys["primaryKeyRef"]["id"] == "decrypter"
    stored = await sp.ok("GET", "/idp/spConnections/orders")
    assert stored["credentials"]["decryptionKeyPairRef"] == {"id": "decrypter"}
    missing = _errors(await sp.put(base + "/decryptionKeys", {"primaryKeyRef": {"id": "nokey"}}))
    assert "credentials.decryptionKeyPairRef.id" in missing
    assert (await sp.get("/idp/spConnections/nothing/credentials/certs")).status_code == 404


async def test_two_connections_of_a_kind_cannot_share_an_entity_id(sp: Admin) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    second = sp_connection("billing", service="urn:service:billing")
    second["entityId"] = "urn:partner:orders"
    assert "already has entityId 'urn:partner:orders'" in _errors(await sp.post("/idp/spConnections", second))[
        "entityId"]
    assert [c["id"] for c in (await sp.ok("GET", "/idp/spConnections"))["items"]] == ["orders"]
    second["entityId"] = "urn:partner:billing"
    created = await sp.ok("POST", "/idp/spConnections", second)
    created["entityId"] = "urn:partner:orders"
    assert "entityId" in _errors(await sp.put("/idp/spConnections/billing", created))
    again = await sp.ok("GET", "/idp/spConnections/orders")
    assert (await sp.ok("PUT", "/idp/spConnections/orders", again))["entityId"] == "urn:partner:orders"

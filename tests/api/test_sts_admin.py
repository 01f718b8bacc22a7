"""Token generators and processors through the admin API: descriptors, every field, parent/child
instances, check usage, guarded delete, re-validation on save, deferred validation, mappings and
IdP connections that cannot exist without a generator, and the STS settings resources."""

from __future__ import annotations

from typing import Any

from tests.conftest import Admin
from tests.keyfiles import generate
from tests.stskit import (
    JWT_PROC,
    SAML11_GEN,
    SAML20_GEN,
    SAML20_PROC,
    USERNAME_PROC,
    generator,
    signing_key,
    username_setup,
)

FIELDS = ["Minutes Before", "Minutes After", "Issuer", "Signing Certificate", "Signing Algorithm",
          "Include Certificate in KeyInfo", "Include Raw Key in KeyValue", "Audience", "Confirmation Method",
          "Encryption Certificate", "Message Customization Expression"]


def _errors(response: Any) -> list[str]:
    return [e.get("fieldPath", "") + ": " + e["message"] for e in response.json().get("validationErrors", [])]


async def test_descriptors(admin: Admin) -> None:
    listing = await admin.ok("GET", "/sp/tokenGenerators/descriptors")
    ids = [d["id"] for d in listing["items"]]
    assert ids[:2] == [SAML20_GEN, SAML11_GEN]
    saml2 = await admin.ok("GET", f"/sp/tokenGenerators/descriptors/{SAML20_GEN}")
    assert [f["name"] for f in saml2["configDescriptor"]["fields"]] == FIELDS
    assert saml2["attributeContract"] == ["SAML_SUBJECT"]
    methods = next(f for f in saml2["configDescriptor"]["fields"] if f["name"] == "Confirmation Method")
    assert methods["defaultValue"] == "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
    algorithms = next(f for f in saml2["configDescriptor"]["fields"] if f["name"] == "Signing Algorithm")
    assert [o["value"] for o in algorithms["optionValues"]] == [
        "SHA1", "RSA_SHA256", "RSA_SHA384", "RSA_SHA512", "ECDSA_SHA256", "ECDSA_SHA384", "ECDSA_SHA512"]
    processors = await admin.ok("GET", "/idp/tokenProcessors/descriptors")
    assert {USERNAME_PROC, SAML20_PROC, JWT_PROC} <= {d["id"] for d in processors["items"]}
    assert (await admin.get("/sp/tokenGenerators/descriptors/nope")).status_code == 404


async def test_bulk_export_generator_round_trips_with_every_field(admin: Admin) -> None:
    await generate(admin, "419x9yg43rlawqwq9v6az997k")
    body = {"id": "tokengenerator", "name": "token generator",
            "pluginDescriptorRef": {"id": SAML20_GEN, "location": "https://x/pf-admin-api/v1/sp/tokenGenerators/"
                                                                  f"descriptors/{SAML20_GEN}"},
            "configuration": {"tables": [], "fields": [
                {"name": "Minutes Before", "value": "60"}, {"name": "Minutes After", "value": "60"},
                {"name": "Issuer", "value": "issuer"},
                {"name": "Signing Certificate", "value": "419x9yg43rlawqwq9v6az997k"},
                {"name": "Signing Algorithm", "value": "SHA1"},
                {"name": "Include Certificate in KeyInfo", "value": "false"},
                {"name": "Include Raw Key in KeyValue", "value": "false"},
                {"name": "Audience", "value": "audience"},
                {"name": "Confirmation Method", "value": "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"},
                {"name": "Encryption Certificate", "value": ""},
                {"name": "Message Customization Expression", "value": ""}]},
            "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": []}}
    created = await admin.ok("POST", "/sp/tokenGenerators", body)
    assert [f["name"] for f in created["configuration"]["fields"]] == FIELDS
    assert created["pluginDescriptorRef"]["location"].endswith(f"/sp/tokenGenerators/descriptors/{SAML20_GEN}")
    again = await admin.ok("PUT", "/sp/tokenGenerators/tokengenerator", created)
    assert again["configuration"] == created["configuration"]
    listing = await admin.ok("GET", "/sp/tokenGenerators")
    assert [g["id"] for g in listing["items"]] == ["tokengenerator"]


async def test_minimal_create_fills_defaults_and_rules_name_the_field(admin: Admin) -> None:
    await generate(admin, "rsa")
    await generate(admin, "ec", keyAlgorithm="EC", keySize=256)
    created = await generator(admin, "g1", key_pair="rsa")
    values = {f["name"]: f["value"] for f in created["configuration"]["fields"]}
    assert values["Signing Algorithm"] == "RSA_SHA256" and values["Minutes Before"] == "60"
    bad = await admin.post("/sp/tokenGenerators", {
        "id": "g2", "name": "bad", "pluginDescriptorRef": {"id": SAML20_GEN},
        "configuration": {"fields": [{"name": "Signing Certificate", "value": "ec"},
                                     {"name": "Signing Algorithm", "value": "RSA_SHA256"},
                                     {"name": "Minutes After", "value": "soon"},
                                     {"name": "Confirmation Method", "value": "urn:bogus"}]}})
    assert bad.status_code == 422
    errors = _errors(bad)
    assert any(e.startswith("configuration.fields[Issuer]") for e in errors)
    assert any(e.startswith("configuration.fields[Minutes After]") for e in errors)
    assert any(e.startswith("configuration.fields[Confirmation Method]") for e in errors)
    key_mismatch = await admin.post("/sp/tokenGenerators", {
        "id": "g2", "name": "bad", "pluginDescriptorRef": {"id": SAML20_GEN},
        "configuration": {"fields": [{"name": "Signing Certificate", "value": "ec"}, {"name": "Issuer", "value": "i"},
                                     {"name": "Signing Algorithm", "value": "RSA_SHA256"}]}})
    assert any("needs an RSA key" in e for e in _errors(key_mismatch))
    hok = await admin.post("/sp/tokenGenerators", {
        "id": "g3", "name": "hok", "pluginDescriptorRef": {"id": SAML20_GEN},
        "configuration": {"fields": [{"name": "Signing Certificate", "value": "rsa"}, {"name": "Issuer", "value": "i"},
                                     {"name": "Confirmation Method",
                                      "value": "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"}]}})
    assert any(e.startswith("configuration.fields[Encryption Certificate]") for e in _errors(hok))
    missing_key = await admin.post("/sp/tokenGenerators", {
        "id": "g4", "name": "k", "pluginDescriptorRef": {"id": SAML20_GEN},
        "configuration": {"fields": [{"name": "Signing Certificate", "value": "nokey"},
                                     {"name": "Issuer", "value": "i"}]}})
    assert any("does not exist" in e for e in _errors(missing_key))
    assert (await admin.get("/sp/tokenGenerators")).json()["items"][0]["id"] == "g1"


async def test_parent_and_child_instances(admin: Admin) -> None:
    await generate(admin, "rsa")
    await generator(admin, "parent", key_pair="rsa", Audience="https://parent.example")
    child = await admin.ok("POST", "/sp/tokenGenerators", {
        "id": "child", "name": "Child", "pluginDescriptorRef": {"id": SAML20_GEN}, "parentRef": {"id": "parent"},
        "configuration": {"fields": [{"name": "Audience", "value": "https://child.example"}]},
        "attributeContract": {"inherited": True}})
    values = {f["name"]: (f["value"], f["inherited"]) for f in child["configuration"]["fields"]}
    assert values["Audience"] == ("https://child.example", False)
    assert values["Issuer"] == ("https://sts.example.com", True)
    assert child["parentRef"]["id"] == "parent"
    parent = await admin.ok("GET", "/sp/tokenGenerators/parent")
    for f in parent["configuration"]["fields"]:
        if f["name"] == "Issuer":
            f["value"] = "https://new-issuer.example"
    await admin.ok("PUT", "/sp/tokenGenerators/parent", parent)
    child = await admin.ok("GET", "/sp/tokenGenerators/child")
    assert {f["name"]: f["value"] for f in child["configuration"]["fields"]}["Issuer"] == "https://new-issuer.example"
    assert [a["name"] for a in child["attributeContract"]["extendedAttributes"]] == ["role"]
    usage = await admin.ok("GET", "/sp/tokenGenerators/parent/usage")
    assert [(u["type"], u["id"]) for u in usage["items"]] == [("tokenGenerator", "child")]
    refused = await admin.delete("/sp/tokenGenerators/parent")
    assert refused.status_code == 422 and "child" in refused.text
    cycle = await admin.put("/sp/tokenGenerators/parent", {**parent, "parentRef": {"id": "child"}})
    assert cycle.status_code == 422 and "ancestor" in cycle.text


async def test_check_usage_delete_in_use_and_revalidation_on_save(admin: Admin) -> None:
    await username_setup(admin)
    usage = await admin.ok("GET", "/sp/tokenGenerators/saml2gen/usage")
    assert [(u["type"], u["id"]) for u in usage["items"]] == [("tokenProcessorToTokenGeneratorMapping",
                                                               "utp|saml2gen")]
    assert usage["items"][0]["location"].endswith("/tokenProcessorToTokenGeneratorMappings/utp|saml2gen")
    refused = await admin.delete("/sp/tokenGenerators/saml2gen")
    assert refused.status_code == 422
    assert "utp|saml2gen" in refused.json()["validationErrors"][0]["message"]
    assert (await admin.delete("/idp/tokenProcessors/utp")).status_code == 422
    # a key pair a generator signs with cannot be deleted
    in_use = await admin.delete("/keyPairs/signing/signer")
    assert in_use.status_code == 422 and "saml2gen" in in_use.text
    # dropping 'role' from the contract breaks the mapping: the save succeeds and reports it
    current = await admin.ok("GET", "/sp/tokenGenerators/saml2gen")
    current["attributeContract"]["extendedAttributes"] = []
    saved = await admin.ok("PUT", "/sp/tokenGenerators/saml2gen", current)
    broken = saved["brokenReferences"]
    assert [(b["type"], b["id"]) for b in broken] == [("tokenProcessorToTokenGeneratorMapping", "utp|saml2gen")]
    assert "role" in broken[0]["validationErrors"][0]["message"]
    listing = await admin.ok("GET", "/sp/tokenGenerators")
    assert listing["brokenReferences"][0]["id"] == "utp|saml2gen"
    mapping = await admin.ok("GET", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen")
    assert "role" in mapping["validationErrors"][0]["message"]
    # adding it back repairs it
    current["attributeContract"]["extendedAttributes"] = [{"name": "role"}]
    repaired = await admin.ok("PUT", "/sp/tokenGenerators/saml2gen", current)
    assert "brokenReferences" not in repaired
    # once unused, delete works
    await admin.ok("DELETE", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen")
    await admin.ok("DELETE", "/sp/tokenGenerators/saml2gen")
    assert (await admin.get("/sp/tokenGenerators/saml2gen")).status_code == 404


async def test_deferred_validation_flags_broken_mappings_when_listed(admin: Admin) -> None:
    await username_setup(admin)
    settings = await admin.ok("GET", "/serverSettings/generalSettings")
    assert settings["disableAutomaticConnectionValidation"] is False
    await admin.ok("PUT", "/serverSettings/generalSettings", {"disableAutomaticConnectionValidation": True})
    current = await admin.ok("GET", "/sp/tokenGenerators/saml2gen")
    current["attributeContract"]["extendedAttributes"] = [{"name": "department"}]
    saved = await admin.ok("PUT", "/sp/tokenGenerators/saml2gen", current)
    assert "brokenReferences" not in saved
    assert "brokenReferences" not in await admin.ok("GET", "/sp/tokenGenerators")
    mappings = await admin.ok("GET", "/tokenProcessorToTokenGeneratorMappings")
    problems = " ".join(e["message"] for e in mappings["items"][0]["validationErrors"])
    assert "department" in problems and "role" in problems


async def test_processor_change_that_breaks_a_mapping_is_reported(admin: Admin) -> None:
    await username_setup(admin)
    mapping = await admin.ok("GET", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen")
    mapping["attributeContractFulfillment"]["role"] = {"source": {"type": "TOKEN"}, "value": "nosuch"}
    refused = await admin.put("/tokenProcessorToTokenGeneratorMappings/utp|saml2gen", mapping)
    assert refused.status_code == 422 and "nosuch" in refused.text


async def test_mappings_and_connections_need_a_generator(admin: Admin) -> None:
    no_generator = await admin.post("/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "utp", "targetId": "", "attributeContractFulfillment": {}})
    assert no_generator.status_code == 422
    assert any(e["fieldPath"] == "targetId" for e in no_generator.json()["validationErrors"])
    cert = signing_key("RSA", 2048, "partner").certificate_pem.decode()
    connection = {"name": "P", "entityId": "https://idp.example", "credentials": {"certs": [
        {"x509File": {"fileData": cert}, "activeVerificationCert": True}]},
        "wsTrust": {"attributeContract": {}, "generateLocalToken": True, "tokenGeneratorMappings": []}}
    refused = await admin.post("/sp/idpConnections", connection)
    assert refused.status_code == 422
    assert any("token generator" in e for e in _errors(refused))
    await username_setup(admin)
    still = await admin.post("/sp/idpConnections", connection)
    assert any("at least one token generator mapping" in e for e in _errors(still))
    connection["wsTrust"]["tokenGeneratorMappings"] = [{  # type: ignore[index]
        "spTokenGeneratorRef": {"id": "saml2gen"},
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "ASSERTION"}, "value": "TOKEN_SUBJECT"},
                                         "role": {"source": {"type": "TEXT"}, "value": "x"}}}]
    created = await admin.ok("POST", "/sp/idpConnections", connection)
    assert created["wsTrust"]["tokenGeneratorMappings"][0]["spTokenGeneratorRef"]["location"].endswith(
        "/sp/tokenGenerators/saml2gen")
    assert created["credentials"]["certs"][0]["certView"]["subjectDN"]
    usage = await admin.ok("GET", "/sp/tokenGenerators/saml2gen/usage")
    assert ("idpConnection", created["id"]) in [(u["type"], u["id"]) for u in usage["items"]]
    refused_delete = await admin.delete("/sp/tokenGenerators/saml2gen")
    assert created["id"] in refused_delete.text
    unsupported = await admin.post("/sp/idpConnections", {**connection, "entityId": "x",
                                                          "idpBrowserSso": {"protocol": "SAML20"}})
    assert any(e.startswith("idpBrowserSso") for e in _errors(unsupported))


async def test_processors_validate_their_references(admin: Admin) -> None:
    missing_pcv = await admin.post("/idp/tokenProcessors", {
        "id": "u", "name": "u", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "nope"}]}]}]}})
    assert any("nope" in e for e in _errors(missing_pcv))
    jwt_two_sources = await admin.post("/idp/tokenProcessors", {
        "id": "j", "name": "j", "pluginDescriptorRef": {"id": JWT_PROC},
        "configuration": {"fields": [{"name": "Issuer", "value": "i"}, {"name": "JWKS", "value": "{}"},
                                     {"name": "JWKS Endpoint URI", "value": "https://x/jwks"}]}})
    assert any("exactly one" in e for e in _errors(jwt_two_sources))
    bad_jwks = await admin.post("/idp/tokenProcessors", {
        "id": "j", "name": "j", "pluginDescriptorRef": {"id": JWT_PROC},
        "configuration": {"fields": [{"name": "Issuer", "value": "i"},
                                     {"name": "JWKS", "value": '{"keys": [{"kty": "RSA"}]}'}]}})
    assert any(e.startswith("configuration.fields[JWKS]") for e in _errors(bad_jwks))
    saml = await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "s", "name": "s", "pluginDescriptorRef": {"id": SAML20_PROC}, "configuration": {},
        "attributeContract": {"extendedAttributes": [{"name": "role", "masked": True}]}})
    assert [t["name"] for t in saml["configuration"]["tables"]] == ["Valid Certificate Issuer DNs",
                                                                     "Valid Certificate Subject DNs"]
    assert saml["attributeContract"]["coreAttributes"] == [{"name": "SAML_SUBJECT", "masked": False}]
    assert saml["attributeContract"]["maskOgnlValues"] is False


async def test_sts_settings_resources(admin: Admin) -> None:
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {"saml2EntityId": "https://sts.example.com"}})
    assert (await admin.ok("GET", "/serverSettings"))["federationInfo"]["saml2EntityId"] == "https://sts.example.com"
    general = await admin.ok("GET", "/serverSettings/generalSettings")
    assert general["datastoreValidationIntervalSecs"] == 300
    bad = await admin.put("/serverSettings/generalSettings", {"idpConnectionTransactionLoggingOverride": "LOUD"})
    assert bad.status_code == 422
    ws = await admin.ok("GET", "/serverSettings/wsTrustStsSettings")
    assert ws["basicAuthnEnabled"] is False
    need_user = await admin.put("/serverSettings/wsTrustStsSettings", {"basicAuthnEnabled": True})
    assert need_user.status_code == 422
    cert = signing_key("RSA", 2048, "ca").certificate_pem.decode()
    issuer = await admin.ok("POST", "/serverSettings/wsTrustStsSettings/issuerCertificates",
                            {"x509File": {"id": "ic1", "fileData": cert}})
    assert issuer["certView"]["id"] == "ic1"
    ca = await admin.ok("POST", "/certificates/ca/import", {"fileData": cert})
    assert ca["sha256Fingerprint"]
    assert len((await admin.ok("GET", "/certificates/ca"))["items"]) == 1
    await admin.ok("DELETE", f"/certificates/ca/{ca['id']}")
    garbage = await admin.post("/certificates/ca/import", {"fileData": "garbage"})
    assert garbage.status_code == 422


async def test_processor_core_attributes_keep_their_masked_flag_and_unknown_ones_are_refused(admin: Admin) -> None:
    await username_setup(admin)
    processor = await admin.ok("GET", "/idp/tokenProcessors/utp")
    processor["attributeContract"]["coreAttributes"] = [{"name": "username", "masked": True}]
    saved = await admin.ok("PUT", "/idp/tokenProcessors/utp", processor)
    assert saved["attributeContract"]["coreAttributes"] == [{"name": "username", "masked": True}]
    processor["attributeContract"]["coreAttributes"] = [{"name": "nosuch", "masked": True}]
    refused = await admin.put("/idp/tokenProcessors/utp", processor)
    assert refused.status_code == 422
    assert [e["fieldPath"] for e in refused.json()["validationErrors"]] == ["attributeContract.coreAttributes[0].name"]
    assert (await admin.ok("GET", "/idp/tokenProcessors/utp"))["attributeContract"]["coreAttributes"][0]["masked"]

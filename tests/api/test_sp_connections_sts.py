"""``/idp/sts.wst`` through SP connections: the RST's AppliesTo picks the connection, its processor
mappings validate the token, and it issues its token type with its lifetime, contract, signing
and encryption. Every assertion is checked against the OASIS schemas and with the xmlsec1 command
(an XML security implementation independent of the service's); every bad request is a SOAP fault."""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from tests.conftest import RUNTIME_BASE, Admin
from tests.stskit import (
    FAKE_NOW,
    NS,
    SAML1_NS,
    SAML2_NS,
    SERVICE,
    assert_schema_valid,
    cxf_issue,
    fault_code,
    requested_token,
    signing_key,
    sp_connection,
    sp_setup,
    username_setup,
    wcf_issue,
    xmlsec1_verify,
)

SOAP12 = "application/soap+xml; charset=utf-8"
SAML2_TT = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML1_TT = "urn:oasis:names:tc:SAML:1.0:assertion"
XENC = "http://www.w3.org/2001/04/xmlenc#"


async def _post(http: httpx.AsyncClient, body: bytes, path: str = "/idp/sts.wst") -> httpx.Response:
    return await http.post(RUNTIME_BASE + path, content=body, headers={"content-type": SOAP12})


async def _cert(admin: Admin, key_pair: str = "signer") -> bytes:
    response = await admin.get(f"/keyPairs/signing/{key_pair}/certificate")
    assert response.status_code == 200
    return response.content


def _tampered(document: bytes, old: bytes, new: bytes) -> bytes:
    assert old in document
    return document.replace(old, new, 1)


@pytest.fixture
async def sp(admin: Admin) -> Admin:
    await sp_setup(admin)
    return admin


def _instant(offset_minutes: int) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(FAKE_NOW + offset_minutes * 60))


async def test_saml2_through_an_sp_connection_validates_and_verifies(sp: Admin, http: httpx.AsyncClient,
                                                                     tmp_path: Path) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    response = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=SAML2_TT))
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert_schema_valid(assertion, "2.0")
    assert assertion.xpath("string(saml:Issuer)", namespaces=NS) == "https://idp.tokensmith.example"
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    assert assertion.xpath("string(saml:Subject/saml:SubjectConfirmation/@Method)", namespaces=NS) == \
        "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    assert assertion.xpath("string(//saml:Audience)", namespaces=NS) == SERVICE
    assert assertion.xpath("string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS) == "buyer"
    assert assertion.xpath("string(saml:Conditions/@NotBefore)", namespaces=NS) == _instant(-5)
    assert assertion.xpath("string(saml:Conditions/@NotOnOrAfter)", namespaces=NS) == _instant(30)
    cert = await _cert(sp)
    token = etree.tostring(assertion)
    assert xmlsec1_verify(response.content, cert, tmp_path).returncode == 0
    assert xmlsec1_verify(token, cert, tmp_path).returncode == 0
    assert xmlsec1_verify(_tampered(token, b">alice<", b">mallory<"), cert, tmp_path).returncode != 0
    assert xmlsec1_verify(_tampered(token, b">buyer<", b">admin<"), cert, tmp_path).returncode != 0
    other = signing_key("RSA", 2048, "not-the-signer").certificate_pem
    assert xmlsec1_verify(token, other, tmp_path).returncode != 0


async def test_lifetime_contract_and_signing_settings_of_the_connection(sp: Admin, http: httpx.AsyncClient,
                                                                        tmp_path: Path) -> None:
    body = sp_connection(minutesBefore=1, minutesAfter=480)
    body["credentials"]["signingSettings"].update(includeCertInSignature=True, algorithm="SHA512withRSA")
    body["wsTrust"]["attributeContract"]["extendedAttributes"].append({"name": "client"})
    body["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"]["client"] = {
        "source": {"type": "CONTEXT"}, "value": "ClientIp"}
    await sp.ok("POST", "/idp/spConnections", body)
    response = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=SAML2_TT))
    assertion = requested_token(response.content)
    assert assertion.xpath("string(saml:Conditions/@NotBefore)", namespaces=NS) == _instant(-1)
    assert assertion.xpath("string(saml:Conditions/@NotOnOrAfter)", namespaces=NS) == _instant(480)
    assert assertion.xpath("string(//ds:SignatureMethod/@Algorithm)", namespaces=NS).endswith("rsa-sha512")
    assert assertion.xpath("count(//ds:KeyInfo/ds:X509Data/ds:X509Certificate)", namespaces=NS) == 1
    assert assertion.xpath("string(//saml:Attribute[@Name='client']/saml:AttributeValue)", namespaces=NS)
    assert_schema_valid(assertion, "2.0")
    assert xmlsec1_verify(etree.tostring(assertion), await _cert(sp), tmp_path).returncode == 0


@pytest.mark.parametrize("default", ["SAML11", "SAML11_O365"])
async def test_saml11_and_the_o365_flavour(sp: Admin, http: httpx.AsyncClient, tmp_path: Path,
                                           default: str) -> None:
    body = sp_connection(token_type=default, service="urn:federation:MicrosoftOnline")
    body["wsTrust"]["attributeContract"]["extendedAttributes"] = [
        {"name": "UPN", "namespace": "http://schemas.xmlsoap.org/claims"}, {"name": "ImmutableID"},
        {"name": "role", "namespace": "http://schemas.example.com/ws/roles"}]
    body["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"] = {
        "TOKEN_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
        "UPN": {"source": {"type": "TEXT"}, "value": "alice@example.com"},
        "ImmutableID": {"source": {"type": "TEXT"}, "value": "AbCd1234=="},
        "role": {"source": {"type": "TEXT"}, "value": "buyer"}}
    await sp.ok("POST", "/idp/spConnections", body)
    # no TokenType: the connection's default
    rst = wcf_issue("alice", "alice-password-1", applies_to="urn:federation:MicrosoftOnline", token_type="")
    rst = rst.replace(b"<trust:TokenType></trust:TokenType>", b"")
    response = await _post(http, rst)
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert assertion.tag == f"{{{SAML1_NS}}}Assertion"
    assert_schema_valid(assertion, "1.1")
    assert assertion.get("Issuer") == "idp.tokensmith.example"
    attrs = {(a.get("AttributeNamespace"), a.get("AttributeName")): a.xpath("string(saml1:AttributeValue)",
                                                                              namespaces=NS)
             for a in assertion.xpath("//saml1:Attribute", namespaces=NS)}
    assert attrs == {("http://schemas.xmlsoap.org/claims", "UPN"): "alice@example.com",
                     ("http://schemas.xmlsoap.org/claims", "ImmutableID"): "AbCd1234==",
                     ("http://schemas.example.com/ws/roles", "role"): "buyer"}
    assert assertion.xpath("string(//saml1:Audience)", namespaces=NS) == "urn:federation:MicrosoftOnline"
    assert assertion.xpath("string(//saml1:ConfirmationMethod)", namespaces=NS) == \
        "urn:oasis:names:tc:SAML:1.0:cm:bearer"
    token_type = etree.fromstring(response.content).xpath("string(//t13:TokenType)", namespaces=NS)
    assert token_type == "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1"
    cert = await _cert(sp)
    token = etree.tostring(assertion)
    assert xmlsec1_verify(token, cert, tmp_path, "1.1").returncode == 0
    assert xmlsec1_verify(_tampered(token, b"alice@example.com", b"eve@example.com"), cert, tmp_path,
                          "1.1").returncode != 0
    # asking for SAML 2.0 explicitly gets SAML 2.0 from the same connection
    saml2 = await _post(http, wcf_issue("alice", "alice-password-1", applies_to="urn:federation:MicrosoftOnline",
                                        token_type=SAML2_TT))
    assert requested_token(saml2.content).tag == f"{{{SAML2_NS}}}Assertion"


async def test_an_sp_connection_wins_over_token_to_token_mappings(admin: Admin, http: httpx.AsyncClient) -> None:
    await username_setup(admin)  # a processor-to-generator mapping for any AppliesTo
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {"saml2EntityId": "https://idp.tokensmith.example"}})
    await admin.ok("POST", "/idp/spConnections", sp_connection())
    via_connection = requested_token((await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE)))
                                     .content)
    assert via_connection.xpath("string(saml:Issuer)", namespaces=NS) == "https://idp.tokensmith.example"
    assert via_connection.xpath("string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS) == \
        "buyer"
    other = requested_token((await _post(http, wcf_issue("alice", "alice-password-1",
                                                         applies_to="https://rp.example.com/app"))).content)
    assert other.xpath("string(saml:Issuer)", namespaces=NS) == "https://sts.example.com"
    assert other.xpath("string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS) == "employee"
    # exact match only: a longer address is not the connection's
    longer = requested_token((await _post(http, wcf_issue("alice", "alice-password-1",
                                                          applies_to=SERVICE + "/x"))).content)
    assert longer.xpath("string(saml:Issuer)", namespaces=NS) == "https://sts.example.com"
    # /pf/sts.wst is the same endpoint
    pf = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE), path="/pf/sts.wst")
    assert requested_token(pf.content).xpath("string(saml:Issuer)", namespaces=NS) == \
        "https://idp.tokensmith.example"


async def test_first_mapping_whose_processor_accepts_and_whose_criteria_hold(sp: Admin,
                                                                              http: httpx.AsyncClient) -> None:
    processor = await sp.ok("GET", "/idp/tokenProcessors/utp")
    await sp.ok("POST", "/idp/tokenProcessors", {**processor, "id": "utp2", "name": "Second"})
    body = sp_connection()
    first = body["wsTrust"]["tokenProcessorMappings"][0]
    first["issuanceCriteria"]["conditionalCriteria"] = [{
        "source": {"type": "TOKEN"}, "attributeName": "username", "condition": "EQUALS", "value": "bob"}]
    first["attributeContractFulfillment"]["role"] = {"source": {"type": "TEXT"}, "value": "bob-role"}
    second = {**first, "idpTokenProcessorRef": {"id": "utp2"},
              "issuanceCriteria": {"conditionalCriteria": [{
                  "source": {"type": "TOKEN"}, "attributeName": "username", "condition": "NOT_EQUAL",
                  "value": "carol", "errorResult": "carol may not"}]},
              "attributeContractFulfillment": {**first["attributeContractFulfillment"],
                                               "role": {"source": {"type": "TEXT"}, "value": "others"}}}
    body["wsTrust"]["tokenProcessorMappings"].append(second)
    await sp.ok("POST", "/idp/spConnections", body)

    def role(response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        return str(requested_token(response.content).xpath(
            "string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS))

    assert role(await _post(http, wcf_issue("bob", "bob-password-12", applies_to=SERVICE))) == "bob-role"
    assert role(await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE))) == "others"
    pcv = await sp.ok("GET", "/passwordCredentialValidators/simple")
    pcv["configuration"]["tables"][0]["rows"].append({"fields": [
        {"name": "Username", "value": "carol"}, {"name": "Password", "value": "carol-password-1"},
        {"name": "Confirm Password", "value": "carol-password-1"}]})
    await sp.ok("PUT", "/passwordCredentialValidators/simple", pcv)
    refused = await _post(http, wcf_issue("carol", "carol-password-1", applies_to=SERVICE))
    assert fault_code(refused.content) == "wst:RequestFailed"
    assert b"carol may not" in refused.content


@pytest.mark.parametrize(("case", "code", "words"), [
    ("wrong password", "wst:FailedAuthentication", b""),
    ("unknown AppliesTo", "wst:InvalidRequest", b"No SP connection has partner service id 'urn:nobody'"),
    ("unknown TokenType", "wst:InvalidRequest", b"does not issue TokenType 'urn:unknown:token'"),
    ("inactive", "wst:InvalidRequest", b"is not active"),
    ("criterion", "wst:RequestFailed", b"Issuance criteria"),
    ("malformed", "wst:InvalidRequest", b""),
    ("no token", "wst:InvalidRequest", b"presents no token"),
    ("symmetric without generateKey", "wst:InvalidRequest", b"does not generate proof keys"),
])
async def test_bad_requests_get_soap_faults(sp: Admin, http: httpx.AsyncClient, case: str, code: str,
                                            words: bytes) -> None:
    body = sp_connection()
    if case == "inactive":
        body["active"] = False
    if case == "criterion":
        body["wsTrust"]["tokenProcessorMappings"][0]["issuanceCriteria"]["conditionalCriteria"] = [{
            "source": {"type": "CONTEXT"}, "attributeName": "ClientIp", "condition": "EQUALS", "value": "10.9.9.9"}]
    await sp.ok("POST", "/idp/spConnections", body)
    rst = {
        "wrong password": wcf_issue("alice", "wrong", applies_to=SERVICE),
        "unknown AppliesTo": wcf_issue("alice", "alice-password-1", applies_to="urn:nobody"),
        "unknown TokenType": wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type="urn:unknown:token"),
        "inactive": wcf_issue("alice", "alice-password-1", applies_to=SERVICE),
        "criterion": wcf_issue("alice", "alice-password-1", applies_to=SERVICE),
        "malformed": wcf_issue("alice", "alice-password-1", applies_to=SERVICE)[:-40],
        "no token": cxf_issue("alice", "x", applies_to=SERVICE).replace(b"<wsse:UsernameToken", b"<wsse:Other")
        .replace(b"</wsse:UsernameToken>", b"</wsse:Other>"),
        "symmetric without generateKey": wcf_issue(
            "alice", "alice-password-1", applies_to=SERVICE,
            key_type="http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey"),
    }[case]
    response = await _post(http, rst)
    assert response.status_code == 500, response.text
    assert fault_code(response.content) == code
    assert words in response.content


def _decrypt_key(key: Any, cipher_b64: str, sha256: bool = False) -> bytes:
    private = key.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    digest = hashes.SHA256() if sha256 else hashes.SHA1()  # noqa: S303 - what the EncryptedKey names
    return private.decrypt(base64.b64decode(cipher_b64), padding.OAEP(padding.MGF1(digest), digest, None))


def _partner(body: dict[str, Any], name: str = "partner-enc") -> Any:
    partner = signing_key("RSA", 2048, name)
    body["credentials"]["certs"] = [{"x509File": {"fileData": partner.certificate_pem.decode()},
                                     "encryptionCert": True}]
    return partner


async def test_generate_key_issues_holder_of_key_with_the_proof_key_encrypted_for_the_partner(
        sp: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    body = sp_connection(generateKey=True)
    partner = _partner(body)
    await sp.ok("POST", "/idp/spConnections", body)
    rst = wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=SAML2_TT,
                    key_type="http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey")
    response = await _post(http, rst)
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert_schema_valid(assertion, "2.0")
    assert assertion.xpath("string(//saml:SubjectConfirmation/@Method)", namespaces=NS) == \
        "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
    cipher = assertion.xpath("string(//saml:SubjectConfirmationData//*[local-name()='CipherValue'])", namespaces=NS)
    root = etree.fromstring(response.content)
    secret = root.xpath("string(//t13:RequestedProofToken/t13:BinarySecret)", namespaces=NS)
    assert secret and _decrypt_key(partner, cipher) == base64.b64decode(secret)
    assert xmlsec1_verify(etree.tostring(assertion), await _cert(sp), tmp_path).returncode == 0


def xmlsec1_decrypt(document: bytes, key_pem: bytes, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    doc, key = tmp / f"enc-{uuid.uuid4().hex}.xml", tmp / f"key-{uuid.uuid4().hex}.pem"
    doc.write_bytes(document)
    key.write_bytes(key_pem)
    return subprocess.run(["xmlsec1", "--decrypt", "--privkey-pem", str(key), str(doc)], capture_output=True,
                          check=False, timeout=60)


@pytest.mark.parametrize(("block", "transport"), [(None, None), ("AES_256", "RSA_OAEP"),
                                                  ("AES_128_GCM", None), ("AES_256_GCM", "RSA_OAEP")])
async def test_encrypted_saml2_assertion_decrypts_with_xmlsec1_and_then_verifies(
        sp: Admin, http: httpx.AsyncClient, tmp_path: Path, block: str | None, transport: str | None) -> None:
    body = sp_connection(encryptSaml2Assertion=True)
    partner = _partner(body)
    if block:
        body["credentials"]["blockEncryptionAlgorithm"] = block
    if transport:
        body["credentials"]["keyTransportAlgorithm"] = transport
    await sp.ok("POST", "/idp/spConnections", body)
    response = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=SAML2_TT))
    assert response.status_code == 200, response.text
    encrypted = requested_token(response.content)
    assert encrypted.tag == f"{{{SAML2_NS}}}EncryptedAssertion"
    assert_schema_valid(encrypted, "2.0")
    assert b"alice" not in etree.tostring(encrypted)
    key_pem = partner.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
    done = xmlsec1_decrypt(etree.tostring(encrypted), key_pem, tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assertion = etree.fromstring(done.stdout).find(f"{{{SAML2_NS}}}Assertion")
    assert assertion is not None
    assert_schema_valid(assertion, "2.0")
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    cert = await _cert(sp)
    assert xmlsec1_verify(done.stdout, cert, tmp_path).returncode == 0
    assert xmlsec1_verify(_tampered(done.stdout, b">alice<", b">mallory<"), cert, tmp_path).returncode != 0
    # another key cannot decrypt it, and a changed ciphertext does not decrypt
    stranger = signing_key("RSA", 2048, "stranger").private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert xmlsec1_decrypt(etree.tostring(encrypted), stranger, tmp_path).returncode != 0
    values = encrypted.xpath("//*[local-name()='CipherValue']")
    data = bytearray(base64.b64decode(values[-1].text))
    data[40] ^= 0xFF
    values[-1].text = base64.b64encode(bytes(data)).decode()
    broken = xmlsec1_decrypt(etree.tostring(encrypted), key_pem, tmp_path)
    assert broken.returncode != 0 or b"alice" not in broken.stdout


async def test_no_issuer_in_the_server_settings_is_a_fault_naming_the_setting(
        sp: Admin, http: httpx.AsyncClient) -> None:
    await sp.ok("POST", "/idp/spConnections", sp_connection())
    await sp.ok("PUT", "/serverSettings", {"federationInfo": {}})  # no issuer for the token
    response = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE))
    assert fault_code(response.content) == "wst:RequestFailed"
    assert b"saml2EntityId" in response.content



async def test_a_saml2_connection_asked_for_saml11_splits_uri_attribute_names(sp: Admin, http: httpx.AsyncClient,
                                                                              tmp_path: Path) -> None:
    claim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
    body = sp_connection()
    body["wsTrust"]["attributeContract"]["extendedAttributes"] = [{"name": claim}]
    body["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"] = {
        "TOKEN_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
        claim: {"source": {"type": "TEXT"}, "value": "alice@example.com"}}
    await sp.ok("POST", "/idp/spConnections", body)
    saml2 = requested_token((await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE))).content)
    assert saml2.xpath("string(//saml:Attribute/@Name)", namespaces=NS) == claim
    response = await _post(http, wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=SAML1_TT))
    assertion = requested_token(response.content)
    assert_schema_valid(assertion, "1.1")
    attribute = assertion.xpath("//saml1:Attribute", namespaces=NS)[0]
    assert (attribute.get("AttributeNamespace"), attribute.get("AttributeName")) == (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", "upn")
    assert xmlsec1_verify(etree.tostring(assertion), await _cert(sp), tmp_path, "1.1").returncode == 0

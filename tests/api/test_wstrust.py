"""WS-Trust requests as real clients send them get signed tokens; every bad request gets a SOAP fault."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from tests.conftest import RUNTIME_BASE, Admin
from tests.keyfiles import generate
from tests.stskit import (
    NS,
    SAML11_GEN,
    SAML20_PROC,
    WST13,
    assert_schema_valid,
    cxf_issue,
    fault_code,
    generator,
    requested_token,
    signing_key,
    username_setup,
    wcf_issue,
    with_token,
    wst2005_issue,
    xmlsec1_verify,
)
from tokensmith.clock import FakeClock
from tokensmith.keys.ring import SigningKey

SOAP12_TYPE = "application/soap+xml; charset=utf-8"
SOAP11_TYPE = "text/xml; charset=utf-8"


async def _post(http: httpx.AsyncClient, body: bytes, path: str = "/pf/sts.wst", content_type: str = SOAP11_TYPE,
                **kw: object) -> httpx.Response:
    return await http.post(RUNTIME_BASE + path, content=body, headers={"content-type": content_type}, **kw)  # type: ignore[arg-type]


def _decrypt(key: SigningKey, cipher: bytes) -> bytes:
    """RSA-OAEP (SHA-1, MGF1-SHA-1), what xenc#rsa-oaep-mgf1p names, by cryptography."""
    private = key.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    sha1 = hashes.SHA1()  # noqa: S303 - the algorithm the encrypted key names
    return private.decrypt(cipher, padding.OAEP(padding.MGF1(sha1), sha1, None))


async def _cert_pem(admin: Admin, key_pair: str = "signer") -> bytes:
    response = await admin.get(f"/keyPairs/signing/{key_pair}/certificate")
    assert response.status_code == 200
    return response.content


@pytest.fixture
async def sts(admin: Admin) -> Admin:
    await username_setup(admin)
    return admin


async def test_wcf_ws_trust_13_soap12_username_token_gets_a_signed_saml2_rstr(
        sts: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    response = await _post(http, wcf_issue("alice", "alice-password-1"), content_type=SOAP12_TYPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/soap+xml")
    body = response.content
    root = etree.fromstring(body)
    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert root.xpath("string(//*[local-name()='Action'])") == f"{WST13}/RSTRC/IssueFinal"
    rstr = root.xpath("//t13:RequestSecurityTokenResponseCollection/t13:RequestSecurityTokenResponse",
                      namespaces=NS)[0]
    # no whitespace between RequestedSecurityToken and the assertion
    assert b"<trust:RequestedSecurityToken><saml:Assertion" in body
    assertion = requested_token(body)
    assert_schema_valid(assertion, "2.0")
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    assert assertion.xpath("string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS) == "employee"
    assert assertion.xpath("string(//saml:Audience)", namespaces=NS) == "https://rp.example.com/"
    assert rstr.xpath("string(t13:Lifetime/*[local-name()='Expires'])", namespaces=NS)
    ref = rstr.xpath("string(t13:RequestedAttachedReference//wsse:KeyIdentifier)", namespaces=NS)
    assert ref == assertion.get("ID")
    assert rstr.xpath("string(t13:RequestedUnattachedReference//wsse:KeyIdentifier)", namespaces=NS) == ref
    assert rstr.xpath("string(t13:KeyType)", namespaces=NS) == f"{WST13}/Bearer"
    cert = await _cert_pem(sts)
    assert xmlsec1_verify(body, cert, tmp_path).returncode == 0
    assert xmlsec1_verify(etree.tostring(assertion), cert, tmp_path).returncode == 0


async def test_cxf_ws_trust_13_soap11_username_token(sts: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    response = await _post(http, cxf_issue("alice", "alice-password-1"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assertion = requested_token(response.content)
    assert assertion.tag == "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"
    assert xmlsec1_verify(response.content, await _cert_pem(sts), tmp_path).returncode == 0
    token_type = etree.fromstring(response.content).xpath("string(//t13:TokenType)", namespaces=NS)
    assert token_type == "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"


async def test_ws_trust_2005_soap11(sts: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    response = await _post(http, wst2005_issue("alice", "alice-password-1"))
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert root.xpath("count(//t05:RequestSecurityTokenResponse)", namespaces=NS) == 1
    assert root.xpath("count(//t13:RequestSecurityTokenResponseCollection)", namespaces=NS) == 0
    assert root.xpath("string(//*[local-name()='Action'])") == \
        "http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue"
    assert xmlsec1_verify(response.content, await _cert_pem(sts), tmp_path).returncode == 0


async def test_trailing_slash_ws_trust_13_namespace_is_accepted(sts: Admin, http: httpx.AsyncClient) -> None:
    body = cxf_issue("alice", "alice-password-1").replace(
        b'xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512"',
        b'xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512/"')
    response = await _post(http, body)
    assert response.status_code == 200, response.text


async def test_applies_to_with_markup_characters_is_echoed_escaped(sts: Admin, http: httpx.AsyncClient) -> None:
    body = cxf_issue("alice", "alice-password-1", applies_to="https://rp.example.com/app?a=1&amp;b=&lt;2&gt;\"")
    response = await _post(http, body)
    assert response.status_code == 200, response.text
    echoed = etree.fromstring(response.content).xpath("string(//*[local-name()='AppliesTo']//*[local-name()="
                                                       "'Address'])")
    assert echoed == 'https://rp.example.com/app?a=1&b=<2>"'


async def test_username_lockout_after_authentication_attempts(sts: Admin, http: httpx.AsyncClient,
                                                              clock: FakeClock) -> None:
    pcv = await sts.ok("GET", "/passwordCredentialValidators/simple")
    pcv["configuration"]["tables"][0]["rows"].append({"fields": [
        {"name": "Username", "value": "lockme"}, {"name": "Password", "value": "lockme-password-1"},
        {"name": "Confirm Password", "value": "lockme-password-1"}]})
    await sts.ok("PUT", "/passwordCredentialValidators/simple", pcv)
    for _ in range(3):
        assert fault_code((await _post(http, cxf_issue("lockme", "wrong"))).content) == "wst:FailedAuthentication"
    locked = await _post(http, cxf_issue("lockme", "lockme-password-1"))
    assert b"Too many failed attempts" in locked.content
    clock.advance(61)
    assert (await _post(http, cxf_issue("lockme", "lockme-password-1"))).status_code == 200


async def test_an_x509_token_beside_the_username_token_is_passed_over(sts: Admin, http: httpx.AsyncClient) -> None:
    x509 = ('<o:BinarySecurityToken u:Id="uuid-x509" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-'
            'wss-x509-token-profile-1.0#X509v3" EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
            'soap-message-security-1.0#Base64Binary">MIIB</o:BinarySecurityToken>')
    body = wcf_issue("alice", "alice-password-1").replace(b"<o:UsernameToken", x509.encode() + b"<o:UsernameToken")
    assert (await _post(http, body, content_type=SOAP12_TYPE)).status_code == 200
    alone = wcf_issue("alice", "alice-password-1").replace(b"<o:UsernameToken", x509.encode() + b"<o:Ignored")
    alone = alone.replace(b"</o:UsernameToken>", b"</o:Ignored>")
    assert fault_code((await _post(http, alone, content_type=SOAP12_TYPE)).content) == "wst:InvalidSecurityToken"


async def test_wrong_password_is_a_failed_authentication_fault(sts: Admin, http: httpx.AsyncClient) -> None:
    response = await _post(http, wcf_issue("alice", "wrong"), content_type=SOAP12_TYPE)
    assert response.status_code == 500
    assert fault_code(response.content) == "wst:FailedAuthentication"
    assert b"Reason" in response.content


@pytest.mark.parametrize(("body", "code"), [
    (b"not xml at all", "wst:InvalidRequest"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "wst:InvalidRequest"),
    (b'<a xmlns="urn:x"/>', "wst:InvalidRequest"),
    (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
     "wst:InvalidRequest"),
    (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>',
     "wst:InvalidRequest"),
])
async def test_malformed_requests_get_soap_faults(sts: Admin, http: httpx.AsyncClient, body: bytes, code: str) -> None:
    response = await _post(http, body)
    assert response.status_code == 500
    assert fault_code(response.content) == code


async def test_unsupported_request_and_key_types_and_missing_token(sts: Admin, http: httpx.AsyncClient) -> None:
    renew = cxf_issue("alice", "alice-password-1").replace(b"200512/Issue<", b"200512/Renew<")
    assert fault_code((await _post(http, renew)).content) == "wst:InvalidRequest"
    odd = cxf_issue("alice", "alice-password-1", key_type="urn:odd")
    assert fault_code((await _post(http, odd)).content) == "wst:InvalidRequest"
    digest = cxf_issue("alice", "alice-password-1").replace(b"#PasswordText", b"#PasswordDigest")
    assert b"PasswordText" in (await _post(http, digest)).content
    no_token = with_token(b"", "Issue")
    assert fault_code((await _post(http, no_token)).content) == "wst:InvalidRequest"
    wrong_type = cxf_issue("alice", "alice-password-1", token_type="urn:unknown:token")
    assert fault_code((await _post(http, wrong_type)).content) == "wst:InvalidRequest"
    get = await http.get(RUNTIME_BASE + "/pf/sts.wst")
    assert get.status_code == 405 and b"Fault" in get.content
    form = await http.post(RUNTIME_BASE + "/pf/sts.wst", data={"a": "b"})
    assert form.status_code == 415 and b"Fault" in form.content


async def test_public_key_request_binds_the_client_certificate(sts: Admin, http: httpx.AsyncClient,
                                                               tmp_path: Path) -> None:
    client = signing_key("RSA", 2048, "wsc-client")
    der = base64.b64encode(client.certificate.public_bytes(__import__(
        "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)).decode()
    use_key = (f'<wst:UseKey><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
               f'<ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></wst:UseKey>')
    body = cxf_issue("alice", "alice-password-1", key_type=f"{WST13}/PublicKey", body_extra=use_key)
    response = await _post(http, body)
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert assertion.xpath("string(//saml:SubjectConfirmation/@Method)", namespaces=NS).endswith("holder-of-key")
    assert assertion.xpath("string(//saml:SubjectConfirmationData//ds:X509Certificate)", namespaces=NS) == der
    assert_schema_valid(assertion, "2.0")
    assert xmlsec1_verify(response.content, await _cert_pem(sts), tmp_path).returncode == 0
    missing = cxf_issue("alice", "alice-password-1", key_type=f"{WST13}/PublicKey")
    assert fault_code((await _post(http, missing)).content) == "wst:InvalidRequest"


async def test_symmetric_key_needs_an_encryption_certificate_then_returns_the_proof(
        sts: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    body = cxf_issue("alice", "alice-password-1", key_type=f"{WST13}/SymmetricKey")
    refused = await _post(http, body)
    assert fault_code(refused.content) == "wst:InvalidRequest"
    assert b"Encryption Certificate" in refused.content
    rp = signing_key("RSA", 2048, "rp-encryption")
    current = await sts.ok("GET", "/sp/tokenGenerators/saml2gen")
    for f in current["configuration"]["fields"]:
        if f["name"] == "Encryption Certificate":
            f["value"] = rp.certificate_pem.decode()
    await sts.ok("PUT", "/sp/tokenGenerators/saml2gen", current)
    response = await _post(http, body)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    secret = base64.b64decode(root.xpath("string(//t13:RequestedProofToken/t13:BinarySecret)", namespaces=NS))
    assert len(secret) == 32
    assertion = requested_token(response.content)
    cipher = base64.b64decode(assertion.xpath("string(//*[local-name()='CipherValue'])"))
    assert _decrypt(rp, cipher) == secret
    assert_schema_valid(assertion, "2.0")
    # with client entropy: a computed key (P_SHA1) and the server's entropy
    entropy = base64.b64encode(b"c" * 32).decode()
    combined = cxf_issue("alice", "alice-password-1", key_type=f"{WST13}/SymmetricKey", body_extra=(
        f'<wst:Entropy><wst:BinarySecret Type="{WST13}/Nonce">{entropy}</wst:BinarySecret></wst:Entropy>'
        "<wst:KeySize>256</wst:KeySize>"))
    response = await _post(http, combined)
    root = etree.fromstring(response.content)
    assert root.xpath("string(//t13:RequestedProofToken/t13:ComputedKey)", namespaces=NS) == f"{WST13}/CK/PSHA1"
    server = base64.b64decode(root.xpath("string(//t13:Entropy/t13:BinarySecret)", namespaces=NS))
    from tokensmith.sts.wstrust import p_sha1
    key = p_sha1(b"c" * 32, server, 32)
    cipher = base64.b64decode(requested_token(response.content).xpath("string(//*[local-name()='CipherValue'])"))
    assert _decrypt(rp, cipher) == key


async def test_saml11_generator_by_token_type(sts: Admin, http: httpx.AsyncClient, tmp_path: Path) -> None:
    await generator(sts, "saml11gen", plugin=SAML11_GEN)
    await sts.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "utp", "targetId": "saml11gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                                         "role": {"source": {"type": "CONTEXT"}, "value": "ClientIp"}}})
    body = cxf_issue("alice", "alice-password-1",
                     token_type="http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1")
    response = await _post(http, body)
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert assertion.tag == "{urn:oasis:names:tc:SAML:1.0:assertion}Assertion"
    assert_schema_valid(assertion, "1.1")
    assert xmlsec1_verify(response.content, await _cert_pem(sts), tmp_path, "1.1").returncode == 0
    root = etree.fromstring(response.content)
    assert root.xpath("string(//wsse:KeyIdentifier/@ValueType)", namespaces=NS).endswith("#SAMLAssertionID")
    # TokenGeneratorId picks explicitly
    response = await _post(http, cxf_issue("alice", "alice-password-1", token_type=""),
                           path="/pf/sts.wst?TokenGeneratorId=saml11gen")
    assert requested_token(response.content).tag == "{urn:oasis:names:tc:SAML:1.0:assertion}Assertion"


async def test_issuance_criteria_refuse(sts: Admin, http: httpx.AsyncClient) -> None:
    mapping = await sts.ok("GET", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen")
    mapping["issuanceCriteria"] = {"conditionalCriteria": [{
        "source": {"type": "TOKEN"}, "attributeName": "username", "condition": "EQUALS", "value": "bob",
        "errorResult": "only bob"}]}
    await sts.ok("PUT", "/tokenProcessorToTokenGeneratorMappings/utp|saml2gen", mapping)
    response = await _post(http, cxf_issue("alice", "alice-password-1"))
    assert fault_code(response.content) == "wst:RequestFailed"
    assert b"only bob" in response.content


async def test_basic_authentication_when_enabled(sts: Admin, http: httpx.AsyncClient) -> None:
    await sts.ok("PUT", "/serverSettings/wsTrustStsSettings", {
        "basicAuthnEnabled": True, "users": [{"username": "wsc", "password": "wsc-secret-123"}]})
    settings = await sts.ok("GET", "/serverSettings/wsTrustStsSettings")
    assert "password" not in settings["users"][0] and settings["users"][0]["encryptedPassword"]
    denied = await _post(http, cxf_issue("alice", "alice-password-1"))
    assert denied.status_code == 401 and fault_code(denied.content) == "wst:FailedAuthentication"
    allowed = await _post(http, cxf_issue("alice", "alice-password-1"), auth=("wsc", "wsc-secret-123"))
    assert allowed.status_code == 200, allowed.text


async def test_basic_authentication_guessing_is_throttled(sts: Admin, http: httpx.AsyncClient) -> None:
    await sts.ok("PUT", "/serverSettings/wsTrustStsSettings", {
        "basicAuthnEnabled": True, "users": [{"username": "wsc", "password": "wsc-secret-123"}]})
    for _ in range(10):  # the default limit per identity and address
        wrong = await _post(http, cxf_issue("alice", "alice-password-1"), auth=("wsc", "wrong-password"))
        assert wrong.status_code == 401 and fault_code(wrong.content) == "wst:FailedAuthentication"
    locked = await _post(http, cxf_issue("alice", "alice-password-1"), auth=("wsc", "wsc-secret-123"))
    assert locked.status_code == 429, locked.text  # the right password is not even checked
    assert fault_code(locked.content) == "wst:FailedAuthentication"
    assert int(locked.headers["retry-after"]) > 0


async def test_validate_and_sp_sts_with_an_idp_connection(sts: Admin, http: httpx.AsyncClient,
                                                          tmp_path: Path) -> None:
    """A partner IdP's SAML token: validated by a SAML processor (/pf/sts.wst Validate) and, at
    /sp/sts.wst, exchanged for a local token through the IdP connection's generator mapping."""
    await sts.ok("PUT", "/serverSettings", {"federationInfo": {"saml2EntityId": "https://sts.example.com",
                                                                "saml1xIssuerId": "sts-saml1"}})
    # the partner: its own key pair and a generator whose audience is this STS
    await generate(sts, "partner")
    await generator(sts, "partnergen", key_pair="partner", Issuer="https://idp.partner.example",
                    Audience="https://sts.example.com", Include_Certificate_in_KeyInfo="true")
    partner_token = await _post(http, cxf_issue("alice", "alice-password-1"),
                                path="/pf/sts.wst?TokenGeneratorId=partnergen")
    # (the mapping utp|partnergen is needed for that call)
    assert partner_token.status_code == 500
    await sts.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "utp", "targetId": "partnergen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                                         "role": {"source": {"type": "TEXT"}, "value": "partner-admin"}}})
    partner_token = await _post(http, cxf_issue("alice", "alice-password-1"),
                                path="/pf/sts.wst?TokenGeneratorId=partnergen")
    token_xml = etree.tostring(requested_token(partner_token.content))
    partner_cert = (await _cert_pem(sts, "partner")).decode()
    await sts.ok("POST", "/certificates/ca/import", {"id": "partnerca", "fileData": partner_cert})
    await sts.ok("POST", "/idp/tokenProcessors", {
        "id": "samlp", "name": "SAML in", "pluginDescriptorRef": {"id": SAML20_PROC}, "configuration": {},
        "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": [{"name": "role"}]}})
    valid = await _post(http, with_token(token_xml, "Validate", token_type=""))
    assert valid.status_code == 200, valid.text
    assert etree.fromstring(valid.content).xpath("string(//t13:Status/t13:Code)", namespaces=NS) == \
        f"{WST13}/status/valid", valid.text
    forged = token_xml.replace(b">alice<", b">mallory<")
    invalid = await _post(http, with_token(forged, "Validate", token_type=""))
    assert etree.fromstring(invalid.content).xpath("string(//t13:Status/t13:Code)", namespaces=NS) == \
        f"{WST13}/status/invalid"
    # SP STS: an IdP connection for the partner, issuing local SAML 2.0 tokens through saml2gen
    connection = {
        "id": "partner", "name": "Partner IdP", "entityId": "https://idp.partner.example", "active": True,
        "credentials": {"certs": [{"x509File": {"fileData": partner_cert}, "activeVerificationCert": True}]},
        "wsTrust": {"attributeContract": {"extendedAttributes": [{"name": "role"}]}, "generateLocalToken": True,
                    "tokenGeneratorMappings": [{
                        "spTokenGeneratorRef": {"id": "saml2gen"}, "defaultMapping": True,
                        "attributeContractFulfillment": {
                            "SAML_SUBJECT": {"source": {"type": "ASSERTION"}, "value": "TOKEN_SUBJECT"},
                            "role": {"source": {"type": "ASSERTION"}, "value": "role"}}}]}}
    await sts.ok("POST", "/sp/idpConnections", connection, status=201)
    local = await _post(http, with_token(token_xml), path="/sp/sts.wst")
    assert local.status_code == 200, local.text
    issued = requested_token(local.content)
    assert issued.xpath("string(saml:Issuer)", namespaces=NS) == "https://sts.example.com"
    assert issued.xpath("string(//saml:Attribute[@Name='role']/saml:AttributeValue)", namespaces=NS) == \
        "partner-admin"
    assert xmlsec1_verify(local.content, await _cert_pem(sts), tmp_path).returncode == 0
    tampered = await _post(http, with_token(forged), path="/sp/sts.wst")
    assert fault_code(tampered.content) == "wst:InvalidSecurityToken"
    unknown = await _post(http, with_token(token_xml.replace(b"idp.partner.example", b"idp.other.example")),
                          path="/sp/sts.wst")
    assert b"No IdP connection" in unknown.content

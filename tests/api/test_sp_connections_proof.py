"""Holder-of-key with the requester's own key (``KeyType`` PublicKey and ``UseKey``) through SP
connections at ``/idp/sts.wst``: the assertion binds the presented certificate in its subject
confirmation, for SAML 2.0 and SAML 1.1, whether or not the connection generates keys; it stays
schema-valid and verifies with xmlsec1, and a PublicKey request without a key is a SOAP fault."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from tests.conftest import RUNTIME_BASE, Admin
from tests.stskit import (
    NS,
    SERVICE,
    assert_schema_valid,
    fault_code,
    requested_token,
    signing_key,
    sp_connection,
    sp_setup,
    wcf_issue,
    xmlsec1_verify,
)

SOAP12 = "application/soap+xml; charset=utf-8"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
TOKEN_TYPES = {"2.0": "urn:oasis:names:tc:SAML:2.0:assertion", "1.1": "urn:oasis:names:tc:SAML:1.0:assertion"}


def _use_key(der: str) -> str:
    return (f'<trust:UseKey><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
            f'<ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></trust:UseKey>')


@pytest.mark.parametrize("generate_key", [False, True])
@pytest.mark.parametrize("version", ["2.0", "1.1"])
async def test_public_key_request_binds_the_requesters_certificate(admin: Admin, http: httpx.AsyncClient,
                                                                   tmp_path: Path, version: str,
                                                                   generate_key: bool) -> None:
    await sp_setup(admin)
    token_type = "SAML20" if version == "2.0" else "SAML11"
    body = sp_connection(token_type=token_type, generateKey=generate_key)
    if generate_key:  # a connection that generates keys needs the partner's encryption certificate
        body["credentials"]["certs"] = [{"x509File": {"fileData": signing_key(
            "RSA", 2048, "partner-enc").certificate_pem.decode()}, "encryptionCert": True}]
    await admin.ok("POST", "/idp/spConnections", body)
    client = signing_key("RSA", 2048, "wsc-client")
    der = base64.b64encode(client.certificate.public_bytes(Encoding.DER)).decode()
    rst = wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=TOKEN_TYPES[version],
                    key_type=f"{WST13}/PublicKey", extra=_use_key(der))
    response = await http.post(RUNTIME_BASE + "/idp/sts.wst", content=rst, headers={"content-type": SOAP12})
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert_schema_valid(assertion, version)
    method = "string(//saml:SubjectConfirmation/@Method)" if version == "2.0" else \
        "string(//saml1:SubjectConfirmation/saml1:ConfirmationMethod)"
    assert assertion.xpath(method, namespaces=NS).endswith("holder-of-key")
    assert assertion.xpath("string(//ds:X509Certificate)", namespaces=NS) == der
    cert = (await admin.get("/keyPairs/signing/signer/certificate")).content
    signed = etree.tostring(assertion)
    assert xmlsec1_verify(signed, cert, tmp_path, version).returncode == 0
    other = base64.b64encode(signing_key("RSA", 2048, "wsc-other").certificate.public_bytes(Encoding.DER))
    assert xmlsec1_verify(signed.replace(der.encode(), other, 1), cert, tmp_path, version).returncode != 0
    assert b"BinarySecret" not in response.content  # no symmetric proof token for a public key

    missing = wcf_issue("alice", "alice-password-1", applies_to=SERVICE, token_type=TOKEN_TYPES[version],
                        key_type=f"{WST13}/PublicKey")
    refused = await http.post(RUNTIME_BASE + "/idp/sts.wst", content=missing, headers={"content-type": SOAP12})
    assert fault_code(refused.content) == "wst:InvalidRequest"  # a SOAP fault (HTTP 500 per SOAP's binding)
    assert b"A PublicKey request needs a UseKey" in refused.content

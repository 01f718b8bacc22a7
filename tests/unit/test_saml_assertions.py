"""Every assertion the SAML generators produce (both SAML versions x every signing algorithm x
KeyInfo options x confirmation methods) validates against the OASIS schemas and verifies with the
xmlsec1 command against the pinned certificate; a one-byte change, or another certificate, fails."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.stskit import assert_schema_valid, signing_key, xmlsec1_verify
from tokensmith.keys.ring import KeyRing
from tokensmith.sts.generators import saml as gen
from tokensmith.sts.generators.base import CompileInput
from tokensmith.sts.tokens import BEARER, PUBLIC_KEY, SYMMETRIC_KEY, IssueRequest, ProofKey

KEYS = {"SHA1": ("RSA", 2048), "RSA_SHA256": ("RSA", 2048), "RSA_SHA384": ("RSA", 2048),
        "RSA_SHA512": ("RSA", 2048), "ECDSA_SHA256": ("EC", 256), "ECDSA_SHA384": ("EC", 384),
        "ECDSA_SHA512": ("EC", 521)}
KEYINFO = [("true", "false"), ("false", "false"), ("false", "true"), ("true", "true")]


def _generator(version: str, algorithm: str, include_cert: str, include_key: str,
               method: str = "bearer") -> gen.SamlGenerator:
    key = signing_key(*KEYS[algorithm])
    encryption = signing_key("RSA", 2048, "rp-encryption").certificate_pem.decode()
    prefix = "urn:oasis:names:tc:SAML:2.0:cm:" if version == "2.0" else "urn:oasis:names:tc:SAML:1.0:cm:"
    values = {gen.F_BEFORE: "5", gen.F_AFTER: "30", gen.F_ISSUER: "https://sts.example.com", gen.F_KEY: key.id,
              gen.F_ALGORITHM: algorithm, gen.F_INCLUDE_CERT: include_cert, gen.F_INCLUDE_KEY: include_key,
              gen.F_AUDIENCE: "https://rp.example.com/", gen.F_METHOD: prefix + method, gen.F_ENCRYPTION: encryption}
    kind = gen.SAML20_GENERATOR if version == "2.0" else gen.SAML11_GENERATOR
    return kind.compile(CompileInput("g", values, {}, ("role",), KeyRing({key.id: key})))  # type: ignore[return-value]


def _requests() -> list[tuple[str, IssueRequest]]:
    now = time.time()
    attrs = {"role": ["admin", "user"], "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email": ["a@x.org"]}
    client = signing_key("RSA", 2048, "client")
    return [
        ("bearer", IssueRequest("alice", attrs, now, key_type=BEARER)),
        ("sender-vouches", IssueRequest("alice", attrs, now, key_type=None)),
        ("holder-of-key-public", IssueRequest("alice", attrs, now, key_type=PUBLIC_KEY,
                                              proof=ProofKey(PUBLIC_KEY, certificate=client.certificate))),
        ("holder-of-key-symmetric", IssueRequest("alice", attrs, now, key_type=SYMMETRIC_KEY,
                                                 proof=ProofKey(SYMMETRIC_KEY, secret=b"k" * 32))),
    ]


def _cm(label: str) -> str:
    return "sender-vouches" if label == "sender-vouches" else "bearer"


@pytest.mark.parametrize("version", ["2.0", "1.1"])
@pytest.mark.parametrize("algorithm", list(KEYS))
def test_every_assertion_is_schema_valid_and_verifies_with_xmlsec1(version: str, algorithm: str,
                                                                   tmp_path: Path) -> None:
    key = signing_key(*KEYS[algorithm])
    for include_cert, include_key in KEYINFO:
        for label, request in _requests():
            generator = _generator(version, algorithm, include_cert, include_key, _cm(label))
            token = generator.issue(request)
            assert_schema_valid(token.value, version)
            done = xmlsec1_verify(token.value, key.certificate_pem, tmp_path, version)
            assert done.returncode == 0, (version, algorithm, include_cert, include_key, label, done.stderr)
            assert b"\n" not in token.value  # compact: no whitespace anywhere, signature included
            root = etree.fromstring(token.value)
            method = root.xpath("string(//*[local-name()='SubjectConfirmation']/@Method | "
                                "//*[local-name()='ConfirmationMethod'])")
            expected = {"bearer": "bearer", "sender-vouches": "sender-vouches"}.get(label, "holder-of-key")
            assert method.endswith(expected)


@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_one_changed_byte_or_another_certificate_fails_xmlsec1(version: str, tmp_path: Path) -> None:
    key = signing_key("RSA", 2048)
    token = _generator(version, "RSA_SHA256", "true", "false").issue(_requests()[0][1])
    assert xmlsec1_verify(token.value, key.certificate_pem, tmp_path, version).returncode == 0
    tampered = token.value.replace(b">alice<", b">alicf<", 1)
    assert tampered != token.value
    assert xmlsec1_verify(tampered, key.certificate_pem, tmp_path, version).returncode != 0
    other = signing_key("RSA", 2048, "someone-else")
    assert xmlsec1_verify(token.value, other.certificate_pem, tmp_path, version).returncode != 0


def test_key_info_options_are_what_the_fields_say() -> None:
    request = _requests()[0][1]
    ds = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    key = signing_key("RSA", 2048)
    der = key.certificate.public_bytes(serialization.Encoding.DER)
    with_cert = etree.fromstring(_generator("2.0", "RSA_SHA256", "true", "false").issue(request).value)
    assert with_cert.xpath("count(//ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate)", namespaces=ds) == 1
    assert with_cert.xpath("count(//ds:Signature/ds:KeyInfo/ds:KeyValue)", namespaces=ds) == 0
    import base64
    assert base64.b64decode(with_cert.xpath("string(//ds:X509Certificate)", namespaces=ds)) == der
    bare = etree.fromstring(_generator("2.0", "RSA_SHA256", "false", "false").issue(request).value)
    assert bare.xpath("count(//ds:X509Certificate)", namespaces=ds) == 0
    assert bare.xpath("count(//ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509SKI)", namespaces=ds) == 1
    raw = etree.fromstring(_generator("2.0", "RSA_SHA256", "false", "true").issue(request).value)
    assert raw.xpath("count(//ds:Signature/ds:KeyInfo/ds:KeyValue/ds:RSAKeyValue)", namespaces=ds) == 1
    assert raw.xpath("count(//ds:X509Certificate)", namespaces=ds) == 0


def test_signature_uses_exclusive_c14n_and_sits_where_each_schema_wants_it() -> None:
    request = _requests()[0][1]
    saml2 = etree.fromstring(_generator("2.0", "RSA_SHA256", "true", "false").issue(request).value)
    assert [etree.QName(c).localname for c in saml2][:3] == ["Issuer", "Signature", "Subject"]
    assert saml2.xpath("string(//*[local-name()='CanonicalizationMethod']/@Algorithm)") == \
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    saml1 = etree.fromstring(_generator("1.1", "RSA_SHA256", "true", "false").issue(request).value)
    assert etree.QName(saml1[-1]).localname == "Signature"


def test_algorithm_must_suit_the_key() -> None:
    from tokensmith.sts.saml.signing import key_mismatch

    assert key_mismatch("ECDSA_SHA256", signing_key("RSA", 2048)) is not None
    assert key_mismatch("RSA_SHA256", signing_key("EC", 256)) is not None
    assert key_mismatch("RSA_SHA256", signing_key("RSA", 2048)) is None

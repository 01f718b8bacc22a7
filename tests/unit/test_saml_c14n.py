"""The canonical SAML writer equals lxml's exclusive C14N of the same assertion built as a tree
(tests/samlref.py), for generated values (markup characters, quotes, whitespace controls,
non-ASCII, astral characters) and every option (SAML 1.1 and 2.0, each confirmation method, with
and without attributes and audience, holder-of-key proof keys); what it signs verifies with
signxml, and text XML cannot carry is refused as lxml refuses it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml import XMLVerifier

from tests.samlref import build
from tests.stskit import signing_key
from tokensmith.sts.saml import assertion as saml
from tokensmith.sts.saml import keyinfo
from tokensmith.sts.saml.c14n import Canonical
from tokensmith.sts.saml.signing import AssertionSigner
from tokensmith.sts.xml import DS

NOW = 1_800_000_000.0
XML_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00") \
    .filter(lambda c: c in "\t\n\r" or c >= " ") \
    .filter(lambda c: not ("\ufffe" <= c <= "\uffff"))
TEXT = st.text(alphabet=st.one_of(st.sampled_from("&<>\"' \t\r\n;=#x]]>:/é€😀"), XML_CHARS), max_size=24)
ATTRIBUTES = st.dictionaries(st.one_of(TEXT.filter(bool), st.sampled_from(
    ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email", "urn:x:y", "role", "a&b<c\"d"])),
    st.lists(TEXT, max_size=3), max_size=4)


def _reference(spec: saml.AssertionSpec) -> bytes:
    """lxml's exclusive C14N of the tree model, signature placeholder removed."""
    tree = build(spec)
    placeholder = tree.find(f"{{{DS}}}Signature")
    assert placeholder is not None
    tree.remove(placeholder)
    return etree.tostring(tree, method="c14n", exclusive=True, with_comments=False)


def _written(spec: saml.AssertionSpec) -> bytes:
    canonical: Canonical = saml.write(spec)
    return (canonical.head + canonical.tail).encode("utf-8")


def _spec(version: str, confirmation: str, issuer: str = "https://sts.example.com", subject: str = "alice",
          audience: str = "https://rp.example.com/", attributes: dict[str, list[str]] | None = None,
          authn: str = "password", proof: etree._Element | None = None, id_: str = "_0123abcd") -> saml.AssertionSpec:
    return saml.AssertionSpec(version=version, issuer=issuer, subject=subject, audience=audience,
                              confirmation=confirmation, now=NOW, not_before=NOW - 300, not_on_or_after=NOW + 1800.5,
                              attributes=attributes if attributes is not None else {"role": ["a", "b"]}, authn=authn,
                              proof_key_info=proof, id=id_)


@settings(max_examples=150, deadline=None)
@given(version=st.sampled_from([saml.SAML20, saml.SAML11]),
       confirmation=st.sampled_from([saml.BEARER, saml.SENDER_VOUCHES, saml.HOLDER_OF_KEY]),
       issuer=TEXT, subject=TEXT, audience=TEXT, attributes=ATTRIBUTES,
       authn=st.sampled_from(sorted(saml.AUTHN_CONTEXT)))
def test_the_writer_equals_lxml_exclusive_c14n(version: str, confirmation: str, issuer: str, subject: str,
                                               audience: str, attributes: dict[str, list[str]], authn: str) -> None:
    spec = _spec(version, confirmation, issuer, subject, audience, attributes, authn)
    assert _written(spec) == _reference(spec)


def _proofs() -> list[etree._Element | None]:
    client = signing_key("RSA", 2048, "client")
    ec_client = signing_key("EC", 256, "ec-client")
    rp = signing_key("RSA", 2048, "rp-encryption")
    return [None, keyinfo.certificate_key_info(client.certificate), keyinfo.public_key_info(client.public_key),
            keyinfo.public_key_info(ec_client.public_key), keyinfo.encrypted_key_info(b"k" * 32, rp.certificate)]


def test_every_combination_equals_lxml_exclusive_c14n() -> None:
    values = ["plain", "a&b<c>d\"e'f", " spaced\tand\nlined\r ", "nön-ÄSCII €", "😀 astral", ""]
    attribute_sets: list[dict[str, list[str]]] = [
        {}, {"role": ["admin", "user"]},
        {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email": ["a@x.org"], "q\"&<": ["", "<&>"]}]
    combos = itertools.product([saml.SAML20, saml.SAML11], [saml.BEARER, saml.SENDER_VOUCHES, saml.HOLDER_OF_KEY],
                               _proofs(), attribute_sets, ["", "https://rp.example.com/?a=1&b=<2>"])
    count = 0
    for version, confirmation, proof, attributes, audience in combos:
        for value in values:
            spec = _spec(version, confirmation, issuer=value or "x", subject=value, audience=audience,
                         attributes=attributes, proof=proof)
            assert _written(spec) == _reference(spec), (version, confirmation, value)
            count += 1
    assert count == 2 * 3 * 5 * 3 * 2 * len(values)


@pytest.mark.parametrize("bad", ["nul\x00", "bell\x07", "esc\x1b", "lone \ud800 surrogate", "\ufffe"])
@pytest.mark.parametrize("version", [saml.SAML20, saml.SAML11])
def test_text_xml_cannot_carry_is_refused_like_lxml_refuses_it(bad: str, version: str) -> None:
    for spec in (_spec(version, saml.BEARER, subject=bad), _spec(version, saml.BEARER, attributes={"r": [bad]}),
                 _spec(version, saml.BEARER, attributes={bad: ["v"]}), _spec(version, saml.BEARER, audience=bad)):
        with pytest.raises(ValueError):
            _reference(spec)
        with pytest.raises(ValueError, match="XML compatible"):
            saml.write(spec)


@pytest.mark.parametrize(("algorithm", "key_args"), [("RSA_SHA256", ("RSA", 2048)), ("RSA_SHA512", ("RSA", 2048)),
                                                     ("ECDSA_SHA256", ("EC", 256)), ("ECDSA_SHA512", ("EC", 521))])
@pytest.mark.parametrize("version", [saml.SAML20, saml.SAML11])
def test_signed_bytes_verify_with_signxml_over_exactly_the_written_assertion(
        version: str, algorithm: str, key_args: tuple[str, int]) -> None:
    key = signing_key(*key_args)
    signer = AssertionSigner(key, algorithm, keyinfo.signature_key_info(key.certificate, key.chain, True, False))
    spec = _spec(version, saml.BEARER, subject="a&b <é>", attributes={"role": ["x\"y", "z\r"]})
    signed = signer.sign(saml.write(spec), spec.id)
    id_attribute = "ID" if version == saml.SAML20 else "AssertionID"
    result = XMLVerifier().verify(signed, x509_cert=key.certificate_pem.decode(), id_attribute=id_attribute,
                                  expect_references=1)
    verified = result.signed_xml
    assert verified is not None and verified.get(id_attribute) == spec.id
    # what signxml found signed is the assertion as written, signature removed
    root = etree.fromstring(signed)
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.remove(signature)
    assert etree.tostring(root, method="c14n", exclusive=True) == _written(spec)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(min_value=0, max_value=4e9, allow_nan=False),
                 st.integers(min_value=0, max_value=4_000_000_000).map(lambda s: s + 0.9999996),
                 st.integers(min_value=0, max_value=4_000_000_000).map(lambda s: s + 0.0005)))
def test_instants_are_what_datetime_writes(moment: float) -> None:
    from datetime import UTC, datetime

    value = datetime.fromtimestamp(moment, UTC)
    assert saml.instant(moment) == value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

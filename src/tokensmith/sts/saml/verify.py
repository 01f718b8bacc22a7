"""Checking an incoming SAML 1.1 / 2.0 assertion and reading it.

The order matters: refuse comments and processing instructions anywhere in the assertion, find
its one enveloped ``ds:Signature``, decide which certificate may have signed it (trusted and
allowed, or pinned by a connection), let signxml verify the signature, and read every value only
from what signxml returns as signed (``signed_xml``), after checking that this is the assertion
itself. Nothing outside the signed bytes is ever read, so signature wrapping has nothing to wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from tokensmith.keys.material import render_dn
from tokensmith.sts.certs import certificate_from_text, trusted
from tokensmith.sts.saml.assertion import SAML11, SAML20
from tokensmith.sts.tokens import Identity, TokenRefused
from tokensmith.sts.xml import DS, SAML1, SAML2, child, children, has_comments, q, text

CLOCK_SKEW = 60.0
_ALLOWED = SignatureConfiguration(
    require_x509=False, expect_references=1,
    signature_methods=frozenset(SignatureMethod),  # SHA-1 too: partners still sign with RSA-SHA1
    digest_algorithms=frozenset(DigestAlgorithm),
)


class _Verifier(XMLVerifier):
    def check_deprecated_methods(self) -> None:  # signature methods are limited by _ALLOWED instead
        return None


@dataclass(frozen=True)
class Trust:
    """Which certificates may sign: trusted anchors (CA or exact certificates) with optional DN
    allow-lists, or the certificates a connection pins."""

    anchors: tuple[x509.Certificate, ...] = ()
    issuer_dns: frozenset[str] = frozenset()
    subject_dns: frozenset[str] = frozenset()
    pinned: tuple[x509.Certificate, ...] = ()


def version_of(element: etree._Element) -> str:
    if element.tag == q(SAML2, "Assertion"):
        return SAML20
    if element.tag == q(SAML1, "Assertion"):
        return SAML11
    raise TokenRefused("The token is not a SAML assertion")


def _time(value: str | None, what: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise TokenRefused(f"The assertion's {what} is not a valid time") from exc


def _signing_certificate(signature: etree._Element, trust: Trust, now: float) -> list[x509.Certificate]:
    embedded: list[x509.Certificate] = []
    for data in signature.iter(q(DS, "X509Certificate")):
        try:
            embedded.append(certificate_from_text(text(data)))
        except ValueError as exc:
            raise TokenRefused("The signature's certificate cannot be read") from exc
    if trust.pinned:
        if embedded:
            matching = [c for c in trust.pinned if c == embedded[0]]
            if not matching:
                raise TokenRefused("The token is signed with a certificate this connection does not trust")
            return matching
        return list(trust.pinned)
    if not embedded:
        raise TokenRefused("The signature must carry its certificate (KeyInfo X509Certificate)")
    cert = embedded[0]
    why = trusted(cert, trust.anchors, now)
    if why is not None:
        raise TokenRefused(f"The token cannot be trusted: {why}")
    if trust.issuer_dns and render_dn(cert.issuer) not in trust.issuer_dns:
        raise TokenRefused("The signing certificate's issuer is not an accepted issuer DN")
    if trust.subject_dns and render_dn(cert.subject) not in trust.subject_dns:
        raise TokenRefused("The signing certificate's subject is not an accepted subject DN")
    return [cert]


def verified(element: etree._Element, trust: Trust, now: float) -> etree._Element:
    """The signed form of ``element`` (signxml's ``signed_xml``), or :class:`TokenRefused`."""
    version = version_of(element)
    if has_comments(element):
        raise TokenRefused("Comments and processing instructions are not allowed in a token")
    if len(list(element.iter(q(DS, "Signature")))) != 1:
        raise TokenRefused("The assertion must carry exactly one signature")
    signature = child(element, q(DS, "Signature"))
    if signature is None:
        raise TokenRefused("The assertion is not signed (an enveloped signature is required)")
    id_attribute = "ID" if version == SAML20 else "AssertionID"
    assertion_id = element.get(id_attribute, "")
    if not assertion_id:
        raise TokenRefused(f"The assertion has no {id_attribute}")
    data = etree.tostring(element, with_tail=False)  # text after the assertion is not part of it
    last_error = "the signature does not verify"
    for cert in _signing_certificate(signature, trust, now):
        try:
            config = replace(_ALLOWED, verification_time=datetime.fromtimestamp(now, UTC))
            result = _Verifier().verify(data, x509_cert=cert, id_attribute=id_attribute, expect_config=config)
        except (SignXMLException, etree.LxmlError, ValueError) as exc:  # malformed inside: refused, not a 500
            last_error = str(exc) or last_error
            continue
        signed = result.signed_xml if not isinstance(result, list) else None
        if signed is None or signed.tag != element.tag or signed.get(id_attribute) != assertion_id:
            raise TokenRefused("The signature does not cover the assertion itself")
        return signed
    raise TokenRefused(f"The token's signature is not valid: {last_error}")


def read(signed: etree._Element, audiences: Sequence[str], now: float) -> Identity:
    """The identity in a verified assertion, after its validity window and audience are checked."""
    version = version_of(signed)
    ns = SAML2 if version == SAML20 else SAML1
    conditions = child(signed, q(ns, "Conditions"))
    not_before = _time(conditions.get("NotBefore") if conditions is not None else None, "NotBefore")
    not_after = _time(conditions.get("NotOnOrAfter") if conditions is not None else None, "NotOnOrAfter")
    if not_after is None:
        raise TokenRefused("The assertion has no expiry (Conditions NotOnOrAfter)")
    if now >= not_after + CLOCK_SKEW:
        raise TokenRefused("The token has expired")
    if not_before is not None and now + CLOCK_SKEW < not_before:
        raise TokenRefused("The token is not valid yet")
    restriction = "AudienceRestriction" if version == SAML20 else "AudienceRestrictionCondition"
    named = [text(a) for r in (children(conditions, q(ns, restriction)) if conditions is not None else [])
             for a in children(r, q(ns, "Audience"))]
    if not audiences:
        raise TokenRefused("No audience is configured for this STS (serverSettings federationInfo)")
    if not any(a in audiences for a in named):
        raise TokenRefused("The token's audience does not name this STS")
    attributes: dict[str, list[str]] = {}
    if version == SAML20:
        issuer = text(child(signed, q(SAML2, "Issuer")))
        subject_node = child(signed, q(SAML2, "Subject"))
        subject = text(child(subject_node, q(SAML2, "NameID")) if subject_node is not None else None)
        for statement in children(signed, q(SAML2, "AttributeStatement")):
            for attribute in children(statement, q(SAML2, "Attribute")):
                attributes.setdefault(attribute.get("Name", ""), []).extend(
                    text(v) for v in children(attribute, q(SAML2, "AttributeValue")))
    else:
        issuer = signed.get("Issuer", "")
        subject = ""
        for statement in signed:
            subject_node = child(statement, q(SAML1, "Subject"))
            found = child(subject_node, q(SAML1, "NameIdentifier")) if subject_node is not None else None
            if found is not None and not subject:
                subject = text(found)
            if statement.tag == q(SAML1, "AttributeStatement"):
                for attribute in children(statement, q(SAML1, "Attribute")):
                    attributes.setdefault(attribute.get("AttributeName", ""), []).extend(
                        text(v) for v in children(attribute, q(SAML1, "AttributeValue")))
    if not subject:
        raise TokenRefused("The assertion names no subject")
    values: dict[str, object] = {k: (v[0] if len(v) == 1 else v) for k, v in attributes.items()}
    values["SAML_SUBJECT"] = subject
    return Identity(subject=subject, attributes=values, authn="unspecified", issuer=issuer)

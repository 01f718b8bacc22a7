"""SAML 2.0 and SAML 1.1 assertions as a WS-Trust STS issues them.

:func:`build` returns the unsigned assertion with a signature placeholder where each schema wants
the ``ds:Signature`` (after ``Issuer`` in SAML 2.0, last in SAML 1.1); the generator then signs it
(:mod:`tokensmith.sts.saml.signing`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from tokensmith.sts.xml import DS, SAML1, SAML2, XSI, q

SAML20 = "2.0"
SAML11 = "1.1"
UNSPECIFIED_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
ATTRNAME_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
SAML1_ATTRIBUTE_NAMESPACE = "http://schemas.xmlsoap.org/claims"

CM2 = "urn:oasis:names:tc:SAML:2.0:cm:"
CM1 = "urn:oasis:names:tc:SAML:1.0:cm:"
BEARER, SENDER_VOUCHES, HOLDER_OF_KEY = "bearer", "sender-vouches", "holder-of-key"

# How the subject was authenticated, for AuthnContextClassRef / AuthenticationMethod.
AUTHN_CONTEXT = {
    "password": ("urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "urn:oasis:names:tc:SAML:1.0:am:password"),
    "x509": ("urn:oasis:names:tc:SAML:2.0:ac:classes:X509", "urn:ietf:rfc:2246"),
    "unspecified": ("urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
                    "urn:oasis:names:tc:SAML:1.0:am:unspecified"),
}


def instant(moment: float) -> str:
    value = datetime.fromtimestamp(moment, UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def new_id() -> str:
    return "_" + secrets.token_hex(16)


@dataclass(frozen=True)
class AssertionSpec:
    version: str  # SAML20 or SAML11
    issuer: str
    subject: str
    audience: str
    confirmation: str  # BEARER, SENDER_VOUCHES or HOLDER_OF_KEY
    now: float
    not_before: float
    not_on_or_after: float
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    authn: str = "unspecified"
    proof_key_info: etree._Element | None = None  # holder-of-key KeyInfo
    id: str = field(default_factory=new_id)


def placeholder() -> etree._Element:
    return etree.Element(q(DS, "Signature"), Id="placeholder", nsmap={"ds": DS})


def build(spec: AssertionSpec) -> etree._Element:
    return _saml2(spec) if spec.version == SAML20 else _saml1(spec)


def _values(parent: etree._Element, ns: str, values: Sequence[str]) -> None:
    for value in values:
        etree.SubElement(parent, q(ns, "AttributeValue")).text = value


def _saml2(spec: AssertionSpec) -> etree._Element:
    a = etree.Element(q(SAML2, "Assertion"), nsmap={"saml": SAML2},
                      ID=spec.id, IssueInstant=instant(spec.now), Version="2.0")
    etree.SubElement(a, q(SAML2, "Issuer")).text = spec.issuer
    a.append(placeholder())
    subject = etree.SubElement(a, q(SAML2, "Subject"))
    etree.SubElement(subject, q(SAML2, "NameID"), Format=UNSPECIFIED_NAMEID).text = spec.subject
    confirmation = etree.SubElement(subject, q(SAML2, "SubjectConfirmation"), Method=CM2 + spec.confirmation)
    if spec.confirmation == HOLDER_OF_KEY and spec.proof_key_info is not None:
        data = etree.SubElement(confirmation, q(SAML2, "SubjectConfirmationData"),
                                {q(XSI, "type"): "saml:KeyInfoConfirmationDataType"}, nsmap={"xsi": XSI})
        data.append(spec.proof_key_info)
    elif spec.confirmation == BEARER:
        etree.SubElement(confirmation, q(SAML2, "SubjectConfirmationData"),
                         NotOnOrAfter=instant(spec.not_on_or_after))
    conditions = etree.SubElement(a, q(SAML2, "Conditions"), NotBefore=instant(spec.not_before),
                                  NotOnOrAfter=instant(spec.not_on_or_after))
    if spec.audience:
        restriction = etree.SubElement(conditions, q(SAML2, "AudienceRestriction"))
        etree.SubElement(restriction, q(SAML2, "Audience")).text = spec.audience
    statement = etree.SubElement(a, q(SAML2, "AuthnStatement"), AuthnInstant=instant(spec.now))
    context = etree.SubElement(statement, q(SAML2, "AuthnContext"))
    etree.SubElement(context, q(SAML2, "AuthnContextClassRef")).text = AUTHN_CONTEXT[spec.authn][0]
    if spec.attributes:
        attributes = etree.SubElement(a, q(SAML2, "AttributeStatement"))
        for name, values in spec.attributes.items():
            attribute = etree.SubElement(attributes, q(SAML2, "Attribute"), Name=name,
                                         NameFormat=ATTRNAME_UNSPECIFIED)
            _values(attribute, SAML2, values)
    return a


def _saml1_subject(parent: etree._Element, spec: AssertionSpec) -> None:
    subject = etree.SubElement(parent, q(SAML1, "Subject"))
    etree.SubElement(subject, q(SAML1, "NameIdentifier"), Format=UNSPECIFIED_NAMEID).text = spec.subject
    confirmation = etree.SubElement(subject, q(SAML1, "SubjectConfirmation"))
    etree.SubElement(confirmation, q(SAML1, "ConfirmationMethod")).text = CM1 + spec.confirmation
    if spec.confirmation == HOLDER_OF_KEY and spec.proof_key_info is not None:
        confirmation.append(etree.fromstring(etree.tostring(spec.proof_key_info)))


def split_attribute_name(name: str) -> tuple[str, str]:
    """SAML 1.1 attributes have a namespace and a name: a URI name splits at its last '/'."""
    if "://" in name and name.rstrip("/").count("/") > 2:
        head, _, tail = name.rstrip("/").rpartition("/")
        return head, tail
    return SAML1_ATTRIBUTE_NAMESPACE, name


def _saml1(spec: AssertionSpec) -> etree._Element:
    a = etree.Element(q(SAML1, "Assertion"), nsmap={"saml": SAML1}, MajorVersion="1", MinorVersion="1",
                      AssertionID=spec.id, Issuer=spec.issuer, IssueInstant=instant(spec.now))
    conditions = etree.SubElement(a, q(SAML1, "Conditions"), NotBefore=instant(spec.not_before),
                                  NotOnOrAfter=instant(spec.not_on_or_after))
    if spec.audience:
        restriction = etree.SubElement(conditions, q(SAML1, "AudienceRestrictionCondition"))
        etree.SubElement(restriction, q(SAML1, "Audience")).text = spec.audience
    statement = etree.SubElement(a, q(SAML1, "AuthenticationStatement"),
                                 AuthenticationMethod=AUTHN_CONTEXT[spec.authn][1],
                                 AuthenticationInstant=instant(spec.now))
    _saml1_subject(statement, spec)
    if spec.attributes:
        attributes = etree.SubElement(a, q(SAML1, "AttributeStatement"))
        _saml1_subject(attributes, spec)
        for name, values in spec.attributes.items():
            namespace, short = split_attribute_name(name)
            attribute = etree.SubElement(attributes, q(SAML1, "Attribute"), AttributeName=short,
                                         AttributeNamespace=namespace)
            _values(attribute, SAML1, values)
    a.append(placeholder())
    return a

"""The SAML assertion as an lxml tree: the reference model the canonical writer
(:mod:`tokensmith.sts.saml.c14n`) is proven equal to. It is the tree builder the generators used
before they wrote canonical text; lxml's exclusive C14N of its output is the oracle."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from tokensmith.sts.saml.assertion import (
    ATTRNAME_UNSPECIFIED,
    AUTHN_CONTEXT,
    BEARER,
    CM1,
    CM2,
    HOLDER_OF_KEY,
    SAML20,
    UNSPECIFIED_NAMEID,
    AssertionSpec,
    instant,
    split_attribute_name,
)
from tokensmith.sts.xml import DS, SAML1, SAML2, XSI, q


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

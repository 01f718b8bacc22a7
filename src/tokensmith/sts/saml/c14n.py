"""SAML assertions written directly in their exclusive canonical form (exc-c14n 1.0, no comments).

Signing an assertion means digesting its exclusive canonicalisation without the signature
(enveloped-signature transform), then signing the canonical ``SignedInfo``. A tree built with lxml
has to be serialised, canonicalised and re-parsed for that; here the assertion is written once,
as text that already *is* its canonical form, so the digest input is the output itself:

* no XML declaration, no whitespace between elements, empty elements as start-end pairs;
* namespace declarations only where first used (``xmlns:saml`` on the root; ``xmlns:xsi`` on a
  holder-of-key ``SubjectConfirmationData``), attributes unqualified and in code-point order of
  their names (each template below lists them in that order);
* character data escaped as c14n does: ``&`` ``<`` ``>`` and CR in text; ``&`` ``<`` ``"`` TAB LF CR
  in attribute values; text that XML 1.0 cannot carry (control characters, lone surrogates) is
  refused.

Holder-of-key ``KeyInfo`` subtrees are built with lxml and canonicalised by lxml (exclusive) before
they are put in. ``tests/unit/test_saml_c14n.py`` proves the writer equal to lxml's exclusive C14N
of the same assertion built as a tree, over generated values and every option; the generator tests
verify every signed assertion with xmlsec1 and validate it against the OASIS schemas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from tokensmith.sts.xml import SAML1, SAML2, XSI

UNSPECIFIED_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
ATTRNAME_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
CM2 = "urn:oasis:names:tc:SAML:2.0:cm:"
CM1 = "urn:oasis:names:tc:SAML:1.0:cm:"
BEARER, HOLDER_OF_KEY = "bearer", "holder-of-key"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"})


def check(value: str) -> str:
    """``value`` if XML 1.0 can carry it, else ValueError (as lxml refuses such text)."""
    if _NOT_XML.search(value):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    return value


def text(value: str) -> str:
    """Character data as exclusive C14N writes it."""
    if value.isascii() and value.isprintable():  # the common case: no controls, only &<> to escape
        if "&" in value or "<" in value or ">" in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return value
    return check(value).translate(_TEXT)


def attr(value: str) -> str:
    """An attribute value (without the quotes) as exclusive C14N writes it."""
    if value.isascii() and value.isprintable():  # no TAB, LF or CR; only &<" to escape
        if "&" in value or "<" in value or '"' in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        return value
    return check(value).translate(_ATTR)


def canonical_fragment(element: etree._Element) -> str:
    """lxml's exclusive canonical form of a subtree that uses none of the namespaces declared
    above it in an assertion (``saml``, ``xsi``), so its canonical form is the same in place."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False).decode("utf-8")


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Fields:
    """One assertion's values; times already written as xs:dateTime."""

    id: str
    issuer: str
    subject: str
    audience: str
    confirmation: str  # BEARER, "sender-vouches" or HOLDER_OF_KEY
    issue_instant: str
    not_before: str
    not_on_or_after: str
    authn_context: str  # SAML 2.0 AuthnContextClassRef / SAML 1.1 AuthenticationMethod
    attributes: Mapping[str, Sequence[str]]
    proof_key_info: etree._Element | None = None  # holder-of-key KeyInfo


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Canonical:
    """An unsigned assertion in canonical form, split where its ``ds:Signature`` goes: ``head +
    tail`` is the digest input, ``head + signature + tail`` the signed assertion."""

    head: str
    tail: str


def saml2(f: Fields) -> Canonical:
    head = (f'<saml:Assertion xmlns:saml="{SAML2}" ID="{attr(f.id)}" IssueInstant="{f.issue_instant}" '
            f'Version="2.0"><saml:Issuer>{text(f.issuer)}</saml:Issuer>')
    parts = [f'<saml:Subject><saml:NameID Format="{UNSPECIFIED_NAMEID}">{text(f.subject)}</saml:NameID>'
             f'<saml:SubjectConfirmation Method="{CM2}{attr(f.confirmation)}">']
    if f.confirmation == HOLDER_OF_KEY and f.proof_key_info is not None:
        parts.append(f'<saml:SubjectConfirmationData xmlns:xsi="{XSI}" xsi:type="saml:KeyInfoConfirmationDataType">'
                     f"{canonical_fragment(f.proof_key_info)}</saml:SubjectConfirmationData>")
    elif f.confirmation == BEARER:
        parts.append(f'<saml:SubjectConfirmationData NotOnOrAfter="{f.not_on_or_after}">'
                     "</saml:SubjectConfirmationData>")
    parts.append(f'</saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{f.not_before}" '
                 f'NotOnOrAfter="{f.not_on_or_after}">')
    if f.audience:
        parts.append(f"<saml:AudienceRestriction><saml:Audience>{text(f.audience)}</saml:Audience>"
                     "</saml:AudienceRestriction>")
    parts.append(f'</saml:Conditions><saml:AuthnStatement AuthnInstant="{f.issue_instant}"><saml:AuthnContext>'
                 f"<saml:AuthnContextClassRef>{f.authn_context}</saml:AuthnContextClassRef></saml:AuthnContext>"
                 "</saml:AuthnStatement>")
    if f.attributes:
        parts.append("<saml:AttributeStatement>")
        for name, values in f.attributes.items():
            parts.append(f'<saml:Attribute Name="{attr(name)}" NameFormat="{ATTRNAME_UNSPECIFIED}">')
            parts.extend(f"<saml:AttributeValue>{text(v)}</saml:AttributeValue>" for v in values)
            parts.append("</saml:Attribute>")
        parts.append("</saml:AttributeStatement>")
    parts.append("</saml:Assertion>")
    return Canonical(head, "".join(parts))


SAML1_ATTRIBUTE_NAMESPACE = "http://schemas.xmlsoap.org/claims"


def split_attribute_name(name: str) -> tuple[str, str]:
    """SAML 1.1 attributes have a namespace and a name: a URI name splits at its last '/'."""
    if "://" in name and name.rstrip("/").count("/") > 2:
        head, _, tail = name.rstrip("/").rpartition("/")
        return head, tail
    return SAML1_ATTRIBUTE_NAMESPACE, name


def _saml1_subject(f: Fields, proof: str) -> str:
    return (f'<saml:Subject><saml:NameIdentifier Format="{UNSPECIFIED_NAMEID}">{text(f.subject)}'
            f"</saml:NameIdentifier><saml:SubjectConfirmation><saml:ConfirmationMethod>{CM1}{text(f.confirmation)}"
            f"</saml:ConfirmationMethod>{proof}</saml:SubjectConfirmation></saml:Subject>")


def saml1(f: Fields) -> Canonical:
    proof = canonical_fragment(f.proof_key_info) if f.confirmation == HOLDER_OF_KEY and \
        f.proof_key_info is not None else ""
    parts = [f'<saml:Assertion xmlns:saml="{SAML1}" AssertionID="{attr(f.id)}" IssueInstant="{f.issue_instant}" '
             f'Issuer="{attr(f.issuer)}" MajorVersion="1" MinorVersion="1"><saml:Conditions NotBefore="'
             f'{f.not_before}" NotOnOrAfter="{f.not_on_or_after}">']
    if f.audience:
        parts.append(f"<saml:AudienceRestrictionCondition><saml:Audience>{text(f.audience)}</saml:Audience>"
                     "</saml:AudienceRestrictionCondition>")
    parts.append(f'</saml:Conditions><saml:AuthenticationStatement AuthenticationInstant="{f.issue_instant}" '
                 f'AuthenticationMethod="{f.authn_context}">{_saml1_subject(f, proof)}'
                 "</saml:AuthenticationStatement>")
    if f.attributes:
        parts.append(f"<saml:AttributeStatement>{_saml1_subject(f, proof)}")
        for name, values in f.attributes.items():
            namespace, short = split_attribute_name(name)
            parts.append(f'<saml:Attribute AttributeName="{attr(short)}" AttributeNamespace="{attr(namespace)}">')
            parts.extend(f"<saml:AttributeValue>{text(v)}</saml:AttributeValue>" for v in values)
            parts.append("</saml:Attribute>")
        parts.append("</saml:AttributeStatement>")
    return Canonical("".join(parts), "</saml:Assertion>")

"""Hardened XML parsing and the namespaces the STS speaks.

Every XML document Tokensmith reads goes through :func:`parse`: no DTD (a document that declares
one is refused), no entity expansion, no network access, a size limit and a nesting-depth limit.
Comments and processing instructions are kept by the parser so that the SAML processors can
refuse tokens that carry them (a comment inside a signed value changes what naive readers see
without breaking the signature).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

MAX_BYTES = 256 * 1024
MAX_DEPTH = 48

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WST2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
WSA = "http://www.w3.org/2005/08/addressing"
WSA2004 = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSP2004 = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSP15 = "http://www.w3.org/ns/ws-policy"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML1 = "urn:oasis:names:tc:SAML:1.0:assertion"

PASSWORD_TEXT = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
                 "#PasswordText")
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
                   "#PasswordDigest")


class XmlRefused(ValueError):
    """The document is not well-formed or breaks a safety rule."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, remove_comments=False, remove_pis=False,
                           collect_ids=False)


_PARSER = _parser()


def parse(data: bytes, limit: int = MAX_BYTES) -> etree._Element:
    """The root element of ``data``, or :class:`XmlRefused` naming what is wrong."""
    if len(data) > limit:
        raise XmlRefused(f"the XML document is larger than {limit} bytes")
    try:
        tree = etree.fromstring(data, _PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"the XML document is not well-formed: {exc.msg}") from exc
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise XmlRefused(f"the XML document cannot be read: {exc}") from exc
    docinfo: Any = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("document type declarations (DTDs) are not allowed")
    root = tree.getroot()
    _check_depth(root)
    return root


# True when some element sits deeper than MAX_DEPTH (the root element is at depth 1); evaluated by
# libxml2 in one pass, without a Python loop over the tree.
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")


def _check_depth(root: etree._Element) -> None:
    if _TOO_DEEP(root):
        raise XmlRefused(f"the XML document is nested deeper than {MAX_DEPTH} levels")
    if next(root.iter(etree.Entity), None) is not None:
        raise XmlRefused("entity references are not allowed")


def has_comments(element: etree._Element) -> bool:
    """Whether ``element`` holds a comment or processing instruction anywhere inside it."""
    return any(True for _ in element.iter(etree.Comment, etree.ProcessingInstruction))


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def child(element: etree._Element, *names: str) -> etree._Element | None:
    """The first direct child with one of the Clark names ``names``."""
    for c in element:
        if c.tag in names:
            return c
    return None


def children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in element if c.tag in names]


def text(element: etree._Element | None) -> str:
    """The element's text content (all text nodes joined, stripped); empty for None."""
    if element is None:
        return ""
    if len(element) == 0:  # no child elements, comments or PIs: the text is all there is
        return (element.text or "").strip()
    return "".join(str(t) for t in element.itertext()).strip()


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""

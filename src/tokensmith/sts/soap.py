"""SOAP 1.1 / 1.2 envelopes: reading a request, writing a response or a WS-Trust fault."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from tokensmith.errors import StsFault
from tokensmith.httpmsg import Response
from tokensmith.sts.xml import SOAP11, SOAP12, WSA, WST13, child, q, text

CONTENT_TYPES = {SOAP11: b"text/xml; charset=utf-8", SOAP12: b"application/soap+xml; charset=utf-8"}
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Envelope:
    soap: str  # SOAP11 or SOAP12
    header: etree._Element | None
    body: etree._Element  # the first element inside Body
    message_id: str


def read(root: etree._Element) -> Envelope:
    soap = root.tag[1:].split("}")[0] if isinstance(root.tag, str) and root.tag.startswith("{") else ""
    if root.tag not in (q(SOAP11, "Envelope"), q(SOAP12, "Envelope")):
        raise StsFault("InvalidRequest", "The request is not a SOAP 1.1 or 1.2 envelope")
    header = child(root, q(soap, "Header"))
    body = child(root, q(soap, "Body"))
    if body is None:
        raise StsFault("InvalidRequest", "The SOAP envelope has no Body")
    first = next((c for c in body if isinstance(c.tag, str)), None)
    if first is None:
        raise StsFault("InvalidRequest", "The SOAP Body is empty")
    message_id = text(child(header, q(WSA, "MessageID"))) if header is not None else ""
    return Envelope(soap, header, first, message_id)


def envelope(soap: str, action: str, relates_to: str) -> tuple[etree._Element, etree._Element]:
    """A response envelope with WS-Addressing Action (and RelatesTo); returns (envelope, body)."""
    env = etree.Element(q(soap, "Envelope"), nsmap={"s": soap, "a": WSA})
    header = etree.SubElement(env, q(soap, "Header"))
    etree.SubElement(header, q(WSA, "Action"), {q(soap, "mustUnderstand"): "1"}).text = action
    if relates_to:
        etree.SubElement(header, q(WSA, "RelatesTo")).text = relates_to
    return env, etree.SubElement(env, q(soap, "Body"))


def response(soap: str, payload: bytes, status: int = 200) -> Response:
    return Response(status, payload, [(b"content-type", CONTENT_TYPES[soap]), (b"cache-control", b"no-store")])


def fault_response(fault: StsFault, soap: str = SOAP11, trust_ns: str = WST13, relates_to: str = "") -> Response:
    env, body = envelope(soap, FAULT_ACTION, relates_to)
    node = etree.SubElement(body, q(soap, "Fault"))
    code = f"wst:{fault.code}"
    if soap == SOAP12:
        code_node = etree.SubElement(node, q(SOAP12, "Code"))
        etree.SubElement(code_node, q(SOAP12, "Value")).text = "s:Sender" if fault.sender else "s:Receiver"
        sub = etree.SubElement(code_node, q(SOAP12, "Subcode"))
        etree.SubElement(sub, q(SOAP12, "Value"), nsmap={"wst": trust_ns}).text = code
        reason = etree.SubElement(node, q(SOAP12, "Reason"))
        etree.SubElement(reason, q(SOAP12, "Text"),
                         {"{http://www.w3.org/XML/1998/namespace}lang": "en"}).text = fault.reason
    else:
        etree.SubElement(node, "faultcode", nsmap={"wst": trust_ns}).text = code
        etree.SubElement(node, "faultstring").text = fault.reason
    out = response(soap, etree.tostring(env, xml_declaration=False), fault.status_code)
    out.headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in fault.headers.items())
    return out

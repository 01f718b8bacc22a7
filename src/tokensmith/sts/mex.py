"""``/pf/sts_mex.ping?PartnerSpId=…``: the WS-MetadataExchange document of an SP connection's STS.

WS-Trust clients that discover their STS (MSAL and adal-node after a user-realm lookup, Office
365's ``MetadataExchangeUri``, WCF's ``ws2007FederationHttpBinding``) read a WSDL document that
names, for each WS-Trust version, the binding's SOAP action, its security policy and the endpoint
address. PingFederate serves it at ``/pf/sts_mex.ping`` for the SP connection whose partner
service id is ``PartnerSpId``; so do we, for the same connections ``/idp/sts.wst`` serves.

The document advertises what the connection really accepts: a UsernameToken over HTTPS (WS-Trust
1.3 with WS-SecurityPolicy 1.2, and WS-Trust 2005 with WS-SecurityPolicy 2005) when one of its
processor mappings validates username tokens; the other token kinds need no discovery by these
clients and are not advertised. The endpoint address is built from the configured base URL
(:mod:`tokensmith.publicurl`), never from the request, so a forged ``Host`` cannot redirect a
client's password elsewhere. Clients accept only ``https://`` addresses, so a server whose base
URL is ``http://`` publishes a document they will (rightly) refuse to use.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from lxml import etree

from tokensmith.httpmsg import Request, Response
from tokensmith.sts.compiled import StsRuntime
from tokensmith.sts.spconnections import CompiledSpConnection

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
SP12 = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
SP2005 = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
WSA10 = "http://www.w3.org/2005/08/addressing"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WST2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
TNS = "urn:tokensmith:sts"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
NSMAP = {"wsdl": WSDL, "soap12": SOAP12, "wsp": WSP, "wsu": WSU, "sp": SP12, "sp2005": SP2005, "wsa10": WSA10,
         "wsaw": WSAW, "wst": WST13, "wst2005": WST2005, "tns": TNS}
PATH = "/idp/sts.wst"  # the endpoint SP connections are served at
TEXT = [(b"content-type", b"text/plain; charset=utf-8"), (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store")]



class _Maker:
    """``M.Tag(*children, attr=value)`` builds ``{namespace}Tag`` (lxml's ElementMaker, typed)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __getattr__(self, tag: str) -> Callable[..., etree._Element]:
        def make(*children: etree._Element | str, **attributes: str) -> etree._Element:
            element = etree.Element(f"{{{self.namespace}}}{tag}", nsmap=NSMAP)
            for key, value in attributes.items():
                element.set(key, value)
            for child in children:
                if isinstance(child, str):
                    element.text = child
                else:
                    element.append(child)
            return element

        return make


W, P, S12, A = _Maker(WSDL), _Maker(WSP), _Maker(SOAP12), _Maker(WSA10)


class _Version:
    """One WS-Trust version as the document describes it."""

    def __init__(self, name: str, trust: str, policy_ns: str, supporting: str, trust_assertion: str) -> None:
        self.name, self.trust, self.policy_ns = name, trust, policy_ns
        self.supporting, self.trust_assertion = supporting, trust_assertion
        self.policy_id = f"UserName{name}_policy"
        self.binding = f"UserName{name}Binding"
        self.port_type = f"I{name}"
        self.action = f"{trust}/RST/Issue"
        self.reply = f"{trust}/RSTRC/IssueFinal" if trust == WST13 else f"{trust}/RSTR/Issue"


VERSIONS = (
    _Version("WSTrust13", WST13, SP12, "SignedEncryptedSupportingTokens", "Trust13"),
    _Version("WSTrust2005", WST2005, SP2005, "SignedSupportingTokens", "Trust10"),
)


def _policy(v: _Version) -> etree._Element:
    sp = _Maker(v.policy_ns)
    include = f"{v.policy_ns}/IncludeToken/AlwaysToRecipient"
    transport = sp.TransportBinding(P.Policy(
        sp.TransportToken(P.Policy(sp.HttpsToken(P.Policy()))),
        sp.AlgorithmSuite(P.Policy(sp.Basic256())),
        sp.Layout(P.Policy(sp.Strict())),
        sp.IncludeTimestamp()))
    token = sp.UsernameToken(P.Policy(sp.WssUsernameToken10()))
    token.set(f"{{{v.policy_ns}}}IncludeToken", include)
    policy = P.Policy(P.ExactlyOne(P.All(
        transport,
        getattr(sp, v.supporting)(P.Policy(token)),
        sp.Wss11(P.Policy()),
        getattr(sp, v.trust_assertion)(P.Policy(sp.MustSupportIssuedTokens(), sp.RequireClientEntropy(),
                                                 sp.RequireServerEntropy())),
        etree.Element(f"{{{WSAW}}}UsingAddressing"))))
    policy.set(f"{{{WSU}}}Id", v.policy_id)
    return policy


def _messages_and_port_type(v: _Version) -> list[etree._Element]:
    request, response = f"{v.name}RequestSecurityToken", f"{v.name}RequestSecurityTokenResponse"
    answer = "RequestSecurityTokenResponseCollection" if v.trust == WST13 else "RequestSecurityTokenResponse"
    operation = W.operation(name="Issue")
    operation.append(W.input(message=f"tns:{request}", **{f"{{{WSAW}}}Action": v.action}))
    operation.append(W.output(message=f"tns:{response}", **{f"{{{WSAW}}}Action": v.reply}))
    prefix = "wst" if v.trust == WST13 else "wst2005"
    return [W.message(W.part(name="request", element=f"{prefix}:RequestSecurityToken"), name=request),
            W.message(W.part(name="response", element=f"{prefix}:{answer}"), name=response),
            W.portType(operation, name=v.port_type)]


def _binding(v: _Version) -> etree._Element:
    return W.binding(
        P.PolicyReference(URI=f"#{v.policy_id}"),
        S12.binding(transport=HTTP_TRANSPORT),
        W.operation(S12.operation(soapAction=v.action, style="document"),
                    W.input(S12.body(use="literal")), W.output(S12.body(use="literal")), name="Issue"),
        name=v.binding, type=f"tns:{v.port_type}")


def document(address: str, username: bool) -> bytes:
    """The WSDL/WS-Policy document for an STS at ``address``; empty of endpoints without ``username``."""
    versions = VERSIONS if username else ()
    root = W.definitions(name="SecurityTokenService", targetNamespace=TNS)
    for v in versions:
        root.append(_policy(v))
    for v in versions:
        root.extend(_messages_and_port_type(v))
    for v in versions:
        root.append(_binding(v))
    service = W.service(name="SecurityTokenService")
    for v in versions:
        service.append(W.port(S12.address(location=address), A.EndpointReference(A.Address(address)),
                              name=f"{v.binding}_{v.port_type}", binding=f"tns:{v.binding}"))
    root.append(service)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _text(status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    return Response(status, message.encode() + b"\n", TEXT + (extra or []))


def _accepts_username(sts: StsRuntime, connection: CompiledSpConnection) -> bool:
    for mapping in connection.mappings:
        entry = sts.processors.get(mapping.processor)
        if entry is not None and entry.runtime is not None and "username" in entry.runtime.kinds:
            return True
    return False


def mex_endpoint(sts: StsRuntime, base_url: str, request: Request) -> Response:
    """Answer ``GET /pf/sts_mex.ping?PartnerSpId=<partner service id>``."""
    if request.method != "GET":
        return _text(405, "The metadata exchange endpoint accepts only GET", [(b"allow", b"GET")])
    try:
        params = parse_qs(request.query, keep_blank_values=True, strict_parsing=bool(request.query),
                          max_num_fields=20)
    except ValueError:
        return _text(400, "The query string is malformed")
    partner = params.get("PartnerSpId") or []
    if len(partner) != 1 or not partner[0]:
        return _text(400, "Name exactly one PartnerSpId (an SP connection's partner service id)")
    connection = sts.sp_connections.get(partner[0])
    if connection is None or not connection.active:
        return _text(404, "No active SP connection has this partner service id")
    body = document(base_url.rstrip("/") + PATH, _accepts_username(sts, connection))
    headers = [(b"content-type", b"text/xml; charset=utf-8"), (b"cache-control", b"no-cache")]
    return Response(200, body, headers)

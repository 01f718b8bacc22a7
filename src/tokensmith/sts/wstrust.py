"""WS-Trust 1.3 and 2005/02 RequestSecurityToken parsing and RequestSecurityTokenResponse writing.

Either WS-Trust version may arrive in either SOAP version. The 1.3 namespace is also accepted with
a trailing slash, as some clients send it. The token a request presents is taken from ``OnBehalfOf``
(or ``ActAs``) when present, else from the ``wsse:Security`` header; for Validate, from
``ValidateTarget``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from tokensmith.errors import StsFault
from tokensmith.sts import xml as x
from tokensmith.sts.certs import certificate_from_text
from tokensmith.sts.processors.base import Incoming
from tokensmith.sts.saml.assertion import instant
from tokensmith.sts.soap import Envelope, envelope
from tokensmith.sts.tokens import BEARER, PUBLIC_KEY, SYMMETRIC_KEY, TT_JWT, IssuedToken, ProofKey
from tokensmith.sts.xml import DS, SAML1, SAML2, WSA, WSSE, WSSE11, WSU, child, q, text

ISSUE, VALIDATE = "Issue", "Validate"
NO_PROOF_KEY = "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
POLICIES = (x.WSP2004, x.WSP15)
ADDRESSING = (WSA, x.WSA2004)
JWT_VALUE_TYPES = (TT_JWT, "urn:ietf:params:oauth:token-type:jwt", "JWT")
MAX_KEY_BITS = 1024
WST14 = "http://docs.oasis-open.org/ws-sx/ws-trust/200802"  # ActAs


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Rst:
    trust: str  # canonical namespace: x.WST13 or x.WST2005
    request_type: str
    token_type: str
    key_type: str | None
    applies_to: str
    applies_to_ns: str
    proof: ProofKey | None
    client_entropy: bytes | None
    key_size: int
    context: str | None
    token: Incoming | None


def _trust_ns(element: etree._Element) -> str:
    ns = x.namespace(element.tag)
    if ns in (x.WST13, x.WST13 + "/"):
        return x.WST13
    if ns == x.WST2005:
        return x.WST2005
    raise StsFault("InvalidRequest", "The SOAP body is not a WS-Trust 1.3 or 2005/02 RequestSecurityToken")


def _find(parent: etree._Element | None, ns: str, name: str) -> etree._Element | None:
    if parent is None:
        return None
    names = (q(ns, name), q(ns + "/", name)) if ns == x.WST13 else (q(ns, name),)
    return child(parent, *names)


_SLASHED = "{" + x.WST13 + "/}"  # the 1.3 namespace with a trailing slash, as some clients send it


class _Children:
    """The RST's direct children by Clark name (the first of each), read in one pass, so that the
    dozen look-ups of :func:`parse` do not each walk the children again. Children in the 1.3
    namespace spelt with a trailing slash are kept apart and looked up only when the canonical
    spelling is missing."""

    __slots__ = ("by_tag", "ns", "slashed")

    def __init__(self, rst: etree._Element, ns: str) -> None:
        self.ns = ns
        by_tag: dict[str, etree._Element] = {}
        slashed: dict[str, etree._Element] = {}
        for c in rst:
            tag = c.tag
            if isinstance(tag, str):
                if tag.startswith(_SLASHED):
                    slashed.setdefault(tag, c)
                elif tag not in by_tag:
                    by_tag[tag] = c
        self.by_tag = by_tag
        self.slashed = slashed

    def find(self, name: str, ns: str | None = None) -> etree._Element | None:
        ns = ns or self.ns
        found = self.by_tag.get(f"{{{ns}}}{name}")
        if found is None and self.slashed and ns == x.WST13:
            found = self.slashed.get(f"{{{ns}/}}{name}")
        return found


def _uri_tail(value: str, ns: str) -> str:
    for prefix in (ns + "/", ns + "//"):
        if value.startswith(prefix):
            return value[len(prefix):]
    return ""


def _key_type(value: str, ns: str) -> str | None:
    if not value:
        return None
    if value == NO_PROOF_KEY:
        return BEARER
    tail = _uri_tail(value, x.WST13) or _uri_tail(value, x.WST2005)
    found = {"Bearer": BEARER, "PublicKey": PUBLIC_KEY, "SymmetricKey": SYMMETRIC_KEY}.get(tail)
    if found is None:
        raise StsFault("InvalidRequest", f"KeyType '{value}' is not supported")
    return found


def _applies_to(rst: _Children) -> tuple[str, str]:
    for ns in POLICIES:
        node = rst.find("AppliesTo", ns)
        if node is None:
            continue
        for wsa in ADDRESSING:
            reference = child(node, q(wsa, "EndpointReference"))
            if reference is not None:
                return text(child(reference, q(wsa, "Address"))), ns
        return text(node), ns
    return "", x.WSP2004


def _proof(rst: _Children, key_type: str | None) -> ProofKey | None:
    if key_type != PUBLIC_KEY:
        return None
    use_key = rst.find("UseKey")
    if use_key is None:
        raise StsFault("InvalidRequest", "A PublicKey request needs a UseKey")
    cert_node = next(use_key.iter(q(DS, "X509Certificate"), q(WSSE, "BinarySecurityToken")), None)
    if cert_node is not None:
        try:
            return ProofKey(PUBLIC_KEY, certificate=certificate_from_text(text(cert_node)))
        except ValueError as exc:
            raise StsFault("InvalidRequest", "The UseKey certificate cannot be read") from exc
    modulus = next(use_key.iter(q(DS, "Modulus")), None)
    exponent = next(use_key.iter(q(DS, "Exponent")), None)
    if modulus is not None and exponent is not None:
        try:
            n = int.from_bytes(base64.b64decode(text(modulus), validate=True), "big")
            e = int.from_bytes(base64.b64decode(text(exponent), validate=True), "big")
            return ProofKey(PUBLIC_KEY, public_key=rsa.RSAPublicNumbers(e, n).public_key())
        except ValueError as exc:
            raise StsFault("InvalidRequest", "The UseKey RSA key cannot be read") from exc
    raise StsFault("InvalidRequest", "UseKey must hold an X.509 certificate or an RSA KeyValue")


def _entropy(rst: _Children) -> bytes | None:
    secret = _find(rst.find("Entropy"), rst.ns, "BinarySecret")
    if secret is None:
        return None
    try:
        value = base64.b64decode(text(secret), validate=True)
    except ValueError as exc:
        raise StsFault("InvalidRequest", "The requester's Entropy is not base64") from exc
    if not 16 <= len(value) <= 512:
        raise StsFault("InvalidRequest", "The requester's Entropy must be 16 to 512 bytes")
    return value


def _incoming_from(container: etree._Element) -> Incoming | None:
    """The first token in ``container`` this STS can process. Other binary security tokens (an X.509
    certificate that signs the message, say) are passed over; if nothing else is found, the
    request is refused naming the first one."""
    if (container.text or "").strip() or any((node.tail or "").strip() for node in container):
        raise StsFault("InvalidRequest", f"{x.local(container.tag)} holds text beside its token; send only the "
                                         "token element", malformed="xml")
    skipped = ""
    for node in container:
        if node.tag == q(WSSE, "UsernameToken"):
            password = child(node, q(WSSE, "Password"))
            kind = password.get("Type", x.PASSWORD_TEXT) if password is not None else x.PASSWORD_TEXT
            if kind != x.PASSWORD_TEXT:
                raise StsFault("InvalidRequest",
                               "Only PasswordText UsernameTokens are accepted (password digests cannot be checked "
                               "against stored password hashes)")
            username = text(child(node, q(WSSE, "Username")))
            if not username or password is None:
                raise StsFault("InvalidRequest", "The UsernameToken needs a Username and a Password")
            secret = (password.text or "") if len(password) == 0 else "".join(str(t) for t in password.itertext())
            return Incoming("username", username=username, password=secret)
        if node.tag == q(SAML2, "Assertion"):
            return Incoming("saml2", element=node)
        if node.tag == q(SAML1, "Assertion"):
            return Incoming("saml1", element=node)
        if node.tag == q(WSSE, "BinarySecurityToken"):
            value_type = node.get("ValueType", "")
            if value_type not in JWT_VALUE_TYPES:
                skipped = skipped or value_type
                continue
            raw = text(node)
            if node.get("EncodingType", "").endswith("#Base64Binary"):
                try:
                    raw = base64.b64decode(raw, validate=True).decode("ascii")
                except ValueError as exc:
                    raise StsFault("InvalidRequest", "The JWT BinarySecurityToken is not base64") from exc
            return Incoming("jwt", value=raw)
    if skipped:
        raise StsFault("InvalidSecurityToken", f"Binary security tokens of type '{skipped}' are not supported")
    return None


def _check_timestamp(security: etree._Element, now: float) -> None:
    stamp = child(security, q(WSU, "Timestamp"))
    expires = text(child(stamp, q(WSU, "Expires"))) if stamp is not None else ""
    if expires:
        from tokensmith.sts.saml.verify import _time  # the same xs:dateTime reading

        moment = _time(expires, "Timestamp Expires")
        if moment is not None and moment + 300 < now:
            raise StsFault("MessageExpired", "The message's security Timestamp has expired")


def parse(env: Envelope, now: float) -> Rst:
    rst = env.body
    ns = _trust_ns(rst)
    if x.local(rst.tag) != "RequestSecurityToken":
        raise StsFault("InvalidRequest", f"{x.local(rst.tag)} is not supported; send a RequestSecurityToken")
    children = _Children(rst, ns)
    secondary = children.find("SecondaryParameters")
    request_uri = text(children.find("RequestType"))
    request_type = _uri_tail(request_uri, x.WST13) or _uri_tail(request_uri, x.WST2005)
    if request_type not in (ISSUE, VALIDATE):
        raise StsFault("InvalidRequest", f"RequestType '{request_uri or '(none)'}' is not supported; "
                                         "use Issue or Validate")
    token_type = text(children.find("TokenType")) or text(_find(secondary, ns, "TokenType"))
    key_type = _key_type(text(children.find("KeyType")) or text(_find(secondary, ns, "KeyType")), ns)
    size_text = text(children.find("KeySize")) or text(_find(secondary, ns, "KeySize"))
    key_size = int(size_text) if size_text.isdigit() else 256
    if key_type == SYMMETRIC_KEY and not 128 <= key_size <= MAX_KEY_BITS:
        raise StsFault("InvalidRequest", f"KeySize must be between 128 and {MAX_KEY_BITS} bits")
    applies_to, applies_ns = _applies_to(children)
    token = None
    if request_type == VALIDATE:
        target = children.find("ValidateTarget")
        token = _incoming_from(target) if target is not None else None
    else:
        for name in ("OnBehalfOf", "ActAs"):
            holder = children.find(name)
            if holder is None:
                holder = children.find(name, WST14)
            if holder is not None:
                token = _incoming_from(holder)
                break
    security = child(env.header, q(WSSE, "Security"), q(WSSE11, "Security")) if env.header is not None else None
    if security is not None:
        _check_timestamp(security, now)
        if token is None and request_type == ISSUE:
            token = _incoming_from(security)
    return Rst(trust=ns, request_type=request_type, token_type=token_type, key_type=key_type,
               applies_to=applies_to, applies_to_ns=applies_ns, proof=_proof(children, key_type),
               client_entropy=_entropy(children), key_size=key_size, context=rst.get("Context"), token=token)


# --------------------------------------------------------------------------- proof keys


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """WS-Trust's P_SHA1 combined-key function (the TLS 1.0 P_hash over the stdlib's HMAC-SHA1)."""
    out, a = b"", seed
    while len(out) < length:
        a = hmac.digest(secret, a, hashlib.sha1)
        out += hmac.digest(secret, a + seed, hashlib.sha1)
    return out[:length]


@dataclass(frozen=True)
class SymmetricProof:
    key: bytes
    server_entropy: bytes | None  # set when the key combines both parties' entropy


def symmetric_proof(rst: Rst) -> SymmetricProof:
    size = rst.key_size // 8
    if rst.client_entropy is None:
        return SymmetricProof(secrets.token_bytes(size), None)
    server = secrets.token_bytes(size)
    return SymmetricProof(p_sha1(rst.client_entropy, server, size), server)


def proof_for(rst: Rst, key_type: str | None) -> tuple[SymmetricProof | None, ProofKey | None]:
    """The proof of possession an issued token is bound to: for a SymmetricKey token a new key (whose
    entropy the RSTR hands back, the first item), otherwise the requester's own key from the RST."""
    if key_type == SYMMETRIC_KEY:
        proof = symmetric_proof(rst)
        return proof, ProofKey(SYMMETRIC_KEY, secret=proof.key)
    return None, rst.proof


# --------------------------------------------------------------------------- responses


def _actions(ns: str, request_type: str) -> str:
    if ns == x.WST13:
        return f"{ns}/RSTRC/IssueFinal" if request_type == ISSUE else f"{ns}/RSTR/ValidateFinal"
    return f"{ns}/RSTR/{request_type}"


MARKER = b"<tokensmith-issued-token/>"
KEY_TYPES = {BEARER: "Bearer", PUBLIC_KEY: "PublicKey", SYMMETRIC_KEY: "SymmetricKey"}


def _e(value: str) -> str:
    if "&" in value or "<" in value or ">" in value or '"' in value:
        return escape(value, {'"': "&quot;"})
    return value


def _str_reference(token: IssuedToken) -> str:
    return (f'<wsse:SecurityTokenReference xmlns:wsse="{WSSE}" xmlns:wsse11="{WSSE11}" '
            f'wsse11:TokenType="{_e(token.token_type)}"><wsse:KeyIdentifier '
            f'ValueType="{_e(token.reference_value_type)}">{_e(token.token_id)}</wsse:KeyIdentifier>'
            "</wsse:SecurityTokenReference>")


def issue_response(env: Envelope, rst: Rst, token: IssuedToken, token_type: str, key_type: str | None,
                   proof: SymmetricProof | None) -> bytes:
    """The RSTR (in a collection for WS-Trust 1.3) around the issued token's bytes, written as text
    on the hot path; every variable value is escaped. The token's bytes go in unchanged, directly
    inside RequestedSecurityToken."""
    ns = rst.trust
    soap = env.soap
    parts = [f'<s:Envelope xmlns:s="{soap}" xmlns:a="{WSA}"><s:Header><a:Action s:mustUnderstand="1">'
             f"{_actions(ns, rst.request_type)}</a:Action>"]
    if env.message_id:
        parts.append(f"<a:RelatesTo>{_e(env.message_id)}</a:RelatesTo>")
    parts.append("</s:Header><s:Body>")
    if ns == x.WST13:
        parts.append(f'<trust:RequestSecurityTokenResponseCollection xmlns:trust="{ns}">')
        parts.append("<trust:RequestSecurityTokenResponse" + (f' Context="{_e(rst.context)}"' if rst.context else "")
                     + ">")
    else:
        parts.append(f'<trust:RequestSecurityTokenResponse xmlns:trust="{ns}"'
                     + (f' Context="{_e(rst.context)}"' if rst.context else "") + ">")
    parts.append(f'<trust:Lifetime><wsu:Created xmlns:wsu="{WSU}">{instant(token.created)}</wsu:Created>'
                 f'<wsu:Expires xmlns:wsu="{WSU}">{instant(token.expires)}</wsu:Expires></trust:Lifetime>')
    if rst.applies_to:
        parts.append(f'<wsp:AppliesTo xmlns:wsp="{rst.applies_to_ns}"><wsa:EndpointReference xmlns:wsa="{WSA}">'
                     f"<wsa:Address>{_e(rst.applies_to)}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>")
    head = "".join(parts) + "<trust:RequestedSecurityToken>"
    parts = ["</trust:RequestedSecurityToken>"]
    if token.reference_value_type:
        reference = _str_reference(token)
        parts.append(f"<trust:RequestedAttachedReference>{reference}</trust:RequestedAttachedReference>"
                     f"<trust:RequestedUnattachedReference>{reference}</trust:RequestedUnattachedReference>")
    if proof is not None:
        if proof.server_entropy is None:
            parts.append(f'<trust:RequestedProofToken><trust:BinarySecret Type="{ns}/SymmetricKey">'
                         f"{base64.b64encode(proof.key).decode()}</trust:BinarySecret></trust:RequestedProofToken>")
        else:
            parts.append(f"<trust:RequestedProofToken><trust:ComputedKey>{ns}/CK/PSHA1</trust:ComputedKey>"
                         f'</trust:RequestedProofToken><trust:Entropy><trust:BinarySecret Type="{ns}/Nonce">'
                         f"{base64.b64encode(proof.server_entropy).decode()}</trust:BinarySecret></trust:Entropy>")
        parts.append(f"<trust:KeySize>{len(proof.key) * 8}</trust:KeySize>")
    parts.append(f"<trust:TokenType>{_e(token_type)}</trust:TokenType>"
                 f"<trust:RequestType>{ns}/{rst.request_type}</trust:RequestType>")
    if key_type is not None:
        parts.append(f"<trust:KeyType>{ns}/{KEY_TYPES[key_type]}</trust:KeyType>")
    parts.append("</trust:RequestSecurityTokenResponse>")
    if ns == x.WST13:
        parts.append("</trust:RequestSecurityTokenResponseCollection>")
    parts.append("</s:Body></s:Envelope>")
    return head.encode() + token.value + "".join(parts).encode()


def validate_response(env: Envelope, rst: Rst, valid: bool, reason: str, token: IssuedToken | None = None,
                      token_type: str = "") -> bytes:
    ns = rst.trust
    root, body = envelope(env.soap, _actions(ns, VALIDATE), env.message_id)
    holder = (etree.SubElement(body, q(ns, "RequestSecurityTokenResponseCollection"), nsmap={"trust": ns})
              if ns == x.WST13 else body)
    rstr = etree.SubElement(holder, q(ns, "RequestSecurityTokenResponse"), nsmap={"trust": ns})
    if rst.context:
        rstr.set("Context", rst.context)
    etree.SubElement(rstr, q(ns, "TokenType")).text = token_type or f"{ns}/RSTR/Status"
    if token is not None:
        requested = etree.SubElement(rstr, q(ns, "RequestedSecurityToken"))
        requested.append(etree.Element("tokensmith-issued-token"))
    status = etree.SubElement(rstr, q(ns, "Status"))
    etree.SubElement(status, q(ns, "Code")).text = f"{ns}/status/{'valid' if valid else 'invalid'}"
    if reason:
        etree.SubElement(status, q(ns, "Reason")).text = reason
    data = etree.tostring(root)
    return data.replace(MARKER, token.value, 1) if token is not None else data

"""Helpers for the STS tests: keys, schema validation, the xmlsec1 command-line verifier (an XML
signature implementation independent of the service's signxml), and WS-Trust requests written the
way real clients send them."""

from __future__ import annotations

import subprocess
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from tests.conftest import SIMPLE_PCV, Admin
from tokensmith.keys import material as km
from tokensmith.keys.ring import SigningKey

SCHEMAS = Path(__file__).parent / "schemas"
SAML2_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML1_NS = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML20_GEN = "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator"
SAML11_GEN = "org.sourceid.wstrust.generator.saml.Saml11TokenGenerator"
USERNAME_PROC = "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor"
SAML20_PROC = "org.sourceid.wstrust.processor.saml.Saml20TokenProcessor"
SAML11_PROC = "org.sourceid.wstrust.processor.saml.Saml11TokenProcessor"
JWT_PROC = "org.tokensmith.wstrust.processor.jwt.JwtTokenProcessor"
JWT_GEN = "org.tokensmith.addons.generator.jwt.JwtTokenGenerator"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WST2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PW_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
NS = {"s11": SOAP11, "s12": SOAP12, "t13": WST13, "t05": WST2005, "saml": SAML2_NS, "saml1": SAML1_NS,
      "ds": "http://www.w3.org/2000/09/xmldsig#", "wsse": WSSE, "wsu": WSU}


class _LocalSchemas(etree.Resolver):
    """Imports name the W3C URLs of the signature and encryption schemas: serve the local copies."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        name = system_url.rsplit("/", 1)[-1]
        if (SCHEMAS / name).is_file():
            return self.resolve_filename(str(SCHEMAS / name), context)
        return None


@cache
def schema(version: str) -> etree.XMLSchema:
    name = "saml-schema-assertion-2.0.xsd" if version == "2.0" else "oasis-sstc-saml-schema-assertion-1.1.xsd"
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser))


def assert_schema_valid(assertion: etree._Element | bytes, version: str) -> None:
    element = etree.fromstring(assertion) if isinstance(assertion, bytes) else assertion
    validator = schema(version)
    assert validator.validate(element), validator.error_log


@cache
def signing_key(key_type: str = "RSA", size: int = 2048, name: str = "sts-signer") -> SigningKey:
    algorithm = "SHA256withRSA" if key_type == "RSA" else km.DEFAULT_EC_SIGNATURE[size]
    material = km.generate(km.NewKeyPair(name, "Acme", "US", 30, key_type, size, algorithm), time.time())
    return SigningKey.from_material(f"{key_type.lower()}{size}", material)


def xmlsec1_verify(document: bytes, cert_pem: bytes, tmp: Path,
                   version: str = "2.0") -> subprocess.CompletedProcess[str]:
    """Verify the (first) signature in ``document`` with the xmlsec1 command against the pinned
    certificate only (no embedded certificate is trusted)."""
    doc, cert = tmp / f"doc-{uuid.uuid4().hex}.xml", tmp / f"cert-{uuid.uuid4().hex}.pem"
    doc.write_bytes(document)
    cert.write_bytes(cert_pem)
    id_attr = ("--id-attr:ID", f"{SAML2_NS}:Assertion") if version == "2.0" else \
        ("--id-attr:AssertionID", f"{SAML1_NS}:Assertion")
    return subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert), *id_attr, str(doc)],
                          capture_output=True, text=True, check=False, timeout=60)


# --------------------------------------------------------------------------- admin set-up


def users_table(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"tables": [{"name": "Users", "rows": [
        {"fields": [{"name": "Username", "value": u}, {"name": "Password", "value": p},
                    {"name": "Confirm Password", "value": p}]} for u, p in pairs]}]}


def fields(**values: str) -> list[dict[str, str]]:
    return [{"name": k.replace("_", " "), "value": v} for k, v in values.items()]


async def generator(admin: Admin, gen_id: str = "saml2gen", key_pair: str = "signer", plugin: str = SAML20_GEN,
                    extended: tuple[str, ...] = ("role",), **values: str) -> Any:
    config = {"Issuer": "https://sts.example.com", "Signing Certificate": key_pair,
              "Audience": "https://rp.example.com/", "Confirmation Method":
              ("urn:oasis:names:tc:SAML:2.0:cm:bearer" if plugin == SAML20_GEN else
               "urn:oasis:names:tc:SAML:1.0:cm:bearer")}
    config.update({k.replace("_", " "): v for k, v in values.items()})
    return await admin.ok("POST", "/sp/tokenGenerators", {
        "id": gen_id, "name": f"Generator {gen_id}", "pluginDescriptorRef": {"id": plugin},
        "configuration": {"fields": [{"name": k, "value": v} for k, v in config.items()]},
        "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}],
                              "extendedAttributes": [{"name": a} for a in extended]}})


async def username_setup(admin: Admin, key_pair: str = "signer", plugin: str = SAML20_GEN) -> None:
    from tests.keyfiles import generate

    await generate(admin, key_pair)
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users_table(("alice", "alice-password-1"))})
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "utp", "name": "Username tokens", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "simple"}]}]}]},
        "attributeContract": {"coreAttributes": [{"name": "username"}]}})
    await generator(admin, key_pair=key_pair, plugin=plugin)
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "utp", "targetId": "saml2gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                                         "role": {"source": {"type": "TEXT"}, "value": "employee"}}})


# --------------------------------------------------------------------------- WS-Trust requests


FAKE_NOW = 1_800_000_000.0  # where tests.conftest's FakeClock starts


def _stamp(now: float = FAKE_NOW) -> tuple[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return time.strftime(fmt, time.gmtime(now)), time.strftime(fmt, time.gmtime(now + 300))


def wcf_issue(username: str, password: str, applies_to: str = "https://rp.example.com/app",
              endpoint: str = "https://sts.example.com/pf/sts.wst",
              token_type: str = "urn:oasis:names:tc:SAML:2.0:assertion",
              key_type: str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer", extra: str = "") -> bytes:
    """What .NET WCF's WSTrustChannelFactory (UserNameWSTrustBinding, TrustVersion.WSTrust13,
    TransportWithMessageCredential) sends: SOAP 1.2, WS-Addressing 1.0, a UsernameToken."""
    created, expires = _stamp()
    return f"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:u="{WSU}"><s:Header><a:Action s:mustUnderstand="1">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</a:Action><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID><a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">{endpoint}</a:To><o:Security s:mustUnderstand="1" xmlns:o="{WSSE}"><u:Timestamp u:Id="_0"><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp><o:UsernameToken u:Id="uuid-{uuid.uuid4()}-1"><o:Username>{username}</o:Username><o:Password Type="{PW_TEXT}">{password}</o:Password></o:UsernameToken></o:Security></s:Header><s:Body><trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><trust:KeyType>{key_type}</trust:KeyType><trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType><trust:TokenType>{token_type}</trust:TokenType>{extra}</trust:RequestSecurityToken></s:Body></s:Envelope>""".encode()  # noqa: E501


def cxf_issue(username: str, password: str, applies_to: str = "https://rp.example.com/app",
              token_type: str = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
              key_type: str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer", body_extra: str = "") -> bytes:
    """What Apache CXF's STSClient sends for WS-Trust 1.3 over SOAP 1.1: WS-Addressing headers, a
    UsernameToken with Nonce and Created, SecondaryParameters and the W3C WS-Policy namespace."""
    created, expires = _stamp()
    return f"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><Action xmlns="http://www.w3.org/2005/08/addressing">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</Action><MessageID xmlns="http://www.w3.org/2005/08/addressing">urn:uuid:{uuid.uuid4()}</MessageID><To xmlns="http://www.w3.org/2005/08/addressing">https://sts.example.com/pf/sts.wst</To><ReplyTo xmlns="http://www.w3.org/2005/08/addressing"><Address>http://www.w3.org/2005/08/addressing/anonymous</Address></ReplyTo><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" soap:mustUnderstand="1"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp><wsse:UsernameToken wsu:Id="UsernameToken-2"><wsse:Username>{username}</wsse:Username><wsse:Password Type="{PW_TEXT}">{password}</wsse:Password><wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">c2VjcmV0bm9uY2UxMjM0NQ==</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><wst:SecondaryParameters><t:TokenType xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512">{token_type}</t:TokenType><t:KeyType xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512">{key_type}</t:KeyType></wst:SecondaryParameters><wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</wst:RequestType><wsp:AppliesTo xmlns:wsp="http://www.w3.org/ns/ws-policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><wst:Renewing/>{body_extra}</wst:RequestSecurityToken></soap:Body></soap:Envelope>""".encode()  # noqa: E501


def wst2005_issue(username: str, password: str, applies_to: str = "https://rp.example.com/app",
                  token_type: str = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
                  key_type: str = "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey") -> bytes:
    """WS-Trust 2005/02 over SOAP 1.1 with the 2004/08 WS-Addressing headers, as WCF's
    WSTrustFeb2005 clients and older WSE-era clients send it."""
    return f"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue</a:Action><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID><a:To s:mustUnderstand="1">https://sts.example.com/pf/sts.wst</a:To><o:Security s:mustUnderstand="1" xmlns:o="{WSSE}"><o:UsernameToken><o:Username>{username}</o:Username><o:Password>{password}</o:Password></o:UsernameToken></o:Security></s:Header><s:Body><t:RequestSecurityToken xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference><a:Address>{applies_to}</a:Address></a:EndpointReference></wsp:AppliesTo><t:KeyType>{key_type}</t:KeyType><t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType><t:TokenType>{token_type}</t:TokenType></t:RequestSecurityToken></s:Body></s:Envelope>""".encode()  # noqa: E501


def with_token(token_xml: bytes, request_type: str = "Issue", ns: str = WST13, on_behalf_of: bool = False,
               token_type: str = "urn:oasis:names:tc:SAML:2.0:assertion",
               applies_to: str = "https://rp.example.com/app") -> bytes:
    """A SOAP 1.1 RST presenting ``token_xml`` in the Security header (Issue), in OnBehalfOf, or in
    ValidateTarget (Validate)."""
    token = token_xml.decode()
    security = f'<wsse:Security xmlns:wsse="{WSSE}">{token}</wsse:Security>' if request_type == "Issue" \
        and not on_behalf_of else ""
    inner = f"<t:ValidateTarget>{token}</t:ValidateTarget>" if request_type == "Validate" else \
        f"<t:OnBehalfOf>{token}</t:OnBehalfOf>" if on_behalf_of else ""
    type_uri = f"{ns}/RSTR/Status" if request_type == "Validate" and not token_type else token_type
    return f"""<s:Envelope xmlns:s="{SOAP11}"><s:Header>{security}</s:Header><s:Body><t:RequestSecurityToken xmlns:t="{ns}"><t:RequestType>{ns}/{request_type}</t:RequestType><t:TokenType>{type_uri}</t:TokenType><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>{applies_to}</a:Address></a:EndpointReference></wsp:AppliesTo>{inner}</t:RequestSecurityToken></s:Body></s:Envelope>""".encode()  # noqa: E501


def requested_token(rstr: bytes) -> etree._Element:
    root = etree.fromstring(rstr)
    found = root.xpath("//t13:RequestedSecurityToken/*[1] | //t05:RequestedSecurityToken/*[1]", namespaces=NS)
    assert found, rstr.decode()
    return found[0]  # type: ignore[no-any-return]


def fault_code(body: bytes) -> str:
    root = etree.fromstring(body)
    codes = root.xpath("//faultcode/text() | //s12:Subcode/s12:Value/text()", namespaces=NS)
    assert codes, body.decode()
    return str(codes[0])


# --------------------------------------------------------------------------- SP connections (IdP-side STS)

SERVICE = "https://ws.partner.example/orders"


async def sp_setup(admin: Admin, key_pair: str = "signer") -> None:
    """A signing key pair, a username token processor (alice / alice-password-1, plus the attribute
    ``username``) and this server's entity ids; no token generator and no token-to-token mapping."""
    from tests.keyfiles import generate

    await generate(admin, key_pair)
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users_table(("alice", "alice-password-1"), ("bob", "bob-password-12"))})
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "utp", "name": "Username tokens", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "simple"}]}]}]},
        "attributeContract": {"coreAttributes": [{"name": "username"}]}})
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {
        "saml2EntityId": "https://idp.tokensmith.example", "saml1xIssuerId": "idp.tokensmith.example"}})


def sp_connection(connection_id: str = "orders", service: str = SERVICE, key_pair: str = "signer",
                  processor: str = "utp", token_type: str = "SAML20", **ws: Any) -> dict[str, Any]:
    """An SP connection body as PingFederate's Terraform provider sends it (every list present)."""
    body: dict[str, Any] = {
        "id": connection_id, "name": f"Connection {connection_id}", "entityId": f"urn:partner:{connection_id}",
        "active": True, "type": "SP", "loggingMode": "STANDARD", "virtualEntityIds": [], "contactInfo": {},
        "credentials": {"certs": [], "signingSettings": {
            "signingKeyPairRef": {"id": key_pair}, "algorithm": "SHA256withRSA",
            "includeCertInSignature": False, "includeRawKeyInSignature": False}},
        "wsTrust": {
            "partnerServiceIds": [service], "oAuthAssertionProfiles": False, "defaultTokenType": token_type,
            "generateKey": False, "encryptSaml2Assertion": False, "minutesBefore": 5, "minutesAfter": 30,
            "attributeContract": {"coreAttributes": [{"name": "TOKEN_SUBJECT"}],
                                  "extendedAttributes": [{"name": "role"}]},
            "tokenProcessorMappings": [{
                "idpTokenProcessorRef": {"id": processor}, "attributeSources": [],
                "restrictedVirtualEntityIds": [],
                "attributeContractFulfillment": {
                    "TOKEN_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                    "role": {"source": {"type": "TEXT"}, "value": "buyer"}},
                "issuanceCriteria": {"conditionalCriteria": []}}]},
        "connectionTargetType": "STANDARD"}
    body["wsTrust"].update(ws)
    return body

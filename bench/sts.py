"""The ``sts`` benchmark scenario: WS-Trust 1.3 Issue requests to ``/pf/sts.wst`` answered with
signed SAML 2.0 assertions (RSA-SHA256, exclusive c14n, certificate in KeyInfo).

The presented token is a JWT in a ``wsse:BinarySecurityToken``, validated by a JWT token processor
against a pasted JWKS: a cheap check (one RSA verification), so the run measures what the issue is
about, signing SAML, rather than the deliberately slow password hashing a UsernameToken would cost.
Configuration (through the admin API): signing key pair ``bench-sts`` (RSA 2048), JWT token processor
``benchjwt``, SAML 2.0 generator ``benchsaml`` and the mapping ``benchjwt|benchsaml``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

ADMIN_BASE = "/pf-admin-api/v1"
STS_PATH = "/pf/sts.wst"
ISSUER = "https://bench-issuer.example"
JWT_PROCESSOR = "org.tokensmith.wstrust.processor.jwt.JwtTokenProcessor"
SAML20_GENERATOR = "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"


class StsBenchError(RuntimeError):
    pass


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code not in (200, 201):
        raise StsBenchError(f"{what}: HTTP {response.status_code} {response.text[:400]}")


def request_body(token: str) -> bytes:
    b64 = base64.b64encode(token.encode()).decode()
    return (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
            f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:BinarySecurityToken ValueType="urn:ietf:params:oauth:'
            f'token-type:jwt" EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-'
            f'security-1.0#Base64Binary">{b64}</wsse:BinarySecurityToken></wsse:Security></s:Header><s:Body>'
            '<t:RequestSecurityToken xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><t:RequestType>'
            'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</t:RequestType><t:TokenType>urn:oasis:names:tc:'
            'SAML:2.0:assertion</t:TokenType><t:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer'
            '</t:KeyType><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:Endpoint'
            'Reference xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>https://rp.example.com/app'
            f'</a:Address></a:EndpointReference></wsp:AppliesTo></t:RequestSecurityToken></s:Body></s:Envelope>'
            ).encode()


def configure_sts(admin_url: str, user: str, password: str, workdir: Path) -> Path:
    """Configure the STS and write the request body wrk sends; returns the body file."""
    key = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    public: dict[str, Any] = dict(key.as_dict(private=False))
    public["kid"] = "bench"
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": "bench"},
                       {"iss": ISSUER, "sub": "bench-user", "aud": "urn:bench", "iat": now, "exp": now + 86400,
                        "groups": ["staff", "bench"]}, key)
    headers = {"X-XSRF-Header": "PingFederate", "Content-Type": "application/json"}
    with httpx.Client(base_url=admin_url + ADMIN_BASE, auth=(user, password), headers=headers, timeout=60) as api:
        if api.get("/keyPairs/signing/bench-sts").status_code != 200:
            _check(api.post("/keyPairs/signing/generate", json={
                "id": "bench-sts", "commonName": "Tokensmith bench STS", "organization": "Bench", "country": "US",
                "validDays": 30, "keyAlgorithm": "RSA", "keySize": 2048}), "generate signing key pair")
        for path in ("/tokenProcessorToTokenGeneratorMappings/benchjwt|benchsaml", "/sp/tokenGenerators/benchsaml",
                     "/idp/tokenProcessors/benchjwt"):
            api.delete(path)
        _check(api.post("/idp/tokenProcessors", json={
            "id": "benchjwt", "name": "Bench JWT", "pluginDescriptorRef": {"id": JWT_PROCESSOR},
            "configuration": {"fields": [{"name": "Issuer", "value": ISSUER},
                                         {"name": "JWKS", "value": json.dumps({"keys": [public]})},
                                         {"name": "Audience", "value": "urn:bench"}]},
            "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "groups"}]}}),
            "create JWT token processor")
        _check(api.post("/sp/tokenGenerators", json={
            "id": "benchsaml", "name": "Bench SAML 2.0", "pluginDescriptorRef": {"id": SAML20_GENERATOR},
            "configuration": {"fields": [
                {"name": "Issuer", "value": "https://sts.bench.example"},
                {"name": "Signing Certificate", "value": "bench-sts"},
                {"name": "Signing Algorithm", "value": "RSA_SHA256"},
                {"name": "Include Certificate in KeyInfo", "value": "true"},
                {"name": "Audience", "value": "https://rp.example.com/"},
                {"name": "Confirmation Method", "value": "urn:oasis:names:tc:SAML:2.0:cm:bearer"}]},
            "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}],
                                  "extendedAttributes": [{"name": "groups"}]}}), "create SAML 2.0 generator")
        _check(api.post("/tokenProcessorToTokenGeneratorMappings", json={
            "sourceId": "benchjwt", "targetId": "benchsaml",
            "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                             "groups": {"source": {"type": "TOKEN"}, "value": "groups"}}}),
            "create token-to-token mapping")
    body_file = workdir / f"sts-{uuid.uuid4().hex}.xml"
    body_file.write_bytes(request_body(token))
    return body_file


def check_sts(url: str, body_file: Path, count: int = 5) -> list[str]:
    """Send ``count`` requests; each must answer 200 with a signed SAML 2.0 assertion."""
    problems = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(count):
            response = client.post(STS_PATH, content=body_file.read_bytes(),
                                   headers={"Content-Type": "text/xml; charset=utf-8"})
            if response.status_code != 200 or f"<saml:Assertion xmlns:saml=\"{SAML2}\"".encode() not in \
                    response.content or b"SignatureValue" not in response.content:
                problems.append(f"HTTP {response.status_code}: {response.text[:300]}")
    return problems

"""The ``sts`` and ``sts-username`` benchmark scenarios: WS-Trust 1.3 Issue requests to
``/pf/sts.wst`` answered with signed SAML 2.0 assertions (RSA-SHA256, exclusive c14n, certificate in
KeyInfo).

* ``sts`` presents a JWT in a ``wsse:BinarySecurityToken``, validated by a JWT token processor
  against a pasted JWKS (one RSA verification).
* ``sts-username`` presents a PasswordText ``wsse:UsernameToken``, as MSAL, adal and WCF clients send
  on every request, checked by a Username Token processor against a simple password credential
  validator (an argon2 hash, then the verified-credential cache).

Configuration (through the admin API): signing key pair ``bench-sts`` (RSA 2048), SAML 2.0
generator ``benchsaml``; JWT token processor ``benchjwt`` and mapping ``benchjwt|benchsaml``;
password credential validator ``benchpcv`` (user ``bench-user``), Username Token processor
``benchutp`` and mapping ``benchutp|benchsaml``.
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
USERNAME_PROCESSOR = "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor"
SIMPLE_PCV = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"
BENCH_USER, BENCH_PASSWORD = "bench-user", "bench-password-0123456789"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"


class StsBenchError(RuntimeError):
    pass


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code not in (200, 201):
        raise StsBenchError(f"{what}: HTTP {response.status_code} {response.text[:400]}")


def _envelope(security: str) -> bytes:
    return (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
            f'<wsse:Security xmlns:wsse="{WSSE}">{security}</wsse:Security></s:Header><s:Body>'
            '<t:RequestSecurityToken xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><t:RequestType>'
            'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</t:RequestType><t:TokenType>urn:oasis:names:tc:'
            'SAML:2.0:assertion</t:TokenType><t:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer'
            '</t:KeyType><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:Endpoint'
            'Reference xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>https://rp.example.com/app'
            '</a:Address></a:EndpointReference></wsp:AppliesTo></t:RequestSecurityToken></s:Body></s:Envelope>'
            ).encode()


def request_body(token: str) -> bytes:
    """An Issue request presenting the JWT ``token``."""
    b64 = base64.b64encode(token.encode()).decode()
    return _envelope('<wsse:BinarySecurityToken ValueType="urn:ietf:params:oauth:token-type:jwt" EncodingType='
                     '"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"'
                     f'>{b64}</wsse:BinarySecurityToken>')


def username_body(username: str, password: str) -> bytes:
    """An Issue request presenting a PasswordText UsernameToken."""
    return _envelope(f'<wsse:UsernameToken><wsse:Username>{username}</wsse:Username><wsse:Password Type="'
                     f'{PASSWORD_TEXT}">{password}</wsse:Password></wsse:UsernameToken>')


def _api(admin_url: str, user: str, password: str) -> httpx.Client:
    headers = {"X-XSRF-Header": "PingFederate", "Content-Type": "application/json"}
    return httpx.Client(base_url=admin_url + ADMIN_BASE, auth=(user, password), headers=headers, timeout=60)


def _generator(api: httpx.Client) -> None:
    """The signing key pair and the SAML 2.0 generator both scenarios issue through (made once)."""
    if api.get("/keyPairs/signing/bench-sts").status_code != 200:
        _check(api.post("/keyPairs/signing/generate", json={
            "id": "bench-sts", "commonName": "Tokensmith bench STS", "organization": "Bench", "country": "US",
            "validDays": 30, "keyAlgorithm": "RSA", "keySize": 2048}), "generate signing key pair")
    if api.get("/sp/tokenGenerators/benchsaml").status_code == 200:
        return
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


def configure_sts(admin_url: str, user: str, password: str, workdir: Path) -> Path:
    """Configure the JWT-in STS and write the request body wrk sends; returns the body file."""
    key = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    public: dict[str, Any] = dict(key.as_dict(private=False))
    public["kid"] = "bench"
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": "bench"},
                       {"iss": ISSUER, "sub": BENCH_USER, "aud": "urn:bench", "iat": now, "exp": now + 86400,
                        "groups": ["staff", "bench"]}, key)
    with _api(admin_url, user, password) as api:
        _generator(api)
        for path in ("/tokenProcessorToTokenGeneratorMappings/benchjwt|benchsaml", "/idp/tokenProcessors/benchjwt"):
            api.delete(path)
        _check(api.post("/idp/tokenProcessors", json={
            "id": "benchjwt", "name": "Bench JWT", "pluginDescriptorRef": {"id": JWT_PROCESSOR},
            "configuration": {"fields": [{"name": "Issuer", "value": ISSUER},
                                         {"name": "JWKS", "value": json.dumps({"keys": [public]})},
                                         {"name": "Audience", "value": "urn:bench"}]},
            "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "groups"}]}}),
            "create JWT token processor")
        _check(api.post("/tokenProcessorToTokenGeneratorMappings", json={
            "sourceId": "benchjwt", "targetId": "benchsaml",
            "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                             "groups": {"source": {"type": "TOKEN"}, "value": "groups"}}}),
            "create token-to-token mapping")
    body_file = workdir / f"sts-{uuid.uuid4().hex}.xml"
    body_file.write_bytes(request_body(token))
    return body_file


def configure_sts_username(admin_url: str, user: str, password: str, workdir: Path) -> Path:
    """Configure the UsernameToken-in STS and write the request body wrk sends; returns the body file."""
    with _api(admin_url, user, password) as api:
        _generator(api)
        for path in ("/tokenProcessorToTokenGeneratorMappings/benchutp|benchsaml", "/idp/tokenProcessors/benchutp",
                     "/passwordCredentialValidators/benchpcv"):
            api.delete(path)
        _check(api.post("/passwordCredentialValidators", json={
            "id": "benchpcv", "name": "Bench users", "pluginDescriptorRef": {"id": SIMPLE_PCV},
            "configuration": {"tables": [{"name": "Users", "rows": [{"fields": [
                {"name": "Username", "value": BENCH_USER}, {"name": "Password", "value": BENCH_PASSWORD},
                {"name": "Confirm Password", "value": BENCH_PASSWORD}]}]}]}}), "create password credential validator")
        _check(api.post("/idp/tokenProcessors", json={
            "id": "benchutp", "name": "Bench Username Tokens", "pluginDescriptorRef": {"id": USERNAME_PROCESSOR},
            "configuration": {"tables": [{"name": "Credential Validators", "rows": [
                {"fields": [{"name": "Password Credential Validator Instance", "value": "benchpcv"}]}]}]},
            "attributeContract": {"coreAttributes": [{"name": "username"}]}}), "create Username Token processor")
        _check(api.post("/tokenProcessorToTokenGeneratorMappings", json={
            "sourceId": "benchutp", "targetId": "benchsaml",
            "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                                             "groups": {"source": {"type": "TEXT"}, "value": "staff"}}}),
            "create token-to-token mapping")
    body_file = workdir / f"sts-username-{uuid.uuid4().hex}.xml"
    body_file.write_bytes(username_body(BENCH_USER, BENCH_PASSWORD))
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

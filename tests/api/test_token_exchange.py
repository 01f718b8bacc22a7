"""RFC 8693 token exchange issues SAML 2.0 / 1.1 (and add-on JWT) tokens through the STS generators;
the JWT token processor validates JWTs against a pasted JWKS or a JWKS URL served here."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jwt
from lxml import etree

from tests.conftest import Admin, Runtime
from tests.keyfiles import generate
from tests.stskit import (
    FAKE_NOW,
    JWT_GEN,
    JWT_PROC,
    NS,
    SAML11_GEN,
    assert_schema_valid,
    generator,
    signing_key,
    xmlsec1_verify,
)
from tokensmith.clock import FakeClock

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TT = "urn:ietf:params:oauth:token-type:"
ISSUER = "https://issuer.example.org"
APP = ("xapp", "xapp-secret-0123456789")


def _partner_jwk() -> jwk.JWK:
    key = signing_key("RSA", 2048, "jwt-issuer")
    from cryptography.hazmat.primitives import serialization
    pem = key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    return jwk.JWK.from_pem(pem)


def _jwt(claims: dict[str, Any] | None = None, key: jwk.JWK | None = None, alg: str = "RS256") -> str:
    key = key or _partner_jwk()
    body = {"iss": ISSUER, "sub": "alice", "aud": "urn:tokensmith", "exp": int(FAKE_NOW) + 300,
            "iat": int(FAKE_NOW), "groups": ["a", "b"], **(claims or {})}
    token = jwt.JWT(header={"alg": alg, "kid": "k1"}, claims=body)
    token.make_signed_token(key)
    return str(token.serialize())


def _public_jwks() -> str:
    public = json.loads(_partner_jwk().export_public())
    public["kid"] = "k1"
    return json.dumps({"keys": [public]})


@pytest.fixture
def jwks_url() -> Iterator[str]:
    body = _public_jwks().encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()
    server.server_close()


async def _setup(admin: Admin, jwks: dict[str, str]) -> None:
    await generate(admin, "signer")
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "jwtp", "name": "JWT in", "pluginDescriptorRef": {"id": JWT_PROC},
        "configuration": {"fields": [{"name": "Issuer", "value": ISSUER},
                                     {"name": "Audience", "value": "urn:tokensmith"},
                                     *({"name": k, "value": v} for k, v in jwks.items())]},
        "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "groups"}]}})
    await generator(admin)
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "jwtp", "targetId": "saml2gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                         "role": {"source": {"type": "TOKEN"}, "value": "groups"}}})
    await admin.client_app(*APP, grants=("TOKEN_EXCHANGE",))


async def _exchange(runtime: Runtime, subject: str, **extra: str) -> httpx.Response:
    return await runtime.token({"grant_type": EXCHANGE, "subject_token": subject,
                                "subject_token_type": TT + "jwt", **extra}, APP)


async def _cert(admin: Admin) -> bytes:
    return (await admin.get("/keyPairs/signing/signer/certificate")).content


async def test_jwt_exchanged_for_saml2_with_a_pasted_jwks(admin: Admin, runtime: Runtime, tmp_path: Path) -> None:
    await _setup(admin, {"JWKS": _public_jwks()})
    response = await _exchange(runtime, _jwt(), requested_token_type=TT + "saml2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == TT + "saml2" and body["token_type"] == "N_A"
    assert body["expires_in"] == 3600
    xml = base64.urlsafe_b64decode(body["access_token"] + "=" * (-len(body["access_token"]) % 4))
    assert_schema_valid(xml, "2.0")
    assert xmlsec1_verify(xml, await _cert(admin), tmp_path).returncode == 0
    assertion = etree.fromstring(xml)
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    assert assertion.xpath("//saml:Attribute[@Name='role']/saml:AttributeValue/text()", namespaces=NS) == ["a", "b"]


async def test_jwt_from_a_jwks_url(admin: Admin, runtime: Runtime, jwks_url: str) -> None:
    await _setup(admin, {"JWKS Endpoint URI": jwks_url})
    response = await _exchange(runtime, _jwt())
    assert response.status_code == 200, response.text
    assert response.json()["issued_token_type"] == TT + "saml2"


async def test_a_jwks_url_is_kept_for_its_cache_control_max_age(admin: Admin, runtime: Runtime,
                                                                 clock: FakeClock) -> None:
    body, fetches = _public_jwks().encode(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("cache-control", "public, max-age=60")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:  # the processor's own cache duration (720 minutes) only applies without a max-age
        await _setup(admin, {"JWKS Endpoint URI": f"http://127.0.0.1:{server.server_address[1]}/jwks"})
        assert (await _exchange(runtime, _jwt())).status_code == 200
        assert (await _exchange(runtime, _jwt({"jti": "second"}))).status_code == 200
        assert len(fetches) == 1
        clock.advance(61)
        assert (await _exchange(runtime, _jwt({"exp": int(FAKE_NOW) + 400}))).status_code == 200
        assert len(fetches) == 2
    finally:
        server.shutdown()
        server.server_close()


async def test_bad_jwts_are_refused(admin: Admin, runtime: Runtime) -> None:
    await _setup(admin, {"JWKS": _public_jwks()})
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    cases = [
        _jwt(key=stranger),
        _jwt({"exp": int(FAKE_NOW) - 10}),
        _jwt({"iss": "https://evil.example"}),
        _jwt({"aud": "urn:someone-else"}),
        "not.a.jwt",
    ]
    hs = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(b"k" * 32).rstrip(b"=").decode())
    cases.append(_jwt(key=hs, alg="HS256"))
    payload = json.dumps({"iss": ISSUER, "sub": "alice", "exp": int(FAKE_NOW) + 60}).encode()
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + "." + \
        base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "."
    cases.append(unsigned)
    for case in cases:
        response = await _exchange(runtime, case)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["error"] == "invalid_request"


async def test_claims_xml_cannot_carry_are_refused_not_a_server_error(admin: Admin, runtime: Runtime) -> None:
    await _setup(admin, {"JWKS": _public_jwks()})
    response = await _exchange(runtime, _jwt({"groups": ["ok", "bad\u0001value"]}))
    assert response.status_code == 400, response.text
    assert "cannot be written" in response.json()["error_description"]


async def test_exchange_errors(admin: Admin, runtime: Runtime) -> None:
    await _setup(admin, {"JWKS": _public_jwks()})
    missing = await runtime.token({"grant_type": EXCHANGE, "subject_token": _jwt()}, APP)
    assert missing.json()["error"] == "invalid_request"
    odd_type = await _exchange(runtime, _jwt(), requested_token_type=TT + "saml1")
    assert odd_type.json()["error"] == "invalid_request"
    saml_subject = await runtime.token({"grant_type": EXCHANGE, "subject_token": "!!!",
                                        "subject_token_type": TT + "saml2"}, APP)
    assert saml_subject.json()["error"] == "invalid_request"
    await admin.client_app("other", "other-secret-0123456789", grants=("CLIENT_CREDENTIALS",))
    unauthorized = await runtime.token({"grant_type": EXCHANGE, "subject_token": _jwt(),
                                        "subject_token_type": TT + "jwt"}, ("other", "other-secret-0123456789"))
    assert unauthorized.json()["error"] == "unauthorized_client"


async def test_saml1_and_addon_jwt_generators(admin: Admin, runtime: Runtime, tmp_path: Path) -> None:
    await _setup(admin, {"JWKS": _public_jwks()})
    await generator(admin, "saml11gen", plugin=SAML11_GEN)
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "jwtp", "targetId": "saml11gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                         "role": {"source": {"type": "CONTEXT"}, "value": "ClientId"}}})
    response = await _exchange(runtime, _jwt(), requested_token_type=TT + "saml1")
    assert response.status_code == 200, response.text
    xml = base64.urlsafe_b64decode(response.json()["access_token"] + "==")
    assert_schema_valid(xml, "1.1")
    assert xmlsec1_verify(xml, await _cert(admin), tmp_path, "1.1").returncode == 0
    assert b">xapp<" in xml
    # the add-on generator (loaded through the entry point) issues JWTs
    descriptors = await admin.ok("GET", "/sp/tokenGenerators/descriptors")
    assert JWT_GEN in [d["id"] for d in descriptors["items"]]
    await admin.ok("POST", "/sp/tokenGenerators", {
        "id": "jwtgen", "name": "JWT out", "pluginDescriptorRef": {"id": JWT_GEN},
        "configuration": {"fields": [{"name": "Issuer", "value": "https://sts.example.com"},
                                     {"name": "Signing Certificate", "value": "signer"}]},
        "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "groups"}]}})
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "jwtp", "targetId": "jwtgen",
        "attributeContractFulfillment": {"sub": {"source": {"type": "TOKEN"}, "value": "sub"},
                                         "groups": {"source": {"type": "TOKEN"}, "value": "groups"}}})
    response = await _exchange(runtime, _jwt(), requested_token_type=TT + "jwt", audience="https://api.example")
    assert response.status_code == 200, response.text
    issued = response.json()["access_token"]
    pem = await _cert(admin)
    from cryptography import x509
    public = jwk.JWK.from_pem(x509.load_pem_x509_certificate(pem).public_key().public_bytes(
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.PEM,
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).PublicFormat.SubjectPublicKeyInfo))
    verified = jwt.JWT(jwt=issued, key=public, check_claims=False)
    claims = json.loads(verified.claims)
    assert claims["sub"] == "alice" and claims["aud"] == "https://api.example" and claims["groups"] == ["a", "b"]
    assert claims["exp"] - claims["iat"] == 3600
    assert time.time() > 0


async def test_a_jwt_from_our_manager_is_exchanged_for_a_saml_assertion(admin: Admin, runtime: Runtime,
                                                                       tmp_path: Path, clock: FakeClock) -> None:
    """End to end: a JWT access token from this server's JWT manager (RS256, key pair 'signer', kid
    'k1') is the subject token; the JWT processor trusts that manager's keys."""
    from tests.jwtkit import jwt_atm

    await generate(admin, "signer")
    await jwt_atm(admin, "jwtatm", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1",
                                    "Issuer Claim Value": "https://as.example"},
                  certificates=[("k1", "signer")],
                  attributeContract={"extendedAttributes": [{"name": "sub"}]})
    await admin.mapping("CLIENT_CREDENTIALS", "jwtatm", {"sub": ("CONTEXT", "ClientId")})
    await admin.client_app(*APP, grants=("CLIENT_CREDENTIALS", "TOKEN_EXCHANGE"),
                           defaultAccessTokenManagerRef={"id": "jwtatm"})
    access = (await runtime.access_token(APP))["access_token"]
    assert access.count(".") == 2
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "ourjwt", "name": "Our JWTs", "pluginDescriptorRef": {"id": JWT_PROC},
        "configuration": {"fields": [{"name": "Access Token Manager", "value": "jwtatm"},
                                     {"name": "Issuer", "value": "https://as.example"}]},
        "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "client_id"}]}})
    await generator(admin)
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "ourjwt", "targetId": "saml2gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                         "role": {"source": {"type": "TEXT"}, "value": "api-client"}}})
    response = await runtime.token({"grant_type": EXCHANGE, "subject_token": access,
                                    "subject_token_type": TT + "access_token",
                                    "requested_token_type": TT + "saml2"}, APP)
    assert response.status_code == 200, response.text
    xml = base64.urlsafe_b64decode(response.json()["access_token"] + "==")
    assert_schema_valid(xml, "2.0")
    assert xmlsec1_verify(xml, await _cert(admin), tmp_path).returncode == 0
    assert etree.fromstring(xml).xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == APP[0]
    # a JWT of another manager (same key pair, same issuer) is not one of 'jwtatm''s tokens
    await jwt_atm(admin, "otheratm", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k2",
                                      "Issuer Claim Value": "https://as.example"},
                  certificates=[("k2", "signer")], attributeContract={"extendedAttributes": [{"name": "sub"}]})
    await admin.mapping("CLIENT_CREDENTIALS", "otheratm", {"sub": ("CONTEXT", "ClientId")})
    other = (await runtime.token({"grant_type": "client_credentials", "access_token_manager_id": "otheratm"},
                                 APP)).json()["access_token"]
    refused = await runtime.token({"grant_type": EXCHANGE, "subject_token": other,
                                   "subject_token_type": TT + "access_token"}, APP)
    assert refused.status_code == 400 and "not issued by access token manager 'jwtatm'" in refused.text
    # and a JWT of our manager that has expired is refused
    clock.advance(3 * 3600)
    expired = await runtime.token({"grant_type": EXCHANGE, "subject_token": access,
                                   "subject_token_type": TT + "access_token"}, APP)
    assert expired.status_code == 400


async def test_a_jwt_presented_again_is_still_checked_for_expiry_and_against_the_current_keys(
        admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    from tokensmith.sts.processors.jwtcache import VERIFIED_JWTS

    await _setup(admin, {"JWKS": _public_jwks()})
    token = _jwt({"sub": "carol"})
    for _ in range(3):  # the second and third time its signature is not verified again
        assert (await _exchange(runtime, token)).status_code == 200
    assert VERIFIED_JWTS.get(token, object(), ("RS256",)) is None  # bound to the processor's key set
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await _exchange(runtime, tampered)).json()["error"] == "invalid_request"
    clock.advance(301)
    expired = await _exchange(runtime, token)
    assert expired.status_code == 400 and "expired" in expired.json()["error_description"]
    clock.advance(-301)
    assert (await _exchange(runtime, token)).status_code == 200
    other = json.loads(jwk.JWK.generate(kty="RSA", size=2048, kid="k1").export_public())
    processor = await admin.ok("GET", "/idp/tokenProcessors/jwtp")
    for f in processor["configuration"]["fields"]:
        if f["name"] == "JWKS":
            f["value"] = json.dumps({"keys": [other]})
    await admin.ok("PUT", "/idp/tokenProcessors/jwtp", processor)
    rotated = await _exchange(runtime, token)
    assert rotated.status_code == 400 and "signature" in rotated.json()["error_description"]

"""PingFederate's JWT Token Processor (``com.pingidentity.pf.tokenprocessors.jwt.JwtTokenProcessor``)
with its Allowed Issuers / Allowed Audiences tables: admin validation, bulk import of an export
holding one, and WS-Trust requests through an SP connection and a token-to-token mapping presenting
JWTs made with jwcrypto (a JOSE library independent of the service's joserfc)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jwt
from lxml import etree

from tests.conftest import RUNTIME_BASE, Admin
from tests.stskit import (
    FAKE_NOW,
    NS,
    SAML2_NS,
    SERVICE,
    fault_code,
    generator,
    requested_token,
    sp_connection,
    sp_setup,
    with_token,
    xmlsec1_verify,
)

PF_JWT = "com.pingidentity.pf.tokenprocessors.jwt.JwtTokenProcessor"
ISSUER = "https://idp.partner.example"
AUDIENCE = "urn:tokensmith:orders"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
KEY = jwk.JWK.generate(kty="RSA", size=2048, kid="pk1")
STRANGER = jwk.JWK.generate(kty="RSA", size=2048, kid="pk1")


def _jwks(key: jwk.JWK = KEY) -> str:
    return json.dumps({"keys": [json.loads(key.export_public())]})


def _jwt(claims: dict[str, Any] | None = None, key: jwk.JWK = KEY, header: dict[str, Any] | None = None) -> str:
    body = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": int(FAKE_NOW) + 300, "iat": int(FAKE_NOW),
            "groups": ["buyers", "admins"], **(claims or {})}
    token = jwt.JWT(header=header or {"alg": "RS256", "kid": "pk1"}, claims=body)
    token.make_signed_token(key)
    return str(token.serialize())


def _unsigned(claims: dict[str, Any] | None = None) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    body = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": int(FAKE_NOW) + 300, **(claims or {})}
    return f"{part({'alg': 'none', 'kid': 'pk1'})}.{part(body)}."


def processor(issuers: list[dict[str, str]] | None = None, audiences: tuple[str, ...] = (AUDIENCE,),
              **values: str) -> dict[str, Any]:
    """A processor body shaped as PingFederate exports it (every field, both tables)."""
    fields = {"Require Audience": "true", "Require Expiration Time": "true", "Require Issued At Time": "false",
              "Require Not Before Time": "false", "Default Cache Duration": "720", "Allowed Clock Skew": "10",
              "Max Future Validity": "", **values}
    rows = issuers if issuers is not None else [{"Issuer": ISSUER, "JWKS": _jwks()}]
    return {
        "id": "pfjwt", "name": "Partner JWTs", "pluginDescriptorRef": {"id": PF_JWT},
        "configuration": {
            "tables": [
                {"name": "Allowed Issuers", "rows": [
                    {"defaultRow": False, "fields": [{"name": k, "value": v} for k, v in row.items()]}
                    for row in rows]},
                {"name": "Allowed Audiences", "rows": [
                    {"defaultRow": False, "fields": [{"name": "Audience", "value": a}]} for a in audiences]}],
            "fields": [{"name": k, "value": v} for k, v in fields.items()]},
        "attributeContract": {"coreAttributes": [{"name": "sub", "masked": False}],
                              "extendedAttributes": [{"name": "groups", "masked": False}], "maskOgnlValues": False}}


def _bst(token: str) -> bytes:
    value = base64.b64encode(token.encode()).decode()
    return (f'<wsse:BinarySecurityToken xmlns:wsse="{WSSE}" ValueType="urn:ietf:params:oauth:token-type:jwt" '
            f'EncodingType="{WSSE[:-len("wssecurity-secext-1.0.xsd")]}soap-message-security-1.0#Base64Binary">'
            f"{value}</wsse:BinarySecurityToken>").encode()


async def _post(http: httpx.AsyncClient, token: str, applies_to: str = SERVICE) -> httpx.Response:
    return await http.post(RUNTIME_BASE + "/idp/sts.wst", content=with_token(_bst(token), applies_to=applies_to),
                           headers={"content-type": "text/xml; charset=utf-8"})


def _connection() -> dict[str, Any]:
    body = sp_connection(processor="pfjwt")
    body["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"] = {
        "TOKEN_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
        "role": {"source": {"type": "TOKEN"}, "value": "groups"}}
    return body


def _errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e.get("fieldPath", ""): e["message"] for e in response.json()["validationErrors"]}


@pytest.fixture
async def sp(admin: Admin) -> Admin:
    await sp_setup(admin)
    return admin


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, list[str]]]:
    body, fetches = _jwks().encode(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("cache-control", "max-age=300")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks", fetches
    server.shutdown()
    server.server_close()


async def test_descriptor_lists_pingfederate_fields_and_tables(admin: Admin) -> None:
    descriptor = await admin.ok("GET", f"/idp/tokenProcessors/descriptors/{PF_JWT}")
    fields = {f["name"] for f in descriptor["configDescriptor"]["fields"]}
    assert {"Require Audience", "Require Expiration Time", "Require Issued At Time", "Require Not Before Time",
            "Allowed Clock Skew", "Max Future Validity", "Default Cache Duration"} <= fields
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in descriptor["configDescriptor"]["tables"]}
    assert tables == {"Allowed Issuers": ["Issuer", "JWKS URL", "JWKS"], "Allowed Audiences": ["Audience"]}
    assert descriptor["attributeContract"] == ["sub"]


async def test_admin_refuses_bad_configurations_with_field_paths(admin: Admin) -> None:
    issuers = "configuration.tables[Allowed Issuers]"
    cases: list[tuple[dict[str, Any], str, str]] = [
        (processor(issuers=[]), issuers, "At least one allowed issuer"),
        (processor(issuers=[{"Issuer": ISSUER, "JWKS": _jwks(), "JWKS URL": "https://x.example/jwks"}]),
         f"{issuers}.rows[0].fields[JWKS URL]", "exactly one of JWKS URL and JWKS"),
        (processor(issuers=[{"Issuer": ISSUER}]), f"{issuers}.rows[0].fields[JWKS URL]", "exactly one"),
        (processor(issuers=[{"Issuer": ISSUER, "JWKS URL": "ftp://x.example/jwks"}]),
         f"{issuers}.rows[0].fields[JWKS URL]", "http(s) URL"),
        (processor(issuers=[{"Issuer": ISSUER, "JWKS": '{"keys": [{"kty": "RSA"}]}'}]),
         f"{issuers}.rows[0].fields[JWKS]", "Not a JSON Web Key Set"),
        (processor(issuers=[{"Issuer": ISSUER, "JWKS": _jwks()}, {"Issuer": ISSUER, "JWKS": _jwks()}]),
         f"{issuers}.rows[1].fields[Issuer]", "more than once"),
        (processor(issuers=[{"JWKS": _jwks()}]), f"{issuers}.rows[0].fields[Issuer]", "required"),
        (processor(audiences=()), "configuration.tables[Allowed Audiences]", "at least one allowed audience"),
        (processor(**{"Allowed Clock Skew": "-1"}), "configuration.fields[Allowed Clock Skew]", "between"),
        (processor(**{"Max Future Validity": "soon"}), "configuration.fields[Max Future Validity]", "whole number"),
    ]
    for body, path, words in cases:
        errors = _errors(await admin.post("/idp/tokenProcessors", body))
        assert path in errors and words in errors[path], (path, errors)
    assert (await admin.get("/idp/tokenProcessors/pfjwt")).status_code == 404  # nothing half-stored


async def test_bulk_import_of_an_export_holding_one(admin: Admin) -> None:
    item = processor()
    item["pluginDescriptorRef"]["location"] = ("https://${PF_ADMIN_PUBLIC_HOSTNAME}:${PF_ADMIN_PUBLIC_PORT_HTTPS}"
                                               f"/pf-admin-api/v1/idp/tokenProcessors/descriptors/{PF_JWT}")
    document = {"metadata": {"pfVersion": "12.2.0.0"}, "operations": [
        {"resourceType": "/idp/tokenProcessors", "operationType": "SAVE", "items": [item]}]}
    result = await admin.ok("POST", "/bulk/import", document, status=200)
    assert result["saved"] == {"/idp/tokenProcessors": 1}
    stored = await admin.ok("GET", "/idp/tokenProcessors/pfjwt")
    tables = {t["name"]: t["rows"] for t in stored["configuration"]["tables"]}
    assert [f["value"] for f in tables["Allowed Audiences"][0]["fields"]] == [AUDIENCE]
    exported = await admin.ok("GET", "/bulk/export")
    saved = [o for o in exported["operations"] if o["resourceType"] == "/idp/tokenProcessors"]
    assert saved and saved[0]["items"][0]["pluginDescriptorRef"]["id"] == PF_JWT


async def test_sts_through_an_sp_connection_with_a_pasted_jwks(sp: Admin, http: httpx.AsyncClient,
                                                               tmp_path: Path) -> None:
    await sp.ok("POST", "/idp/tokenProcessors", processor())
    await sp.ok("POST", "/idp/spConnections", _connection())
    response = await _post(http, _jwt())
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert assertion.tag == f"{{{SAML2_NS}}}Assertion"
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    assert assertion.xpath("//saml:Attribute[@Name='role']/saml:AttributeValue/text()",
                           namespaces=NS) == ["buyers", "admins"]
    cert = (await sp.get("/keyPairs/signing/signer/certificate")).content
    assert xmlsec1_verify(etree.tostring(assertion), cert, tmp_path).returncode == 0


async def test_sts_with_a_jwks_url_and_a_second_issuer(sp: Admin, http: httpx.AsyncClient,
                                                       jwks_server: tuple[str, list[str]]) -> None:
    url, fetches = jwks_server
    other = jwk.JWK.generate(kty="EC", crv="P-256", kid="ec1")
    await sp.ok("POST", "/idp/tokenProcessors", processor(issuers=[
        {"Issuer": ISSUER, "JWKS URL": url}, {"Issuer": "https://second.example", "JWKS": _jwks(other)}]))
    await sp.ok("POST", "/idp/spConnections", _connection())
    assert (await _post(http, _jwt())).status_code == 200
    assert (await _post(http, _jwt({"jti": "2"}))).status_code == 200
    assert len(fetches) == 1  # kept for the response's max-age
    second = _jwt({"iss": "https://second.example"}, key=other, header={"alg": "ES256", "kid": "ec1"})
    assert (await _post(http, second)).status_code == 200
    # a token claiming the second issuer but signed with the first issuer's key is refused
    crossed = _jwt({"iss": "https://second.example"})
    refused = await _post(http, crossed)
    assert fault_code(refused.content) == "wst:InvalidSecurityToken"
    assert b"signature is not valid" in refused.content


@pytest.mark.parametrize(("case", "words"), [
    ("wrong issuer", b"issuer is not accepted"),
    ("wrong audience", b"audience is not accepted"),
    ("no audience", b"has no audience"),
    ("expired", b"has expired"),
    ("no exp", b"no expiration time"),
    ("not yet valid", b"not valid yet"),
    ("bad signature", b"signature is not valid"),
    ("alg none", b"signature is not valid"),
    ("unknown kid", b"signature is not valid"),
    ("HS256 with the public key", b"signature is not valid"),
    ("too long valid", b"Max Future Validity"),
])
async def test_refused_jwts_get_soap_faults(sp: Admin, http: httpx.AsyncClient, case: str, words: bytes) -> None:
    await sp.ok("POST", "/idp/tokenProcessors", processor(**{"Max Future Validity": "60"}))
    await sp.ok("POST", "/idp/spConnections", _connection())
    claims = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": int(FAKE_NOW) + 300}
    hmac_key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(KEY.export_to_pem()).rstrip(b"=").decode(),
                       kid="pk1")
    token = {
        "wrong issuer": lambda: _jwt({"iss": "https://evil.example"}),
        "wrong audience": lambda: _jwt({"aud": "urn:someone-else"}),
        "no audience": lambda: _signed({k: v for k, v in claims.items() if k != "aud"}),
        "expired": lambda: _jwt({"exp": int(FAKE_NOW) - 11}),
        "no exp": lambda: _signed({k: v for k, v in claims.items() if k != "exp"}),
        "not yet valid": lambda: _jwt({"nbf": int(FAKE_NOW) + 60}),
        "bad signature": lambda: _jwt(key=STRANGER),
        "alg none": lambda: _unsigned(),
        "unknown kid": lambda: _jwt(header={"alg": "RS256", "kid": "other"}),
        "HS256 with the public key": lambda: _jwt(key=hmac_key, header={"alg": "HS256", "kid": "pk1"}),
        "too long valid": lambda: _jwt({"exp": int(FAKE_NOW) + 2 * 3600}),
    }[case]()
    response = await _post(http, token)
    assert response.status_code == 500, response.text
    assert fault_code(response.content) == "wst:InvalidSecurityToken"
    assert words in response.content


def _signed(claims: dict[str, Any]) -> str:
    token = jwt.JWT(header={"alg": "RS256", "kid": "pk1"}, claims=claims)
    token.make_signed_token(KEY)
    return str(token.serialize())


async def test_sts_through_a_token_to_token_mapping(sp: Admin, http: httpx.AsyncClient) -> None:
    await sp.ok("POST", "/idp/tokenProcessors", processor())
    await generator(sp)
    await sp.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "pfjwt", "targetId": "saml2gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
                                         "role": {"source": {"type": "TOKEN"}, "value": "groups"}}})
    response = await _post(http, _jwt(), applies_to="https://rp.example.com/app")
    assert response.status_code == 200, response.text
    assertion = requested_token(response.content)
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "alice"
    refused = await _post(http, _jwt({"aud": "urn:someone-else"}), applies_to="https://rp.example.com/app")
    assert refused.status_code == 500 and b"audience is not accepted" in refused.content


async def test_token_exchange_policies_take_it_for_jwt_subject_tokens_only(admin: Admin) -> None:
    await admin.ok("POST", "/idp/tokenProcessors", processor())
    policy = {"id": "pol", "name": "Partner JWTs", "attributeContract": {"extendedAttributes": []},
              "processorMappings": [{"subjectTokenType": "urn:ietf:params:oauth:token-type:jwt",
                                     "subjectTokenProcessor": {"id": "pfjwt"},
                                     "attributeContractFulfillment": {
                                         "subject": {"source": {"type": "SUBJECT_TOKEN"}, "value": "sub"}}}]}
    await admin.ok("POST", "/oauth/tokenExchange/processor/policies", policy)
    policy["processorMappings"][0]["subjectTokenType"] = "urn:ietf:params:oauth:token-type:saml2"
    errors = _errors(await admin.post("/oauth/tokenExchange/processor/policies", {**policy, "id": "saml"}))
    assert "cannot validate subject tokens of type" in errors["processorMappings[0].subjectTokenProcessor.id"]

"""RFC 8693 token exchange through processor policies and generator groups: a JWT of our own manager
becomes a SAML 2.0 assertion (xmlsec1 verifies it) or a SAML 1.1 one when `resource` selects the
second group; with an actor token, the JWT access token and its introspection carry `act` (nested
for chains; jwcrypto, not the server's JOSE library, verifies the token); our own reference token is
a subject too; and every error is RFC 8693 JSON, never a 500."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
from jwcrypto import jwk as jc_jwk
from lxml import etree

from tests.conftest import Admin, Runtime
from tests.jwtkit import jwcrypto_verify, jwt_atm
from tests.keyfiles import generate
from tests.stskit import JWT_PROC, NS, SAML11_GEN, assert_schema_valid, generator, xmlsec1_verify

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TT = "urn:ietf:params:oauth:token-type:"
ISSUER = "https://as.example"
APP = ("app", "app-secret-0123456789")
SVC = ("svc", "svc-secret-0123456789")
XAPP = ("xapp", "xapp-secret-0123456789")
POLICY_SUBJECT = {"source": {"type": "SUBJECT_TOKEN"}, "value": "sub"}


def _processor(processor_id: str, atm_id: str, issuer: str) -> dict[str, Any]:
    return {"id": processor_id, "name": processor_id, "pluginDescriptorRef": {"id": JWT_PROC},
            "configuration": {"fields": [{"name": "Issuer", "value": issuer},
                                         {"name": "Access Token Manager", "value": atm_id}]},
            "attributeContract": {"coreAttributes": [{"name": "sub"}], "extendedAttributes": [{"name": "client_id"}]}}


def _policy_mapping(subject_type: str, processor: str, actor: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"subjectTokenType": subject_type, "subjectTokenProcessor": {"id": processor},
                            "attributeContractFulfillment": {
                                "subject": POLICY_SUBJECT,
                                "client": {"source": {"type": "SUBJECT_TOKEN"}, "value": "client_id"}}}
    if actor:
        body.update(actorTokenType=TT + "jwt", actorTokenProcessor={"id": actor})
        body["attributeContractFulfillment"]["client"] = {"source": {"type": "ACTOR_TOKEN"}, "value": "client_id"}
    return body


async def _setup(admin: Admin) -> None:
    await generate(admin, "signer")
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "ck",
                                 "Issuer Claim Value": ISSUER}, [], [("ck", "signer")],
                  attributeContract={"extendedAttributes": [{"name": "sub"}, {"name": "client"}]})
    await admin.reference_atm("ref", attributes=("sub",))
    await admin.client_app(*APP, defaultAccessTokenManagerRef={"id": "ref"})
    await admin.client_app(*SVC, defaultAccessTokenManagerRef={"id": "jwt"})
    for atm in ("jwt", "ref"):
        await admin.mapping("CLIENT_CREDENTIALS", atm, {"sub": ("CONTEXT", "ClientId")}
                            | ({"client": ("CONTEXT", "ClientId")} if atm == "jwt" else {}))
    await admin.ok("POST", "/idp/tokenProcessors", _processor("ourjwt", "jwt", ISSUER))
    await admin.ok("POST", "/idp/tokenProcessors", _processor("ourref", "ref", "urn:tokensmith:ref"))
    await generator(admin, "saml2gen")
    await generator(admin, "saml11gen", plugin=SAML11_GEN)
    await admin.ok("POST", "/oauth/tokenExchange/processor/policies", {
        "id": "pol", "name": "Exchange", "attributeContract": {"extendedAttributes": [{"name": "client"}]},
        "processorMappings": [_policy_mapping(TT + "jwt", "ourjwt"), _policy_mapping(TT + "jwt", "ourjwt", "ourjwt"),
                              _policy_mapping(TT + "access_token", "ourref")]})
    for group_id, gen, kind, uris in (("g1", "saml2gen", "saml2", []),
                                      ("g2", "saml11gen", "saml1", ["https://legacy.example.com/app"])):
        await admin.ok("POST", "/oauth/tokenExchange/generator/groups", {
            "id": group_id, "name": group_id, "resourceUris": uris, "generatorMappings": [
                {"requestedTokenType": TT + kind, "tokenGenerator": {"id": gen}, "defaultMapping": True}]})
        await admin.ok("POST", "/oauth/tokenExchange/tokenGeneratorMappings", {
            "sourceId": "pol", "targetId": gen, "attributeContractFulfillment": {
                "SAML_SUBJECT": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}, "value": "subject"},
                "role": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}, "value": "client"}}})
    await admin.ok("PUT", "/oauth/tokenExchange/generator/settings", {"defaultGeneratorGroupRef": {"id": "g1"}})
    await admin.mapping("TOKEN_EXCHANGE_PROCESSOR_POLICY", "jwt", {
        "sub": ("TOKEN_EXCHANGE_PROCESSOR_POLICY", "subject"), "client": ("TOKEN_EXCHANGE_PROCESSOR_POLICY", "client")},
        context_ref="pol")
    await admin.client_app(*XAPP, grants=("TOKEN_EXCHANGE", "ACCESS_TOKEN_VALIDATION"),
                           tokenExchangeProcessorPolicyRef={"id": "pol"}, defaultAccessTokenManagerRef={"id": "jwt"})


async def _exchange(runtime: Runtime, subject: str, subject_type: str = "jwt", **extra: str) -> httpx.Response:
    return await runtime.token({"grant_type": EXCHANGE, "subject_token": subject,
                                "subject_token_type": TT + subject_type, **extra}, XAPP)


def _saml(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


async def _verifier(admin: Admin) -> tuple[bytes, jc_jwk.JWK]:
    pem = (await admin.get("/keyPairs/signing/signer/certificate")).content
    return pem, jc_jwk.JWK.from_pem(pem)


async def test_our_jwt_becomes_a_saml2_assertion_and_resource_selects_the_saml11_group(
        admin: Admin, runtime: Runtime, tmp_path: Path) -> None:
    await _setup(admin)
    subject = (await runtime.access_token(SVC))["access_token"]
    response = await _exchange(runtime, subject)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == TT + "saml2" and body["token_type"] == "N_A"
    xml = _saml(body["access_token"])
    assert_schema_valid(xml, "2.0")
    pem, _ = await _verifier(admin)
    assert xmlsec1_verify(xml, pem, tmp_path).returncode == 0
    assertion = etree.fromstring(xml)
    assert assertion.xpath("string(saml:Subject/saml:NameID)", namespaces=NS) == "svc"
    assert assertion.xpath("//saml:Attribute[@Name='role']/saml:AttributeValue/text()", namespaces=NS) == ["svc"]

    second = await _exchange(runtime, subject, resource="https://legacy.example.com/app")
    assert second.status_code == 200, second.text
    assert second.json()["issued_token_type"] == TT + "saml1"
    xml11 = _saml(second.json()["access_token"])
    assert_schema_valid(xml11, "1.1")
    assert xmlsec1_verify(xml11, pem, tmp_path, "1.1").returncode == 0


async def test_an_actor_token_becomes_act_in_the_jwt_and_in_introspection_nested_for_chains(
        admin: Admin, runtime: Runtime) -> None:
    await _setup(admin)
    subject = (await runtime.access_token(APP, access_token_manager_id="jwt"))["access_token"]
    actor = (await runtime.access_token(SVC))["access_token"]
    response = await _exchange(runtime, subject, requested_token_type=TT + "access_token", actor_token=actor,
                               actor_token_type=TT + "jwt")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == TT + "access_token" and body["token_type"] == "Bearer"
    _, key = await _verifier(admin)
    claims = jwcrypto_verify(body["access_token"], key, "RS256")
    assert claims["sub"] == "app" and claims["client"] == "svc" and claims["client_id"] == "xapp"
    assert claims["act"] == {"sub": "svc", "iss": ISSUER}
    introspected = await runtime.introspect(body["access_token"], XAPP)
    assert introspected["active"] is True and introspected["act"] == {"sub": "svc", "iss": ISSUER}

    # a chain: the delegated token is exchanged again with another actor; the prior actor nests inside
    await admin.client_app("ops", "ops-secret-0123456789", defaultAccessTokenManagerRef={"id": "jwt"})
    ops = (await runtime.access_token(("ops", "ops-secret-0123456789")))["access_token"]
    again = await _exchange(runtime, body["access_token"], requested_token_type=TT + "jwt", actor_token=ops,
                            actor_token_type=TT + "jwt")
    assert again.status_code == 200, again.text
    assert again.json()["issued_token_type"] == TT + "jwt"
    chained = jwcrypto_verify(again.json()["access_token"], key, "RS256")
    assert chained["act"] == {"sub": "ops", "iss": ISSUER, "act": {"sub": "svc", "iss": ISSUER}}


async def test_our_reference_token_is_exchanged_for_a_jwt_and_for_saml(admin: Admin, runtime: Runtime,
                                                                        tmp_path: Path) -> None:
    await _setup(admin)
    opaque = (await runtime.access_token(APP))["access_token"]
    assert "." not in opaque
    response = await _exchange(runtime, opaque, "access_token", requested_token_type=TT + "access_token")
    assert response.status_code == 200, response.text
    _, key = await _verifier(admin)
    claims = jwcrypto_verify(response.json()["access_token"], key, "RS256")
    assert claims["sub"] == "app" and claims["iss"] == ISSUER and "act" not in claims
    saml = await _exchange(runtime, opaque, "access_token")
    assert saml.status_code == 200 and saml.json()["issued_token_type"] == TT + "saml2"
    await runtime.revoke(opaque, APP)
    revoked = await _exchange(runtime, opaque, "access_token")
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_request"


async def test_every_error_is_rfc_8693_json(admin: Admin, runtime: Runtime) -> None:
    await _setup(admin)
    subject = (await runtime.access_token(SVC))["access_token"]
    opaque = (await runtime.access_token(APP))["access_token"]
    cases: list[tuple[dict[str, str], str]] = [
        ({"subject_token": subject}, "invalid_request"),
        ({"subject_token_type": TT + "jwt"}, "invalid_request"),
        ({"subject_token": subject, "subject_token_type": TT + "saml1"}, "unsupported_token_type"),
        ({"subject_token": subject, "subject_token_type": "urn:example:unknown"}, "unsupported_token_type"),
        ({"subject_token": subject, "subject_token_type": TT + "jwt", "actor_token": subject}, "invalid_request"),
        ({"subject_token": opaque, "subject_token_type": TT + "access_token", "actor_token": subject,
          "actor_token_type": TT + "jwt"}, "unsupported_token_type"),
        ({"subject_token": subject, "subject_token_type": TT + "jwt", "resource": "https://nobody.example/"},
         "invalid_target"),
        ({"subject_token": subject, "subject_token_type": TT + "jwt", "requested_token_type": TT + "saml1"},
         "invalid_request"),
        ({"subject_token": "not-a-token", "subject_token_type": TT + "jwt"}, "invalid_request"),
        ({"subject_token": opaque, "subject_token_type": TT + "jwt"}, "invalid_request"),
        ({"subject_token": subject, "subject_token_type": TT + "access_token"}, "invalid_request"),
        ({"subject_token": "!!", "subject_token_type": TT + "jwt", "actor_token": "x", "actor_token_type": TT + "jwt"},
         "invalid_request"),
    ]
    for params, error in cases:
        response = await runtime.token({"grant_type": EXCHANGE, **params}, XAPP)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"] == error, (params, response.text)
        assert response.json()["error_description"]
    # jwt asked of a reference-token manager; a policy that requires an actor token
    ref_only = await _exchange(runtime, subject, requested_token_type=TT + "jwt", access_token_manager_id="ref")
    assert ref_only.json()["error"] == "invalid_request" and "JWT access token manager" in ref_only.text
    policy = await admin.ok("GET", "/oauth/tokenExchange/processor/policies/pol")
    policy["actorTokenRequired"] = True
    policy["processorMappings"] = [policy["processorMappings"][1]]
    await admin.ok("PUT", "/oauth/tokenExchange/processor/policies/pol", policy)
    required = await _exchange(runtime, subject)
    assert required.json()["error"] == "invalid_request" and "requires an actor_token" in required.text


async def test_clients_without_a_policy_keep_the_token_to_token_mapping_path(admin: Admin, runtime: Runtime) -> None:
    """No policy named and no default: the existing processor-to-generator mapping serves the request."""
    await _setup(admin)
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "ourjwt", "targetId": "saml2gen", "attributeContractFulfillment": {
            "SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "sub"},
            "role": {"source": {"type": "TEXT"}, "value": "legacy"}}})
    await admin.client_app("old", "old-secret-0123456789", grants=("TOKEN_EXCHANGE",))
    subject = (await runtime.access_token(SVC))["access_token"]
    response = await runtime.token({"grant_type": EXCHANGE, "subject_token": subject,
                                    "subject_token_type": TT + "jwt"}, ("old", "old-secret-0123456789"))
    assert response.status_code == 200, response.text
    assert b">legacy<" in _saml(response.json()["access_token"])
    # with a default processor policy, the same client is served by the policy instead
    await admin.ok("PUT", "/oauth/tokenExchange/processor/settings", {"defaultProcessorPolicyRef": {"id": "pol"}})
    response = await runtime.token({"grant_type": EXCHANGE, "subject_token": subject,
                                    "subject_token_type": TT + "jwt"}, ("old", "old-secret-0123456789"))
    assert response.status_code == 200, response.text
    assert b">svc<" in _saml(response.json()["access_token"]) and b">legacy<" not in _saml(
        response.json()["access_token"])

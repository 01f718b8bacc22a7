"""The authorization code grant with PKCE: the code's bindings, single use, expiry, and the tokens."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from tests.authzkit import AUTHZ, REDIRECT, RS, code_for, configure, pkce, query_of, sign_in
from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tests.jwtkit import jwt_atm
from tokensmith.clock import FakeClock
from tokensmith.node import Node
from tokensmith.oauth.grants.authorization_code import verifier_matches
from tokensmith.state.base import CodeRecord
from tokensmith.state.sqlite import SqliteTokenState

WEB = ("web", "web-secret-0123456789")


@pytest.fixture
async def configured(admin: Admin) -> Admin:
    await configure(admin)
    return admin


def _exchange(code: str, verifier: str | None = None, **extra: str) -> dict[str, str]:
    data = {"grant_type": "authorization_code", "code": code, **extra}
    if verifier is not None:
        data["code_verifier"] = verifier
    return data


async def test_code_with_pkce_gives_tokens_of_the_signed_in_user(configured: Admin, runtime: Runtime) -> None:
    verifier, challenge = pkce()
    code, query = await code_for(runtime.client, code_challenge=challenge, code_challenge_method="S256",
                                 scope="read write", state="xyz")
    assert query["state"] == "xyz" and "iss" not in query
    response = await runtime.token(_exchange(code, verifier), WEB)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "read write" and body["token_type"] == "Bearer" and body["refresh_token"]
    info = await runtime.introspect(body["access_token"], auth=RS)
    assert info["active"] and info["user"] == "alice" and info["name"] == "alice"
    assert info["via"] == "authorization_code" and info["client_id"] == "web"
    refreshed = await runtime.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, WEB)
    assert refreshed.status_code == 200 and (await runtime.introspect(refreshed.json()["access_token"],
                                                                      auth=RS))["user"] == "alice"


async def test_wrong_or_missing_verifier_is_invalid_grant(configured: Admin, runtime: Runtime) -> None:
    verifier, challenge = pkce()
    for presented in (None, pkce()[0], "short", verifier + "\u00e9"):
        code, _ = await code_for(runtime.client, code_challenge=challenge, code_challenge_method="S256")
        response = await runtime.token(_exchange(code, presented), WEB)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant", presented
    code, _ = await code_for(runtime.client)  # no challenge sent: a verifier is a downgrade attempt
    response = await runtime.token(_exchange(code, verifier), WEB)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_plain_pkce_only_when_allowed(configured: Admin, runtime: Runtime) -> None:
    verifier = pkce()[0]
    code, _ = await code_for(runtime.client, code_challenge=verifier, code_challenge_method="plain")
    assert (await runtime.token(_exchange(code, verifier), WEB)).status_code == 200
    code, _ = await code_for(runtime.client, code_challenge=verifier)  # no method: plain (RFC 7636 §4.3)
    assert (await runtime.token(_exchange(code, verifier), WEB)).status_code == 200
    await configured.scopes(common=("read", "write"), disallowPlainPKCE=True)
    refused = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code", "state": "s",
                                                      "code_challenge": verifier, "code_challenge_method": "plain"})
    assert refused.status_code == 302
    query = query_of(refused.headers["location"])
    assert query["error"] == "invalid_request" and query["state"] == "s" and query["iss"]
    meta = (await runtime.client.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()
    assert meta["code_challenge_methods_supported"] == ["S256"]


async def test_client_that_requires_pkce_must_send_a_challenge(admin: Admin, runtime: Runtime) -> None:
    await configure(admin, requireProofKeyForCodeExchange=True)
    refused = await runtime.client.get(AUTHZ, params={"client_id": "web", "response_type": "code"})
    assert refused.status_code == 302 and query_of(refused.headers["location"])["error"] == "invalid_request"


async def test_a_reused_code_is_refused_and_revokes_the_first_exchange(configured: Admin, runtime: Runtime) -> None:
    verifier, challenge = pkce()
    code, _ = await code_for(runtime.client, code_challenge=challenge, code_challenge_method="S256", scope="read")
    first = (await runtime.token(_exchange(code, verifier), WEB)).json()
    assert (await runtime.introspect(first["access_token"], auth=RS))["active"]
    again = await runtime.token(_exchange(code, verifier), WEB)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await runtime.introspect(first["access_token"], auth=RS)) == {"active": False}
    refreshed = await runtime.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, WEB)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_reuse_without_refresh_token_revokes_the_access_token(admin: Admin, runtime: Runtime) -> None:
    await configure(admin, grantTypes=["AUTHORIZATION_CODE"])
    code, _ = await code_for(runtime.client)
    first = (await runtime.token(_exchange(code), WEB)).json()
    assert "refresh_token" not in first
    assert (await runtime.token(_exchange(code), WEB)).json()["error"] == "invalid_grant"
    assert (await runtime.introspect(first["access_token"], auth=RS)) == {"active": False}


async def test_redirect_uri_must_match_the_authorization_request(configured: Admin, runtime: Runtime) -> None:
    code, _ = await code_for(runtime.client)  # redirect_uri left out (the client has one)
    sent = await runtime.token(_exchange(code, redirect_uri=REDIRECT), WEB)
    assert sent.status_code == 400 and sent.json()["error"] == "invalid_grant"
    code, _ = await code_for(runtime.client, redirect_uri=REDIRECT)
    missing = await runtime.token(_exchange(code), WEB)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    code, _ = await code_for(runtime.client, redirect_uri=REDIRECT)
    other = await runtime.token(_exchange(code, redirect_uri=REDIRECT + "/"), WEB)
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    code, _ = await code_for(runtime.client, redirect_uri=REDIRECT)
    assert (await runtime.token(_exchange(code, redirect_uri=REDIRECT), WEB)).status_code == 200


async def test_an_expired_code_is_invalid_grant(configured: Admin, runtime: Runtime, clock: FakeClock) -> None:
    code, _ = await code_for(runtime.client)
    clock.advance(61)  # authorizationCodeTimeout: 60 seconds
    response = await runtime.token(_exchange(code), WEB)
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant",
                                                               "error_description": "The authorization code has "
                                                               "expired"}


async def test_a_code_is_bound_to_its_client(configured: Admin, runtime: Runtime) -> None:
    await configured.ok("POST", "/oauth/clients", {
        "clientId": "other", "name": "other", "grantTypes": ["AUTHORIZATION_CODE"], "redirectUris": [REDIRECT],
        "clientAuth": {"type": "SECRET", "secret": "other-secret-0123456789"}})
    code, _ = await code_for(runtime.client)
    stolen = await runtime.token(_exchange(code), ("other", "other-secret-0123456789"))
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    bogus = await runtime.token(_exchange("not-a-code"), WEB)
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"
    missing = await runtime.token({"grant_type": "authorization_code"}, WEB)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_issuer_in_the_response_when_the_setting_asks(configured: Admin, runtime: Runtime) -> None:
    await configured.scopes(common=("read", "write"), includeIssuerInAuthorizationResponse=True)
    meta = (await runtime.client.get(RUNTIME_BASE + "/.well-known/oauth-authorization-server")).json()
    assert meta["authorization_response_iss_parameter_supported"] is True
    _, query = await code_for(runtime.client)
    assert query["iss"] == meta["issuer"] and "state" not in query  # no state sent: none echoed
    assert meta["authorization_endpoint"] == meta["issuer"] + "/as/authorization.oauth2"
    assert meta["response_types_supported"] == ["code"] and meta["response_modes_supported"] == ["query", "form_post"]


async def test_code_length_follows_the_entropy_setting(configured: Admin, runtime: Runtime) -> None:
    await configured.scopes(common=("read", "write"), authorizationCodeEntropy=48)
    code, _ = await code_for(runtime.client)
    assert len(code) == 64


async def test_a_public_client_with_pkce(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await admin.ok("POST", "/oauth/clients", {
        "clientId": "spa", "name": "SPA", "grantTypes": ["AUTHORIZATION_CODE"], "clientAuth": {"type": "NONE"},
        "redirectUris": ["http://127.0.0.1:8400/cb", "http://localhost:8400/cb"], "bypassApprovalPage": True})
    verifier, challenge = pkce()
    start = await runtime.client.get(AUTHZ, params={"client_id": "spa", "response_type": "code",
                                                    "redirect_uri": "http://127.0.0.1:8400/cb",
                                                    "code_challenge": challenge, "code_challenge_method": "S256"})
    done = await sign_in(runtime.client, start)  # no consent page: bypassApprovalPage
    assert done.status_code == 302 and done.headers["location"].startswith("http://127.0.0.1:8400/cb?code=")
    code = query_of(done.headers["location"])["code"]
    response = await runtime.token(_exchange(code, verifier, client_id="spa",
                                             redirect_uri="http://127.0.0.1:8400/cb"))
    assert response.status_code == 200, response.text


def test_rfc7636_appendix_b_vector() -> None:
    record = CodeRecord(b"", "c", None, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", "", "", "", {}, 0.0)
    assert verifier_matches(record, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    assert not verifier_matches(record, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl")
    assert not verifier_matches(record, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX")  # 42 characters
    assert not verifier_matches(record, "a" * 129) and not verifier_matches(record, "a" * 42 + "+")


async def test_concurrent_redemptions_of_one_code_all_fail(configured: Admin, runtime: Runtime,
                                                           node: Node) -> None:
    """Racing redemptions are a replay too. The one that took the code first either learns of the others
    when it records what it issued (then revokes it and answers invalid_grant like them), or recorded it
    before they came (then they revoke it): no token stays valid either way."""
    code, _ = await code_for(runtime.client)
    answers = await asyncio.gather(*(runtime.token(_exchange(code), WEB) for _ in range(4)))
    won = [a for a in answers if a.status_code == 200]
    assert len(won) <= 1 and all(a.status_code in (200, 400) for a in answers)
    assert all("already been used" in a.json()["error_description"] for a in answers if a.status_code == 400)
    for answer in won:
        assert await runtime.introspect(answer.json()["access_token"], auth=RS) == {"active": False}
    state = node.state
    assert isinstance(state, SqliteTokenState) and state.count_tokens() == 0


async def test_a_bad_manager_choice_does_not_spend_the_code(configured: Admin, runtime: Runtime) -> None:
    code, _ = await code_for(runtime.client)
    wrong = await runtime.token(_exchange(code, access_token_manager_id="ghost"), WEB)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"
    assert (await runtime.token(_exchange(code), WEB)).status_code == 200


async def test_a_jwt_manager_fills_its_claims_from_the_sign_in(admin: Admin, runtime: Runtime) -> None:
    await configure(admin)
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"},
                  symmetric=[("h", "A" * 43)], attributeContract={"extendedAttributes": [{"name": "sub"}]})
    await admin.mapping("IDP_ADAPTER", "jwt", {"sub": ("ADAPTER", "username")}, context_ref="simple")
    code, _ = await code_for(runtime.client, scope="read")
    issued = await runtime.token(_exchange(code, access_token_manager_id="jwt"), WEB)
    assert issued.status_code == 200, issued.text
    payload = issued.json()["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "alice" and claims["client_id"] == "web"
    info = await runtime.introspect(issued.json()["access_token"], auth=RS)
    assert info["active"] and info["sub"] == "alice"


async def test_idp_adapter_mappings_in_the_admin_api(configured: Admin) -> None:
    listed = await configured.ok("GET", "/oauth/accessTokenMappings")
    assert [m["id"] for m in listed] == ["idp_adapter:simple|ref"]
    assert listed[0]["context"]["contextRef"]["id"] == "simple"
    base = {"accessTokenManagerRef": {"id": "ref"},
            "attributeContractFulfillment": {"user": {"source": {"type": "ADAPTER"}, "value": "username"},
                                             "via": {"source": {"type": "TEXT"}, "value": "x"},
                                             "name": {"source": {"type": "TEXT"}, "value": "x"}}}
    for context, path in (({"type": "IDP_ADAPTER"}, "context.contextRef.id"),
                          ({"type": "IDP_ADAPTER", "contextRef": {"id": "ghost"}}, "context.contextRef.id"),
                          ({"type": "PCV", "contextRef": {"id": "simple"}},
                           "attributeContractFulfillment.user.source.type")):  # ADAPTER is the sign-in's
        refused = await configured.post("/oauth/accessTokenMappings", {**base, "context": context})
        assert refused.status_code == 422, context
        assert path in [e["fieldPath"] for e in refused.json()["validationErrors"]], refused.text
    wrong_value = {**base, "context": {"type": "IDP_ADAPTER", "contextRef": {"id": "simple"}},
                   "attributeContractFulfillment": {**base["attributeContractFulfillment"],
                                                    "user": {"source": {"type": "ADAPTER"}, "value": "mail"}}}
    await configured.ok("DELETE", "/oauth/accessTokenMappings/idp_adapter:simple%7Cref")
    refused = await configured.post("/oauth/accessTokenMappings", wrong_value)
    assert refused.status_code == 422
    assert "attributeContractFulfillment.user.value" in [e["fieldPath"] for e in refused.json()["validationErrors"]]

"""Runtime: JWT claims, introspection refusals (alg none, HS256 with the RSA public key as secret,
unknown kid, expired, wrong audience or issuer, tampered payload, revoked jti) and revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from tests.conftest import SIMPLE_PCV, Admin, Runtime
from tests.jwtkit import APP, b64u, header, jwcrypto_decrypt, jwt_atm
from tests.keyfiles import generate
from tokensmith.clock import FakeClock
from tokensmith.httpmsg import Request
from tokensmith.keys.remote import RemoteJwks
from tokensmith.node import Node
from tokensmith.oauth.introspect import introspection_endpoint

RS = {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "ck", "Issuer Claim Value": "https://as.example",
      "Audience Claim Value": "https://api.example", "Enable Token Revocation": "true"}


@pytest.fixture
async def signer(admin: Admin) -> jc_jwk.JWK:
    """An RS256 manager; returns its private key as exported through the admin API (the attacker's
    dream: what a forger could do with the key, the validator must still check the claims)."""
    await generate(admin, "signer")
    await jwt_atm(admin, "jwt", RS, certificates=[("ck", "signer")],
                  attributeContract={"extendedAttributes": [{"name": "sub"}]})
    await admin.mapping("CLIENT_CREDENTIALS", "jwt", {"sub": ("CONTEXT", "ClientId")})
    await admin.client_app()
    await admin.client_app("other", "other-secret-0123456789")
    pem = (await admin.post("/keyPairs/signing/signer/pem", {"password": "pw-1234567890"})).content
    return jc_jwk.JWK.from_pem(pem, password=b"pw-1234567890")


def _forge(key: jc_jwk.JWK, claims: dict[str, Any], **head: Any) -> str:
    token = jc_jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, None, json.dumps({"alg": "RS256", "kid": "ck", **head}))
    return str(token.serialize(compact=True))


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


async def test_claims_and_introspection(signer: jc_jwk.JWK, runtime: Runtime, clock: FakeClock) -> None:
    token = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    claims = _claims(token)
    assert claims["iss"] == "https://as.example" and claims["aud"] == "https://api.example"
    assert claims["sub"] == "app" and claims["client_id"] == "app"
    assert claims["exp"] == int(clock.now()) + 7200 and "iat" not in claims and "nbf" not in claims
    active = await runtime.introspect(token)
    assert active["active"] is True and active["client_id"] == "app" and active["token_type"] == "Bearer"
    assert active["exp"] == claims["exp"] and active["sub"] == "app"
    # a forged token with exactly the right claims and the real key is, of course, valid
    assert (await runtime.introspect(_forge(signer, claims)))["active"] is True


async def test_introspection_refuses_bad_tokens(signer: jc_jwk.JWK, runtime: Runtime, admin: Admin,
                                                clock: FakeClock) -> None:
    token = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    claims = _claims(token)
    head, body, signature = token.split(".")
    public_pem = signer.export_to_pem(private_key=False)

    alg_none = b64u(json.dumps({"alg": "none", "kid": "ck"}).encode()) + "." + body + "."
    hs_head = b64u(json.dumps({"alg": "HS256", "kid": "ck"}).encode())
    hs_sig = b64u(hmac.new(public_pem, f"{hs_head}.{body}".encode(), hashlib.sha256).digest())
    stranger = jc_jwk.JWK.generate(kty="RSA", size=2048)
    tampered_claims = {**claims, "sub": "admin"}
    tampered = f"{head}.{b64u(json.dumps(tampered_claims).encode())}.{signature}"
    refused = {
        "alg none": alg_none,
        "HS256 with the RSA public key as secret": f"{hs_head}.{body}.{hs_sig}",
        "unknown kid": _forge(stranger, claims, kid="nope"),
        "known kid, other key": _forge(stranger, claims),
        "wrong audience": _forge(signer, {**claims, "aud": "https://evil.example"}),
        "wrong issuer": _forge(signer, {**claims, "iss": "https://evil.example"}),
        "no expiry": _forge(signer, {k: v for k, v in claims.items() if k != "exp"}),
        "not yet valid": _forge(signer, {**claims, "nbf": claims["exp"] - 1}),
        "tampered payload": tampered,
        "garbage": "a.b.c",
    }
    for what, bad in refused.items():
        assert await runtime.introspect(bad) == {"active": False}, what
    assert (await runtime.introspect(token))["active"] is True
    clock.advance(7200)
    assert await runtime.introspect(token) == {"active": False}, "expired"


async def test_revocation_by_jti_is_seen_by_every_worker(signer: jc_jwk.JWK, runtime: Runtime, node: Node,
                                                         clock: FakeClock) -> None:
    token = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    other = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    not_yours = await runtime.revoke(token, auth=("other", "other-secret-0123456789"))
    assert not_yours.status_code == 400 and not_yours.json()["error"] == "unauthorized_client"
    assert (await runtime.introspect(token))["active"] is True
    revoked = await runtime.revoke(token)
    assert revoked.status_code == 200
    assert await runtime.introspect(token) == {"active": False}, "revoked jti"
    assert (await runtime.introspect(other))["active"] is True
    # another worker (its own process state, same token store) sees the revocation
    second = Node(node.settings, clock=clock)
    try:
        form = f"token={token}".encode()
        auth = base64.b64encode(b"app:app-secret-0123456789").decode()
        request = Request("POST", "/as/introspect.oauth2", {"content-type": "application/x-www-form-urlencoded",
                                                             "authorization": f"Basic {auth}"}, form)
        response = await introspection_endpoint(second.runtime, request)
        assert json.loads(response.body) == {"active": False}
        # the denylist entry lasts exactly as long as the token would have
        jti = _claims(token)["jti"]
        assert await second.state.is_jti_revoked(f"jwt|{jti}", _claims(token)["exp"] - 1)
        assert not await second.state.is_jti_revoked(f"jwt|{jti}", _claims(token)["exp"])
    finally:
        await second.stop()


async def test_revocation_needs_the_option(admin: Admin, runtime: Runtime) -> None:
    await generate(admin, "signer", keyAlgorithm="EC")
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "ck"},
                  certificates=[("ck", "signer")])
    await admin.client_app()
    token = (await runtime.access_token())["access_token"]
    response = await runtime.revoke(token)
    assert response.status_code == 400 and response.json()["error"] == "unsupported_token_type"
    assert (await runtime.introspect(token))["active"] is True
    assert (await runtime.revoke("not.a.token")).status_code == 200  # unknown tokens: 200, as RFC 7009 asks


async def test_grant_guid_claim_ties_the_jwt_to_its_refresh_token(admin: Admin, runtime: Runtime) -> None:
    await generate(admin, "signer", keyAlgorithm="EC")
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "ck",
                                 "Access Grant GUID Claim Name": "agid", "Scope Claim Name": "scp",
                                 "Space Delimit Scope Values": "false", "Not Before Claim Offset": "30",
                                 "JWT ID Claim Length": "0"},
                  certificates=[("ck", "signer")])
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": {"tables": [{"name": "Users", "rows": [{"fields": [
            {"name": "Username", "value": "alice"}, {"name": "Password", "value": "alice-password-1"},
            {"name": "Confirm Password", "value": "alice-password-1"}]}]}]}})
    await admin.scopes(common=("read", "write"))
    await admin.client_app(grants=("RESOURCE_OWNER_CREDENTIALS", "REFRESH_TOKEN", "ACCESS_TOKEN_VALIDATION"))
    issued = (await runtime.token({"grant_type": "password", "username": "alice", "password": "alice-password-1",
                                   "scope": "read write"}, APP)).json()
    claims = _claims(issued["access_token"])
    assert claims["scp"] == ["read", "write"] and "jti" not in claims
    assert claims["nbf"] == claims["exp"] - 7200 - 30 and isinstance(claims["agid"], str)
    introspected = await runtime.introspect(issued["access_token"])
    assert introspected["scope"] == "read write"
    assert header(issued["access_token"])["kid"] == "ck"
    assert (await runtime.revoke(issued["refresh_token"], token_type_hint="refresh_token")).status_code == 200
    assert await runtime.introspect(issued["access_token"]) == {"active": False}


async def test_recipient_key_from_a_jwks_url_is_cached(admin: Admin, runtime: Runtime, node: Node,
                                                       clock: FakeClock) -> None:
    partner = {"key": jc_jwk.JWK.generate(kty="RSA", size=2048, kid="enc-1", use="enc"),
               "cache": "public, max-age=60", "status": 200}
    signing_only = jc_jwk.JWK.generate(kty="EC", crv="P-256", kid="sig-1", use="sig")

    def serve(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://partner.example/jwks"
        jwks = {"keys": [json.loads(signing_only.export_public()), json.loads(partner["key"].export_public())]}
        headers = {"cache-control": partner["cache"]} if partner["cache"] else {}
        return httpx.Response(partner["status"], json=jwks, headers=headers)

    fetcher = RemoteJwks(lambda: httpx.AsyncClient(transport=httpx.MockTransport(serve)))
    node.runtime.remote_jwks = fetcher
    await jwt_atm(admin, "jwt", {"JWE Algorithm": "RSA-OAEP-256", "JWE Content Encryption Algorithm": "A256GCM",
                                 "Asymmetric Encryption JWKS URL": "https://partner.example/jwks",
                                 "Default JWKS URL Cache Duration": "10"})
    await admin.client_app()

    async def issue() -> str:
        return str((await runtime.access_token())["access_token"])

    first = await issue()
    assert header(first)["kid"] == "enc-1" and fetcher.fetches == 1
    assert json.loads(jwcrypto_decrypt(first, partner["key"], "RSA-OAEP-256", "A256GCM"))["client_id"] == "app"
    await issue()
    assert fetcher.fetches == 1  # cached for the response's max-age
    partner["key"] = jc_jwk.JWK.generate(kty="RSA", size=2048, kid="enc-2", use="enc")
    partner["cache"] = ""
    clock.advance(61)
    assert header(await issue())["kid"] == "enc-2" and fetcher.fetches == 2
    clock.advance(9 * 60)
    await issue()
    assert fetcher.fetches == 2  # no max-age: the Default JWKS URL Cache Duration (10 minutes)
    partner["status"] = 500
    clock.advance(61)
    assert header(await issue())["kid"] == "enc-2"  # the partner is down: the cached key keeps working
    assert fetcher.fetches == 3

    node.runtime.remote_jwks = RemoteJwks(lambda: httpx.AsyncClient(transport=httpx.MockTransport(serve)))
    down = await runtime.token({"grant_type": "client_credentials"}, APP)
    assert down.status_code == 503 and down.json()["error"] == "temporarily_unavailable"


async def test_contract_attributes_override_iss_aud_and_exp(admin: Admin, runtime: Runtime, clock: FakeClock) -> None:
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h",
                                 "Issuer Claim Value": "https://as.example", "Audience Claim Value": "https://default",
                                 "Type Header Value": "at+jwt"},
                  symmetric=[("h", "A" * 43)],
                  attributeContract={"extendedAttributes": [{"name": "aud"}, {"name": "exp"}, {"name": "groups",
                                                                                             "multiValued": True}]})
    await admin.mapping("CLIENT_CREDENTIALS", "jwt", {"aud": ("TEXT", "https://api.example"), "exp": ("TEXT", "5"),
                                                      "groups": ("CONTEXT", "OAuthScopes")})
    await admin.scopes(common=("read", "write"))
    await admin.client_app()
    issued = await runtime.access_token(scope="read write")
    claims = _claims(issued["access_token"])
    assert claims["aud"] == "https://api.example" and claims["iss"] == "https://as.example"
    assert claims["exp"] == int(clock.now()) + 300 and issued["expires_in"] == 300
    assert claims["groups"] == ["read", "write"] and claims["scope"] == ["read", "write"]
    assert header(issued["access_token"])["typ"] == "at+jwt"
    introspected = await runtime.introspect(issued["access_token"])
    assert introspected["active"] is True and introspected["scope"] == "read write"

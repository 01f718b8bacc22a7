"""Interop: tokens for every JWS algorithm and every JWE alg/enc pair, issued by the token endpoint,
are verified or decrypted by jwcrypto (an implementation independent of the service's joserfc);
and the service accepts its own tokens at introspection."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jwcrypto import jwk as jc_jwk

from tests.conftest import Admin, Runtime
from tests.jwtkit import (
    CEK_BYTES,
    JWE_ALGS,
    JWE_ENCS,
    JWS_ALGS,
    WRAP_BYTES,
    header,
    jwcrypto_decrypt,
    jwcrypto_verify,
    jwt_atm,
    oct_jwk,
    secret,
)
from tests.keyfiles import generate
from tokensmith.clock import FakeClock

HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
EC_SIZE = {"ES256": 256, "ES384": 384, "ES512": 521}
RECIPIENT_RSA = jc_jwk.JWK.generate(kty="RSA", size=2048, kid="partner-rsa")
RECIPIENT_EC = jc_jwk.JWK.generate(kty="EC", crv="P-256", kid="partner-ec")


async def _signing_fields(admin: Admin, alg: str) -> tuple[dict[str, str], list[tuple[str, str]],
                                                           list[tuple[str, str]], jc_jwk.JWK]:
    if alg.startswith("HS"):
        raw, encoded = secret(HMAC_BYTES[alg])
        return {"JWS Algorithm": alg, "Active Symmetric Key ID": "hk"}, [("hk", encoded)], [], oct_jwk(raw)
    settings: dict[str, Any] = {"keyAlgorithm": "EC", "keySize": EC_SIZE[alg]} if alg.startswith("ES") else {}
    await generate(admin, "signer", **settings)
    pem = (await admin.get("/keyPairs/signing/signer/certificate")).content
    return ({"JWS Algorithm": alg, "Active Signing Certificate Key ID": "ck",
             "Include X.509 Thumbprint Header Parameter": "true"}, [], [("ck", "signer")], jc_jwk.JWK.from_pem(pem))


@pytest.mark.parametrize("alg", JWS_ALGS)
async def test_every_jws_algorithm_verifies_with_jwcrypto(admin: Admin, runtime: Runtime, clock: FakeClock,
                                                          alg: str) -> None:
    fields, symmetric, certificates, verifier = await _signing_fields(admin, alg)
    await jwt_atm(admin, "jwt", {**fields, "Issuer Claim Value": "https://as.example",
                                 "Include Issued At Claim": "true", "Type Header Value": "at+jwt"},
                  symmetric, certificates)
    await admin.client_app()
    issued = await runtime.access_token(scope="", access_token_manager_id="jwt")
    token = issued["access_token"]
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 7200
    head = header(token)
    assert head["alg"] == alg and head["typ"] == "at+jwt"
    assert head["kid"] == ("hk" if alg.startswith("HS") else "ck")
    assert ("x5t" in head) == (not alg.startswith("HS"))
    claims = jwcrypto_verify(token, verifier, alg)
    assert claims["client_id"] == "app" and claims["iss"] == "https://as.example"
    assert claims["iat"] == int(clock.now()) and claims["exp"] == int(clock.now()) + 7200
    assert len(claims["jti"]) == 22
    other_alg = "HS256" if not alg.startswith("HS") else "HS512" if alg != "HS512" else "HS384"
    with pytest.raises(Exception):  # noqa: B017 - jwcrypto signals a refused algorithm in several ways
        jwcrypto_verify(token, verifier, other_alg)
    assert (await runtime.introspect(token))["active"] is True


def _encryption_fields(alg: str, enc: str) -> tuple[dict[str, str], list[tuple[str, str]], jc_jwk.JWK]:
    fields = {"JWE Algorithm": alg, "JWE Content Encryption Algorithm": enc,
              "Include JWE X.509 Thumbprint Header Parameter": "true"}
    if alg == "dir" or alg.startswith("A"):
        size = CEK_BYTES[enc] if alg == "dir" else WRAP_BYTES[alg[:4]]
        raw, encoded = secret(size)
        return {**fields, "Active Symmetric Encryption Key ID": "ek"}, [("ek", encoded)], oct_jwk(raw)
    recipient = RECIPIENT_RSA if alg.startswith("RSA") else RECIPIENT_EC
    return {**fields, "Asymmetric Encryption Key": recipient.export_public()}, [], recipient


@pytest.mark.parametrize("enc", JWE_ENCS)
@pytest.mark.parametrize("alg", JWE_ALGS)
async def test_every_jwe_pair_decrypts_with_jwcrypto(admin: Admin, runtime: Runtime, clock: FakeClock, alg: str,
                                                     enc: str) -> None:
    fields, symmetric, key = _encryption_fields(alg, enc)
    await jwt_atm(admin, "jwt", fields, symmetric)
    await admin.client_app()
    token = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    assert token.count(".") == 4
    head = header(token)
    assert (head["alg"], head["enc"]) == (alg, enc)
    assert head.get("kid") == ("ek" if symmetric else key.get("kid"))
    claims = json.loads(jwcrypto_decrypt(token, key, alg, enc))
    assert claims["client_id"] == "app" and claims["exp"] == int(clock.now()) + 7200
    if symmetric:  # the service can read tokens encrypted with its own keys
        assert (await runtime.introspect(token))["client_id"] == "app"
    else:  # only the recipient holds the private key
        assert (await runtime.introspect(token)) == {"active": False}


@pytest.mark.parametrize(("jws_alg", "jwe_alg", "enc"), [
    ("RS256", "RSA-OAEP-256", "A256GCM"), ("ES256", "ECDH-ES+A128KW", "A128CBC-HS256"),
    ("HS256", "dir", "A256CBC-HS512"), ("PS384", "A256KW", "A192GCM"),
])
async def test_signed_then_encrypted(admin: Admin, runtime: Runtime, jws_alg: str, jwe_alg: str, enc: str) -> None:
    sign_fields, symmetric, certificates, verifier = await _signing_fields(admin, jws_alg)
    enc_fields, enc_symmetric, decrypter = _encryption_fields(jwe_alg, enc)
    await jwt_atm(admin, "jwt", {**sign_fields, **enc_fields}, symmetric + enc_symmetric, certificates)
    await admin.client_app()
    token = (await runtime.access_token(access_token_manager_id="jwt"))["access_token"]
    assert header(token)["cty"] == "JWT"
    inner = jwcrypto_decrypt(token, decrypter, jwe_alg, enc).decode()
    assert header(inner)["alg"] == jws_alg
    assert jwcrypto_verify(inner, verifier, jws_alg)["client_id"] == "app"
    if enc_symmetric:
        assert (await runtime.introspect(token))["active"] is True

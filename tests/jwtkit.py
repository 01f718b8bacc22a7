"""Helpers for JWT access token manager tests: building manager bodies and reading tokens with an
independent JOSE implementation (jwcrypto, not the joserfc the service uses)."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from tests.conftest import Admin

JWT = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"
APP = ("app", "app-secret-0123456789")
JWS_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384",
            "PS512"]
JWE_ALGS = ["dir", "A128KW", "A192KW", "A256KW", "A128GCMKW", "A192GCMKW", "A256GCMKW", "ECDH-ES",
            "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP", "RSA-OAEP-256"]
JWE_ENCS = ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"]
CEK_BYTES = {"A128CBC-HS256": 32, "A192CBC-HS384": 48, "A256CBC-HS512": 64, "A128GCM": 16, "A192GCM": 24,
             "A256GCM": 32}
WRAP_BYTES = {"A128": 16, "A192": 24, "A256": 32}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def secret(nbytes: int) -> tuple[bytes, str]:
    raw = secrets.token_bytes(nbytes)
    return raw, b64u(raw)


def config(fields: dict[str, str], symmetric: list[tuple[str, str]] | None = None,
           certificates: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {
        "fields": [{"name": k, "value": v} for k, v in fields.items()],
        "tables": [
            {"name": "Symmetric Keys", "rows": [
                {"fields": [{"name": "Key ID", "value": kid}, {"name": "Key", "value": key},
                            {"name": "Encoding", "value": "b64u"}]} for kid, key in (symmetric or [])]},
            {"name": "Certificates", "rows": [
                {"fields": [{"name": "Key ID", "value": kid}, {"name": "Certificate", "value": pair}]}
                for kid, pair in (certificates or [])]},
        ],
    }


def body(atm_id: str, fields: dict[str, str], symmetric: list[tuple[str, str]] | None = None,
         certificates: list[tuple[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": atm_id, "name": f"JWT {atm_id}", "pluginDescriptorRef": {"id": JWT},
            "configuration": config(fields, symmetric, certificates), **extra}


async def jwt_atm(admin: Admin, atm_id: str, fields: dict[str, str], symmetric: list[tuple[str, str]] | None = None,
                  certificates: list[tuple[str, str]] | None = None, **extra: Any) -> Any:
    return await admin.ok("POST", "/oauth/accessTokenManagers", body(atm_id, fields, symmetric, certificates,
                                                                      **extra))


def header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


def jwcrypto_verify(token: str, key: jc_jwk.JWK, alg: str) -> dict[str, Any]:
    """Verify a compact JWS with jwcrypto, pinned to ``alg``; returns the claims."""
    verifier = jc_jws.JWS()
    verifier.deserialize(token)
    verifier.verify(key, alg=alg)
    return dict(json.loads(verifier.payload))


def jwcrypto_decrypt(token: str, key: jc_jwk.JWK, alg: str, enc: str) -> bytes:
    decrypter = jc_jwe.JWE()
    decrypter.allowed_algs = [alg, enc]
    decrypter.deserialize(token, key=key)
    return bytes(decrypter.payload)


def oct_jwk(raw: bytes) -> jc_jwk.JWK:
    return jc_jwk.JWK(kty="oct", k=b64u(raw))

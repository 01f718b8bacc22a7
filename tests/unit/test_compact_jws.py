"""The prepared compact JWS signer (atm/jwt/jose.py) gives byte for byte what joserfc's
``serialize_compact`` gives, and a second JOSE library (jwcrypto) verifies its tokens."""

from __future__ import annotations

import json

import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey, RSAKey
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from tokensmith.atm.jwt.jose import CompactJws, JoseKey

PAYLOAD = json.dumps({"iss": "https://issuer.example", "sub": "bench", "scope": "read write", "exp": 1800000300,
                      "name": "Zoë ✓"}, ensure_ascii=False).encode()
KEYS: dict[str, JoseKey] = {"HS256": OctKey.generate_key(256), "HS512": OctKey.generate_key(512),
                            "RS256": RSAKey.generate_key(2048), "RS512": RSAKey.generate_key(2048),
                            "PS256": RSAKey.generate_key(2048), "ES256": ECKey.generate_key("P-256"),
                            "ES384": ECKey.generate_key("P-384"), "ES512": ECKey.generate_key("P-521")}
DETERMINISTIC = ("HS256", "HS512", "RS256", "RS512")


@pytest.mark.parametrize("alg", list(KEYS))
@pytest.mark.parametrize("header_extra", [{}, {"kid": "k-1", "typ": "at+jwt"}, {"x5t": "abc_-"}])
def test_tokens_equal_joserfc_and_verify_with_jwcrypto(alg: str, header_extra: dict[str, str]) -> None:
    key = KEYS[alg]
    header = {"alg": alg, **header_extra}
    token = CompactJws(alg, header, key).sign(PAYLOAD)
    if alg in DETERMINISTIC:
        assert token == jws.serialize_compact(header, PAYLOAD, key, algorithms=[alg])
    public = jwcrypto_jwk.JWK.from_json(json.dumps(key.as_dict(private=alg.startswith("HS"))))
    checked = jwcrypto_jws.JWS()
    checked.deserialize(token)
    checked.verify(public, alg=alg)
    assert checked.payload == PAYLOAD
    assert json.loads(checked.objects["protected"]) == header
    assert jws.deserialize_compact(token, key, algorithms=[alg]).payload == PAYLOAD


def test_a_key_or_header_that_does_not_fit_is_refused_when_prepared() -> None:
    with pytest.raises(JoseError):
        CompactJws("RS256", {"alg": "RS256"}, KEYS["ES256"])
    with pytest.raises(ValueError):
        CompactJws("none", {"alg": "none"}, KEYS["HS256"])
    with pytest.raises(ValueError):
        CompactJws("RS256", {"alg": "HS256"}, KEYS["RS256"])
    with pytest.raises(ValueError):
        CompactJws("RS256", {"alg": "RS256", "b64": False}, KEYS["RS256"])  # type: ignore[dict-item]


def test_a_key_whose_key_ops_exclude_signing_is_refused_when_prepared() -> None:
    """joserfc's own key-operation check runs once, when the signer is prepared, not per token."""
    verify_only = RSAKey.import_key({**KEYS["RS256"].as_dict(private=True), "key_ops": ["verify"]})
    with pytest.raises(JoseError):
        CompactJws("RS256", {"alg": "RS256"}, verify_only)
    signing = RSAKey.import_key({**KEYS["RS256"].as_dict(private=True), "key_ops": ["sign"]})
    token = CompactJws("RS256", {"alg": "RS256"}, signing).sign(PAYLOAD)
    assert token == jws.serialize_compact({"alg": "RS256"}, PAYLOAD, signing, algorithms=["RS256"])

"""The runtime key ring: each key pair is loaded once per worker and kept across snapshot rebuilds;
deletes ask the registered users first."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from joserfc import jws as joserfc_jws
from jwcrypto import jwk, jws

from tests.conftest import Admin
from tests.keyfiles import generate
from tokensmith.admin import keypairs
from tokensmith.assembly.snapshot import build
from tokensmith.config.model import ConfigModel
from tokensmith.crypto.masterkey import MasterKey
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.errors import FieldError, ValidationFailed
from tokensmith.keys.ring import KeyLoader, UnknownKeyPair
from tokensmith.keys.usage import KeyPairUsage, in_use
from tokensmith.node import Node


async def test_keys_load_once_and_survive_unrelated_rebuilds(admin: Admin, node: Node) -> None:
    await generate(admin, "rsa1")
    await generate(admin, "ec1", keyAlgorithm="EC")
    first = node.snapshot()
    assert node.keys.loads == 2
    rsa1 = first.keys.signing_key("rsa1")
    assert (rsa1.key_type, rsa1.key_size, rsa1.curve) == ("RSA", 2048, None)
    assert first.keys.signing_key("ec1").curve == "P-256"

    await admin.client_app()  # an unrelated admin write: a new snapshot, the same key objects
    second = node.snapshot()
    assert second is not first
    assert second.keys.signing_key("rsa1") is rsa1
    assert node.keys.loads == 2

    node.generation.bump()  # as if another worker changed the configuration
    third = node.snapshot()
    assert third is not second and third.keys.signing_key("rsa1") is rsa1
    assert node.keys.loads == 2

    await admin.ok("DELETE", "/keyPairs/signing/rsa1")
    assert "rsa1" not in node.snapshot().keys
    with pytest.raises(UnknownKeyPair):
        node.snapshot().keys.signing_key("rsa1")
    assert node.snapshot().keys.signing_key("ec1") is first.keys.signing_key("ec1")


async def test_public_jwk_and_x5t_verify_with_an_independent_library(admin: Admin, node: Node) -> None:
    for key_id, settings in (("r", {}), ("e", {"keyAlgorithm": "EC", "keySize": 384})):
        view = await generate(admin, key_id, **settings)
        key = node.snapshot().keys.signing_key(key_id)
        alg = "RS256" if key.key_type == "RSA" else "ES384"
        public = key.public_jwk(kid="k-" + key_id, alg=alg)
        assert "d" not in public and public["kid"] == "k-" + key_id and public["use"] == "sig"
        assert public["x5t"] == key.x5t
        assert node.snapshot().keys.by_x5t(key.x5t) is key
        # x5t is the base64url SHA-1 of the certificate, the fingerprint the admin API shows in hex
        assert base64.urlsafe_b64decode(key.x5t + "=").hex().upper() == view["sha1Fingerprint"]
        token = joserfc_jws.serialize_compact({"alg": alg, "kid": "k-" + key_id}, b"hello", key.jose_key,
                                              algorithms=[alg])
        verifier = jws.JWS()
        verifier.deserialize(token)
        verifier.verify(jwk.JWK(**public), alg=alg)
        assert verifier.payload == b"hello"
        assert json.loads(jwk.JWK(**public).export_public())["kty"] == key.key_type


async def test_key_pair_from_another_master_key_is_reported_not_fatal(admin: Admin, node: Node) -> None:
    await generate(admin, "mine", keyAlgorithm="EC")
    other = KeyLoader(SecretBox(MasterKey.from_bytes(b"\x01" * 32)))
    ring = other.ring(node.model())
    assert "mine" not in ring
    with pytest.raises(UnknownKeyPair, match="master key"):
        ring.signing_key("mine")


async def test_delete_names_every_registered_user(admin: Admin, node: Node) -> None:
    await generate(admin, "busy", keyAlgorithm="EC")

    def generator_check(model: ConfigModel, key_pair_id: str) -> list[FieldError]:
        return [in_use(f"Token generator 'saml' signs with key pair '{key_pair_id}'")]

    def unrelated(model: ConfigModel, key_pair_id: str) -> list[FieldError]:
        return []

    usage = KeyPairUsage([generator_check, unrelated])
    with pytest.raises(ValueError, match="twice"):
        usage.register(unrelated)
    with pytest.raises(ValidationFailed) as refused:
        node.change(lambda model: keypairs.delete(model, "busy", usage))
    assert refused.value.status_code == 422
    assert [e.message for e in refused.value.errors] == ["Token generator 'saml' signs with key pair 'busy'"]
    assert refused.value.errors[0].error_id == "resource_in_use"
    assert "busy" in node.snapshot().keys
    node.change(lambda model: keypairs.delete(model, "busy", KeyPairUsage([unrelated])))
    assert "busy" not in node.snapshot().keys


def test_empty_ring_without_a_loader() -> None:
    snapshot = build(ConfigModel())
    assert len(snapshot.keys) == 0
    assert replace(snapshot).keys is snapshot.keys

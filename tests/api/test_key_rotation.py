"""Signing key pair rotation: ``/keyPairs/signing/{id}/rotationSettings`` and the rotation itself,
driven by moving the node's fake clock: the successor is created ``creationBufferDays`` before the
certificate expires and activated for every consumer ``activationBufferDays`` before it."""

from __future__ import annotations

from datetime import datetime

from jwcrypto import jwk as jc_jwk

from tests.conftest import Admin, Runtime
from tests.jwtkit import header, jwcrypto_verify, jwt_atm
from tests.keyfiles import generate
from tests.stskit import generator
from tokensmith.clock import FakeClock
from tokensmith.node import Node

DAY = 86_400.0
ROTATION = "/keyPairs/signing/signer/rotationSettings"


def _expires(view: dict[str, str]) -> float:
    return datetime.fromisoformat(view["expires"].replace("Z", "+00:00")).timestamp()


async def test_settings_are_created_read_replaced_and_deleted(admin: Admin) -> None:
    await generate(admin, "signer", validDays=90)
    assert (await admin.get(ROTATION)).status_code == 404
    created = await admin.ok("PUT", ROTATION, {"id": "signer", "creationBufferDays": 30, "activationBufferDays": 10})
    # Unset members come back as what the next key pair will get: the original's.
    assert created == {"id": "signer", "creationBufferDays": 30, "activationBufferDays": 10, "validDays": 90,
                       "keyAlgorithm": "RSA", "keySize": 2048, "signatureAlgorithm": "SHA256withRSA"}
    assert await admin.ok("GET", ROTATION) == created
    assert (await admin.ok("GET", "/keyPairs/signing/signer"))["rotationSettings"] == created
    replaced = await admin.ok("PUT", ROTATION, {"creationBufferDays": 20, "activationBufferDays": 20,
                                                "keyAlgorithm": "EC", "keySize": 384, "validDays": 365})
    assert replaced["signatureAlgorithm"] == "SHA384withECDSA" and replaced["keySize"] == 384
    assert (await admin.request("DELETE", ROTATION)).status_code == 204
    assert (await admin.get(ROTATION)).status_code == 404
    assert "rotationSettings" not in await admin.ok("GET", "/keyPairs/signing/signer")
    assert (await admin.request("DELETE", ROTATION)).status_code == 404


async def test_bad_settings_are_refused(admin: Admin) -> None:
    await generate(admin, "signer", validDays=90)
    cases = [
        ({"creationBufferDays": 5, "activationBufferDays": 10}, "activationBufferDays"),
        ({"creationBufferDays": 0, "activationBufferDays": 0}, "creationBufferDays"),
        ({"creationBufferDays": "30", "activationBufferDays": 10}, "creationBufferDays"),
        ({"activationBufferDays": 10}, "creationBufferDays"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "keySize": 1000}, "keySize"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "keyAlgorithm": "DSA"}, "keyAlgorithm"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "keyAlgorithm": "EC", "keySize": 2048}, "keySize"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "signatureAlgorithm": "SHA256withECDSA"},
         "signatureAlgorithm"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "validDays": 20}, "validDays"),
        ({"creationBufferDays": 30, "activationBufferDays": 10, "id": "other"}, "id"),
    ]
    for body, field in cases:
        response = await admin.put(ROTATION, body)
        assert response.status_code == 422, body
        assert field in [e["fieldPath"] for e in response.json()["validationErrors"]], body
    assert (await admin.get(ROTATION)).status_code == 404
    missing = await admin.put("/keyPairs/signing/nope/rotationSettings",
                              {"creationBufferDays": 30, "activationBufferDays": 10})
    assert missing.status_code == 404


async def test_rotation_creates_then_activates_for_every_consumer(admin: Admin, runtime: Runtime, node: Node,
                                                                  clock: FakeClock) -> None:
    original = await generate(admin, "signer", validDays=60, subjectAlternativeNames=["sts.example.com"])
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1"},
                  certificates=[("k1", "signer")])
    await generator(admin, "saml2gen", key_pair="signer")
    await admin.client_app()
    await admin.ok("PUT", ROTATION, {"creationBufferDays": 20, "activationBufferDays": 7})
    expires = _expires(original)

    node.run_maintenance()  # nothing is due yet
    assert [k["id"] for k in (await admin.ok("GET", "/keyPairs/signing"))["items"]] == ["signer"]

    clock.set(expires - 20 * DAY + 60)  # inside the creation buffer
    node.run_maintenance()
    node.run_maintenance()  # a second pass (another worker) creates nothing more
    pairs = (await admin.ok("GET", "/keyPairs/signing"))["items"]
    assert len(pairs) == 2
    successor = next(p for p in pairs if p["id"] != "signer")
    assert successor["subjectDN"] == original["subjectDN"]
    assert successor["subjectAlternativeNames"] == ["sts.example.com"]
    assert successor["keyAlgorithm"] == "RSA" and successor["keySize"] == 2048
    assert _expires(successor) - (expires - 20 * DAY) > 59 * DAY  # validDays of the original: 60
    # Created, not yet active: the consumers still use the original.
    jwt = await admin.ok("GET", "/oauth/accessTokenManagers/jwt")
    rows = jwt["configuration"]["tables"][1]["rows"]
    assert rows[0]["fields"][1]["value"] == "signer"
    token = (await runtime.access_token())["access_token"]
    assert header(token)["kid"] == "k1"

    clock.set(expires - 7 * DAY + 60)  # inside the activation buffer
    node.run_maintenance()
    jwt = await admin.ok("GET", "/oauth/accessTokenManagers/jwt")
    cells = {f["name"]: f["value"] for f in jwt["configuration"]["tables"][1]["rows"][0]["fields"]}
    assert cells == {"Key ID": "k1", "Certificate": successor["id"]}
    gen = await admin.ok("GET", "/sp/tokenGenerators/saml2gen")
    assert {f["name"]: f["value"] for f in gen["configuration"]["fields"]}["Signing Certificate"] == successor["id"]
    # The successor carries the rotation on; the original keeps existing for what it signed.
    assert (await admin.get(ROTATION)).status_code == 404
    moved = await admin.ok("GET", f"/keyPairs/signing/{successor['id']}/rotationSettings")
    assert moved["creationBufferDays"] == 20 and moved["activationBufferDays"] == 7
    assert (await admin.get("/keyPairs/signing/signer")).status_code == 200
    # Tokens are now signed by the new key, under the same key id.
    token = (await runtime.access_token())["access_token"]
    assert header(token)["kid"] == "k1"
    pem = (await admin.get(f"/keyPairs/signing/{successor['id']}/certificate")).content
    jwcrypto_verify(token, jc_jwk.JWK.from_pem(pem), "RS256")
    old_pem = (await admin.get("/keyPairs/signing/signer/certificate")).content
    try:
        jwcrypto_verify(token, jc_jwk.JWK.from_pem(old_pem), "RS256")
        raise AssertionError("the token verified with the retired key")
    except Exception as exc:  # jwcrypto raises InvalidJWSSignature
        assert "AssertionError" not in type(exc).__name__

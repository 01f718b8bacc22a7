"""Runtime: key publication (/pf/JWKS, /ext/<path>, the x509 URLs) and centralized key rotation as a
resource server that knows only the JWKS URL sees it."""

from __future__ import annotations

import json
from typing import Any

from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from tests.conftest import RUNTIME_BASE, Admin, Runtime
from tests.jwtkit import header, jwt_atm
from tests.keyfiles import generate
from tokensmith.clock import FakeClock
from tokensmith.keys.central import SHARED_NAME
from tokensmith.node import Node


async def _get(runtime: Runtime, path: str) -> Any:
    return await runtime.client.get(RUNTIME_BASE + path)


class ResourceServer:
    """Validates JWTs locally, knowing only a JWKS URL: caches the set, fetches again on an unknown kid."""

    def __init__(self, runtime: Runtime, path: str) -> None:
        self.runtime, self.path = runtime, path
        self.keys: jc_jwk.JWKSet | None = None
        self.fetches = 0

    async def refresh(self) -> None:
        response = await _get(self.runtime, self.path)
        assert response.status_code == 200
        self.keys = jc_jwk.JWKSet.from_json(response.text)
        self.fetches += 1

    async def validate(self, token: str) -> dict[str, Any]:
        kid = header(token)["kid"]
        if self.keys is None or self.keys.get_key(kid) is None:
            await self.refresh()
        assert self.keys is not None
        key = self.keys.get_key(kid)
        assert key is not None, f"kid {kid} is not published"
        verifier = jc_jws.JWS()
        verifier.deserialize(token)
        verifier.verify(key, alg=key.get("alg"))
        return dict(json.loads(verifier.payload))


async def test_ext_jwks_and_x509_urls(admin: Admin, runtime: Runtime) -> None:
    await generate(admin, "old")
    await generate(admin, "new")
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k2",
                                 "JWKS Endpoint Path": "/jwt/jwks", "JWKS Endpoint Cache Duration": "5",
                                 "Publish Key ID X.509 URL": "true"},
                  certificates=[("k1", "old"), ("k2", "new")])
    await admin.client_app()
    response = await _get(runtime, "/ext/jwt/jwks")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=300"
    keys = response.json()["keys"]
    assert [k["kid"] for k in keys] == ["k1", "k2"]  # the key that no longer signs stays published
    assert all(k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k and k["x5c"] for k in keys)

    server = ResourceServer(runtime, "/ext/jwt/jwks")
    token = (await runtime.access_token())["access_token"]
    assert (await server.validate(token))["client_id"] == "app"

    pem = (await admin.get("/keyPairs/signing/new/certificate")).content
    by_kid = await _get(runtime, "/ext/oauth/x509/kid?v=k2")
    assert by_kid.status_code == 200 and by_kid.content == pem
    x5t = keys[1]["x5t"]
    assert (await _get(runtime, f"/ext/oauth/x509/x5t?v={x5t}")).status_code == 404  # not enabled
    assert (await _get(runtime, "/ext/oauth/x509/kid?v=nope")).status_code == 404
    assert (await _get(runtime, "/ext/other/path")).status_code == 404
    assert (await runtime.client.post(RUNTIME_BASE + "/ext/jwt/jwks")).status_code == 405
    # /pf/JWKS carries the manager's keys only when it asks for it
    pf = (await _get(runtime, "/pf/JWKS")).json()["keys"]
    assert not {"k1", "k2"} & {k["kid"] for k in pf}
    assert {k["alg"] for k in pf} == {"RS256", "ES256", "ES384", "ES512"}


async def test_publish_to_pf_jwks_and_no_symmetric_keys(admin: Admin, runtime: Runtime) -> None:
    await generate(admin, "ec", keyAlgorithm="EC")
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "ec1",
                                 "Publish Keys to the PingFederate JWKS Endpoint": "true",
                                 "Publish Thumbprint X.509 URL": "true", "JWKS Endpoint Path": "/jwks"},
                  certificates=[("ec1", "ec")], symmetric=[("sym", "A" * 43)])
    pf = (await _get(runtime, "/pf/JWKS")).json()["keys"]
    mine = [k for k in pf if k["kid"] == "ec1"]
    assert len(mine) == 1 and mine[0]["crv"] == "P-256" and mine[0]["alg"] == "ES256"
    assert all(k["kty"] != "oct" for k in pf)
    assert [k["kid"] for k in (await _get(runtime, "/ext/jwks")).json()["keys"]] == ["ec1"]
    cert = await _get(runtime, f"/ext/oauth/x509/x5t?v={mine[0]['x5t']}")
    assert cert.status_code == 200 and cert.content.startswith(b"-----BEGIN CERTIFICATE-----")


async def test_resource_server_keeps_validating_across_rotations(admin: Admin, runtime: Runtime, node: Node,
                                                                 clock: FakeClock) -> None:
    for alg in ("RS256", "ES256"):
        await jwt_atm(admin, alg.lower(), {"JWS Algorithm": alg, "Use Centralized Signing Key": "true"})
    await admin.client_app()
    server = ResourceServer(runtime, "/pf/JWKS")
    period = node.settings.key_rotation_period
    seen: dict[str, list[str]] = {"RS256": [], "ES256": []}

    async def issue() -> list[str]:
        return [(await runtime.access_token(access_token_manager_id=alg.lower()))["access_token"]
                for alg in ("RS256", "ES256")]

    assert (await _get(runtime, "/pf/JWKS")).status_code == 200  # the key sets exist from now on
    for _ in range(4):
        clock.advance(period - 3600)  # an hour before the next rotation
        before = await issue()
        for alg, token in zip(("RS256", "ES256"), before, strict=True):
            assert header(token)["alg"] == alg
            seen[alg].append(header(token)["kid"])
            assert (await server.validate(token))["client_id"] == "app"
        await server.refresh()  # its cached copy is older than the max-age: it fetches the set again
        fetches = server.fetches
        clock.advance(3600)  # the pending key becomes active; the active one retires
        after = await issue()
        for alg, token in zip(("RS256", "ES256"), after, strict=True):
            assert header(token)["kid"] != seen[alg][-1]
        # the new key was published before it signed (no new fetch), and tokens signed an hour ago
        # with the key that just retired still validate, locally and at introspection
        for token in [*after, *before]:
            assert (await server.validate(token))["client_id"] == "app"
            assert (await runtime.introspect(token))["active"] is True
        assert server.fetches == fetches
    assert len(set(seen["RS256"])) == 4 and len(set(seen["ES256"])) == 4
    # retired keys are dropped once they are old enough
    clock.advance(3 * period)
    await runtime.access_token(access_token_manager_id="rs256")
    kids = {k["kid"] for k in (await _get(runtime, "/pf/JWKS")).json()["keys"]}
    assert seen["RS256"][0] not in kids


async def test_workers_and_restarts_agree_on_the_active_key(admin: Admin, runtime: Runtime, node: Node,
                                                            clock: FakeClock) -> None:
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "ES384", "Use Centralized Signing Key": "true"})
    await admin.client_app()
    first = header((await runtime.access_token())["access_token"])["kid"]
    other = Node(node.settings, clock=clock)  # another worker of the same node
    try:
        keys = await other.central_keys.current(clock.now())
        active = keys.signing("ES384", clock.now())
        assert active is not None and active.kid == first
        clock.advance(node.settings.key_rotation_period)
        switched = (await other.central_keys.current(clock.now())).signing("ES384", clock.now())
        assert switched is not None and switched.kid != first
        assert header((await runtime.access_token())["access_token"])["kid"] == switched.kid
    finally:
        await other.stop()
    shared = await node.state.get_shared(SHARED_NAME)
    assert shared is not None and b"BEGIN" not in shared.value and b'"private":"OBF:JWE:' in shared.value

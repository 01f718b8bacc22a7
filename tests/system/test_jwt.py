"""JWT access tokens on real server processes: both workers sign with the same centralized key and
see each other's revocations, and a restart keeps the keys."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from tests.system.server import APP, ServerFactory, client_body, connect, connections_per_worker

pytestmark = pytest.mark.system
JWT = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"


def _kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def _configure(admin: Any) -> None:
    fields = {"JWS Algorithm": "ES256", "Use Centralized Signing Key": "true", "Enable Token Revocation": "true"}
    created = admin.post("/oauth/accessTokenManagers", json={
        "id": "jwt", "name": "JWT", "pluginDescriptorRef": {"id": JWT},
        "configuration": {"fields": [{"name": k, "value": v} for k, v in fields.items()]}})
    assert created.status_code == 201, created.text
    assert admin.post("/oauth/clients", json=client_body(*APP)).status_code == 201


def _verify(jwks: dict[str, Any], token: str) -> dict[str, Any]:
    keys = jc_jwk.JWKSet.from_json(json.dumps(jwks))
    key = keys.get_key(_kid(token))
    assert key is not None
    verifier = jc_jws.JWS()
    verifier.deserialize(token)
    verifier.verify(key, alg="ES256")
    return dict(json.loads(verifier.payload))


def test_workers_and_restarts_agree_on_the_centralized_key(start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, workers=2)
    first.wait_workers()
    with first.admin() as admin:
        _configure(admin)
    with connections_per_worker(first) as conns:
        w0, w1 = conns["0"], conns["1"]
        t0, t1 = w0.token()["access_token"], w1.token()["access_token"]
        assert _kid(t0) == _kid(t1)
        jwks = w1.client.get("/pf/JWKS").json()
        assert _verify(jwks, t0)["client_id"] == "app"
        w0.revoke(t1)
        assert w1.introspect(t1) == {"active": False}
        assert w1.introspect(t0)["active"] is True
    assert first.stop() == 0, first.output()

    second = start_server(data, password=first.password)
    with connect(second) as conn:
        again = conn.token()["access_token"]
        assert _kid(again) == _kid(t0)
        assert conn.introspect(t0)["active"] is True
        assert conn.introspect(t1) == {"active": False}
        assert _verify(conn.client.get("/pf/JWKS").json(), again)["client_id"] == "app"

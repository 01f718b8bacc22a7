"""Stopping and starting again on the same data directory keeps tokens, revocations and configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.server import HEARTBEAT, ServerFactory, configure, connect

pytestmark = pytest.mark.system


def test_restart_keeps_tokens_revocations_and_configuration(start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, workers=2)
    with first.admin() as admin:
        configure(admin)
    with connect(first) as conn:
        live = conn.token(scope="read")["access_token"]
        revoked = conn.token(scope="write")["access_token"]
        conn.revoke(revoked)
        assert conn.introspect(revoked) == {"active": False}
        assert conn.introspect(live)["active"] is True
    assert first.stop() == 0, first.output()

    second = start_server(data, password=first.password)
    with connect(second) as conn:
        info = conn.introspect(live)
        assert (info["active"], info["scope"], info["client_id"], info["cid"]) == (True, "read", "app", "app"), info
        assert conn.introspect(revoked) == {"active": False}
        assert len(conn.token()["access_token"]) == 40
    with second.admin() as admin:
        client = admin.get("/oauth/clients/app")
        assert client.status_code == 200, client.text
        assert client.json()["clientId"] == "app"
        atm = admin.get("/oauth/accessTokenManagers/ref")
        assert atm.status_code == 200, atm.text
        fields = {f["name"]: f["value"] for f in atm.json()["configuration"]["fields"]}
        assert fields["Token Length"] == "40"
    assert second.stop() == 0, second.output()


def test_restart_on_the_same_ports_right_after_serving_a_client(start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    with first.client() as http:
        assert http.get(HEARTBEAT).status_code == 200
        # Stop while the client still holds its keep-alive connection: the server closes it first.
        assert first.stop() == 0, first.output()
    second = start_server(data, port=first.port, admin_port=first.admin_port, password=first.password)
    with second.client() as http:
        assert http.get(HEARTBEAT).status_code == 200

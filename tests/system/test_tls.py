"""HTTPS on both listeners with ``--cert``/``--key``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.system.server import HEARTBEAT, HOST, ServerFactory, configure, connect

pytestmark = pytest.mark.system


def test_https_on_runtime_and_admin_ports(start_server: ServerFactory, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    server = start_server(cert=cert, key=key)
    assert server.runtime_url.startswith("https://")

    with server.client() as http:
        heartbeat = http.get(HEARTBEAT)
    assert (heartbeat.status_code, heartbeat.text) == (200, "OK")
    assert heartbeat.url.scheme == "https"

    with server.admin() as admin:
        version = admin.get("/version")
        assert version.status_code == 200, version.text
        assert version.url.scheme == "https"
        configure(admin)
    with connect(server) as conn:
        token = conn.token(scope="read")["access_token"]
        assert conn.introspect(token)["active"] is True

    # The certificate is really the one served: a client that does not trust it refuses both ports.
    for port in (server.port, server.admin_port):
        with httpx.Client(timeout=10.0) as untrusting, pytest.raises(httpx.ConnectError):
            untrusting.get(f"https://{HOST}:{port}/")
    # Plain HTTP is not answered on the TLS ports.
    for port in (server.port, server.admin_port):
        with httpx.Client(timeout=10.0) as plain, pytest.raises(httpx.TransportError):
            plain.get(f"http://{HOST}:{port}{HEARTBEAT}")

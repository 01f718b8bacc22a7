"""Bad process settings: ``serve`` refuses to start, exits with code 2 and says why on stderr."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.system.server import HOST, ServerFactory, free_ports, poll

pytestmark = pytest.mark.system


def test_cert_without_key(start_server: ServerFactory, tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    cert, _key = tls_files
    data = tmp_path / "data"
    server = start_server.run_to_exit(data, cert=cert)
    assert server.exit_code == 2, server.output()
    assert "--cert and --key" in server.stderr(), server.output()
    assert not data.exists(), "a refused start must not create the data directory"


@pytest.mark.parametrize("busy", ["port", "admin_port"])
def test_port_already_in_use(start_server: ServerFactory, busy: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as occupant:
        occupant.bind((HOST, 0))
        occupant.listen()
        taken = int(occupant.getsockname()[1])
        (free,) = free_ports(1)
        ports = {"port": taken, "admin_port": free} if busy == "port" else {"port": free, "admin_port": taken}
        server = start_server.run_to_exit(**ports)
    assert server.exit_code == 2, server.output()
    assert "already in use" in server.stderr(), server.output()
    assert f"{HOST}:{taken}" in server.stderr(), server.output()


def test_zero_workers(start_server: ServerFactory) -> None:
    server = start_server.run_to_exit(workers=0)
    assert server.exit_code == 2, server.output()
    assert "--workers" in server.stderr(), server.output()


def test_short_admin_password_from_the_environment(start_server: ServerFactory) -> None:
    server = start_server.run_to_exit(env_password="too-short")
    assert server.exit_code == 2, server.output()
    assert "at least 12 characters" in server.stderr(), server.output()


def test_same_port_for_runtime_and_admin(start_server: ServerFactory) -> None:
    (port,) = free_ports(1)
    server = start_server.run_to_exit(port=port, admin_port=port)
    assert server.exit_code == 2, server.output()
    assert "must differ" in server.stderr(), server.output()


def test_missing_certificate_file(start_server: ServerFactory, tmp_path: Path) -> None:
    server = start_server.run_to_exit(cert=tmp_path / "missing-cert.pem", key=tmp_path / "missing-key.pem")
    assert server.exit_code == 2, server.output()
    assert "no such file" in server.stderr(), server.output()


def test_unreadable_certificate_is_a_bad_setting(start_server: ServerFactory, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("this is not a certificate\n")
    key.write_text("this is not a key\n")
    server = start_server(cert=cert, key=key, ready=False)
    # Either it refuses to start (expected) or the supervisor reports restarting a crashed worker.
    poll(lambda: server.process.poll() is not None or "restarting" in server.stderr(), 60.0,
         lambda: f"the server to exit or restart a worker\n{server.output()}")
    assert server.process.poll() == 2, server.output()
    assert "cert" in server.stderr().lower(), server.output()

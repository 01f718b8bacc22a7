"""Operator commands a new user needs in the first hour: ``admin set-password``, ``doctor``, and a
second node refused on a data directory that is in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.server import ADMIN_USER, HOST, ServerFactory, child_env, cli

pytestmark = pytest.mark.system

PASSWORD = "first-password-0123"
NEW_PASSWORD = "second-password-4567"


def _status(server_admin_url: str, password: str) -> tuple[int, str]:
    import httpx

    with httpx.Client(base_url=server_admin_url, auth=(ADMIN_USER, password), timeout=10.0,
                      headers={"X-XSRF-Header": "PingFederate"}) as admin:
        response = admin.get("/version")
    return response.status_code, response.json().get("message", "")


def test_set_password_changes_the_password_of_a_running_node(start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, env_password=PASSWORD)
    assert _status(server.admin_url, PASSWORD)[0] == 200

    changed = cli("admin", "set-password", "--data-dir", str(data), env=child_env(NEW_PASSWORD))
    assert changed.returncode == 0, changed.stderr
    assert "no longer works" in changed.stdout

    status, message = _status(server.admin_url, PASSWORD)
    assert status == 401
    assert "password is wrong" in message and "set-password" in message
    assert _status(server.admin_url, NEW_PASSWORD)[0] == 200

    via_stdin = subprocess.run([sys.executable, "-m", "tokensmith", "admin", "set-password", "--data-dir", str(data),
                                "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
                               env=child_env(), timeout=60, check=False)
    assert via_stdin.returncode == 0, via_stdin.stderr
    assert _status(server.admin_url, PASSWORD)[0] == 200


def test_set_password_refuses_short_passwords_unknown_accounts_and_empty_directories(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli("init", "--data-dir", str(data), env=child_env(PASSWORD)).returncode == 0

    short = cli("admin", "set-password", "--data-dir", str(data), env=child_env("short"))
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr and "nothing was changed" in short.stderr

    unknown = cli("admin", "set-password", "--data-dir", str(data), "--username", "nobody",
                  env=child_env(NEW_PASSWORD))
    assert unknown.returncode == 2
    assert "no administrator 'nobody'" in unknown.stderr

    empty = cli("admin", "set-password", "--data-dir", str(tmp_path / "elsewhere"), env=child_env(NEW_PASSWORD))
    assert empty.returncode == 2
    assert "holds no configuration" in empty.stderr

    no_source = subprocess.run([sys.executable, "-m", "tokensmith", "admin", "set-password", "--data-dir", str(data)],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, env=child_env(),
                               timeout=60, check=False)
    assert no_source.returncode == 2
    assert "--password-stdin" in no_source.stderr


def test_doctor_passes_a_healthy_directory_and_names_each_problem_with_its_fix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli("init", "--data-dir", str(data), env=child_env(PASSWORD)).returncode == 0
    with socket.socket() as a, socket.socket() as b:
        a.bind((HOST, 0))
        b.bind((HOST, 0))
        port, admin_port = a.getsockname()[1], b.getsockname()[1]
    ports = ("--port", str(port), "--admin-port", str(admin_port))

    healthy = cli("doctor", "--data-dir", str(data), *ports)
    assert healthy.returncode == 0, healthy.stdout
    assert "FAIL" not in healthy.stdout
    assert "matches config.db" in healthy.stdout
    assert "0 problem(s)" in healthy.stdout

    os.chmod(data / "master.key", 0o644)
    (data / "master.key").write_bytes(os.urandom(32))  # a key from another server
    with socket.socket() as holder:
        holder.bind((HOST, port))
        holder.listen()
        sick = cli("doctor", "--data-dir", str(data), *ports)
    assert sick.returncode == 1
    out = sick.stdout
    assert f"fix: chmod 600 {data / 'master.key'}" in out
    assert "was written with" in out and "put back the master.key" in out
    assert f"{HOST}:{port} is in use by another program" in out
    assert "3 problem(s)" in out

    missing = cli("doctor", "--data-dir", str(tmp_path / "nowhere"), *ports)
    assert missing.returncode == 1
    assert "does not exist" in missing.stdout and "tokensmith init" in missing.stdout


def test_a_second_node_on_a_data_directory_in_use_refuses_to_start(start_server: ServerFactory,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, env_password=PASSWORD)
    second = start_server.run_to_exit(data, env_password=PASSWORD)
    assert second.exit_code == 2 or second.process.returncode == 2, second.output()
    assert f"data directory {data} is in use by tokensmith pid {first.process.pid}" in second.stderr()
    assert "--data-dir" in second.stderr()
    assert first.heartbeat() is not None and first.heartbeat().status_code == 200  # type: ignore[union-attr]

    doctor = cli("doctor", "--data-dir", str(data), "--port", str(first.port), "--admin-port", str(first.admin_port))
    assert "a node is running on this directory: tokensmith pid" in doctor.stdout
    assert doctor.returncode == 0, doctor.stdout


def test_import_from_a_server_with_another_master_key_says_what_to_do(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    for data in (source, target):
        assert cli("init", "--data-dir", str(data), env=child_env(PASSWORD)).returncode == 0
    document = tmp_path / "clients.json"
    document.write_text('{"operations":[{"resourceType":"/oauth/clients","operationType":"SAVE","items":['
                        '{"clientId":"c1","name":"c1","grantTypes":["CLIENT_CREDENTIALS"],'
                        '"clientAuth":{"type":"SECRET","secret":"abcdefghijklmnop12"}}]}]}')
    assert cli("import", "--data-dir", str(source), str(document)).returncode == 0
    exported = tmp_path / "export.json"
    assert cli("export", "--data-dir", str(source), "-o", str(exported)).returncode == 0

    refused = cli("import", "--data-dir", str(target), str(exported))
    assert refused.returncode == 1
    assert "nothing was imported" in refused.stderr
    assert "another master key" in refused.stderr and "--new-client-secrets" in refused.stderr

    accepted = cli("import", "--data-dir", str(target), "--new-client-secrets", str(exported))
    assert accepted.returncode == 0, accepted.stderr
    assert "new secret for client 'c1'" in accepted.stdout

"""First start: the administrator account, its password, admin API protection, file permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from tests.system.server import ADMIN_USER, PASSWORD_LINE, ServerFactory, child_env, cli

pytestmark = pytest.mark.system


def assert_owner_only(data_dir: Path) -> None:
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700, oct(data_dir.stat().st_mode)
    files = sorted(data_dir.rglob("*"))
    assert {p.name for p in files} >= {"config.db", "tokens.db", "master.key", "config.gen"}, files
    for path in files:
        assert path.is_file(), f"unexpected non-file {path}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} has mode {oct(path.stat().st_mode)}"


def test_first_start_prints_the_password_once_and_the_admin_api_is_protected(
        start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    assert len(PASSWORD_LINE.findall(first.stdout())) == 1, first.output()
    password = first.printed_password()
    assert password is not None
    assert password not in first.stderr()
    assert len(password) >= 12

    with first.admin() as admin:
        version = admin.get("/version")
        assert version.status_code == 200, version.text
        assert version.json()["version"]

    with first.admin(password=password + "-wrong") as wrong:
        rejected = wrong.get("/version")
    assert rejected.status_code == 401
    assert rejected.headers["content-type"].startswith("application/json")
    assert rejected.json()["resultId"]
    assert rejected.headers["www-authenticate"].lower().startswith("basic")

    with httpx.Client(base_url=first.admin_url, timeout=10.0) as anonymous:
        assert anonymous.get("/version").status_code == 401
        no_xsrf = anonymous.get("/version", auth=(ADMIN_USER, password))
    assert no_xsrf.status_code == 403, no_xsrf.text
    assert no_xsrf.json()["resultId"]

    assert_owner_only(data)
    assert first.stop() == 0

    second = start_server(data, password=password)
    assert PASSWORD_LINE.search(second.stdout()) is None, second.output()
    assert password not in second.stdout() + second.stderr()
    with second.admin() as admin:
        assert admin.get("/version").status_code == 200
    assert_owner_only(data)


def test_admin_password_from_the_environment(start_server: ServerFactory) -> None:
    chosen = "chosen-admin-password-42"
    server = start_server(env_password=chosen)
    assert PASSWORD_LINE.search(server.stdout()) is None, server.output()
    assert chosen not in server.stdout() + server.stderr()
    with server.admin(password=chosen) as admin:
        assert admin.get("/version").status_code == 200
    with server.admin(password="some-other-password") as other:
        assert other.get("/version").status_code == 401


def test_init_creates_the_account_that_serve_then_uses(start_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = cli("init", "--data-dir", str(data), env=child_env())
    assert result.returncode == 0, result.stderr
    match = PASSWORD_LINE.search(result.stdout)
    assert match is not None, result.stdout
    assert {"config.db", "tokens.db", "master.key"} <= {p.name for p in data.iterdir()}

    server = start_server(data, password=match.group(1))
    assert PASSWORD_LINE.search(server.stdout()) is None, server.output()
    with server.admin() as admin:
        assert admin.get("/version").status_code == 200

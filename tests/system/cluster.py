"""Helpers for cluster system tests: Tokensmith nodes that share Redis and PostgreSQL."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.system.server import APP, Server, ServerFactory

PASSWORD = "cluster-admin-password-0123"
RUNTIME_FORM = {"content-type": "application/x-www-form-urlencoded"}


def start_node(factory: ServerFactory, base: Path, name: str, *, redis_url: str, region: str = "default",
               replica_url: str | None = None, database_url: str | None = None, first: Server | None = None,
               workers: int = 1) -> Server:
    """A ``tokensmith serve`` node; later nodes get the first node's master key, as an operator would copy it."""
    data_dir = base / name
    if first is not None:
        data_dir.mkdir(mode=0o700)
        shutil.copy(first.data_dir / "master.key", data_dir / "master.key")
    extra = ["--redis-url", redis_url, "--region", region]
    if replica_url:
        extra += ["--redis-replica-url", replica_url]
    if database_url:
        extra += ["--database-url", database_url]
    return factory(data_dir, password=PASSWORD, env_password=PASSWORD, node_id=name, workers=workers,
                   extra=tuple(extra))


def token(server: Server, client: tuple[str, str] = APP, **params: str) -> httpx.Response:
    with server.client() as http:
        return http.post("/as/token.oauth2", data={"grant_type": "client_credentials", **params}, auth=client)


def introspect(server: Server, value: str, client: tuple[str, str] = APP) -> dict[str, Any]:
    with server.client() as http:
        response = http.post("/as/introspect.oauth2", data={"token": value}, auth=client)
    assert response.status_code == 200, f"{server.node_id}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def revoke(server: Server, value: str, client: tuple[str, str] = APP) -> httpx.Response:
    with server.client() as http:
        return http.post("/as/revoke_token.oauth2", data={"token": value}, auth=client)


def metrics(server: Server) -> dict[str, float]:
    """``GET /metrics`` from the admin listener, as {series: value}."""
    response = httpx.get(f"http://127.0.0.1:{server.admin_port}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    out: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


def within(seconds: float, condition: Callable[[], Any], what: str, interval: float = 0.01) -> float:
    """Poll ``condition`` until true; return how long it took (fails after ``seconds``)."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds:g}s: {what}")
        time.sleep(interval)

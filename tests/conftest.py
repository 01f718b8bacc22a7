"""Shared fixtures: an in-process node (SQLite state, fake clock) and HTTP clients for both
listeners, driven through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services import PostgresServer, RedisServer, remove_postgres, start_postgres, start_redis
from tokensmith.clock import FakeClock
from tokensmith.datadir import initialise
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

ADMIN_PASSWORD = "correct-horse-battery"
REFERENCE = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"
SIMPLE_PCV = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"
ADMIN_BASE = "http://127.0.0.1:9999/pf-admin-api/v1"
RUNTIME_BASE = "http://127.0.0.1:9031"


class Admin:
    """An admin API client that authenticates and sends the XSRF header like PF tooling does."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, method: str, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.request(method, ADMIN_BASE + path, json=json, **kw)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, json, **kw)

    async def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("PUT", path, json, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)

    async def ok(self, method: str, path: str, json: Any = None, status: int | None = None) -> Any:
        response = await self.request(method, path, json)
        expected = status or {"POST": 201, "DELETE": 204}.get(method, 200)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    # ---- convenience builders used across tests

    async def reference_atm(self, atm_id: str = "ref", fields: dict[str, str] | None = None,
                            attributes: tuple[str, ...] = (), **extra: Any) -> Any:
        body = {
            "id": atm_id, "name": f"Manager {atm_id}", "pluginDescriptorRef": {"id": REFERENCE},
            "configuration": {"fields": [{"name": k, "value": v} for k, v in (fields or {}).items()]},
            "attributeContract": {"extendedAttributes": [{"name": a} for a in attributes]},
            **extra,
        }
        return await self.ok("POST", "/oauth/accessTokenManagers", body)

    async def client_app(self, client_id: str = "app", secret: str = "app-secret-0123456789",
                         grants: tuple[str, ...] = ("CLIENT_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"),
                         **extra: Any) -> Any:
        body = {"clientId": client_id, "name": client_id, "grantTypes": list(grants),
                "clientAuth": {"type": "SECRET", "secret": secret}, **extra}
        return await self.ok("POST", "/oauth/clients", body)

    async def scopes(self, common: tuple[str, ...] = (), exclusive: tuple[str, ...] = (),
                     groups: dict[str, list[str]] | None = None, **extra: Any) -> Any:
        body = {"authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
                "refreshTokenLength": 42,
                "scopes": [{"name": s, "description": s} for s in common],
                "exclusiveScopes": [{"name": s, "description": s} for s in exclusive],
                "scopeGroups": [{"name": g, "description": g, "scopes": m} for g, m in (groups or {}).items()],
                **extra}
        return await self.ok("PUT", "/oauth/authServerSettings", body)

    async def mapping(self, context: str, atm_id: str, fulfilment: dict[str, tuple[str, str]],
                      context_ref: str | None = None) -> Any:
        body: dict[str, Any] = {
            "context": {"type": context, **({"contextRef": {"id": context_ref}} if context_ref else {})},
            "accessTokenManagerRef": {"id": atm_id},
            "attributeContractFulfillment": {k: {"source": {"type": t}, "value": v}
                                             for k, (t, v) in fulfilment.items()},
        }
        return await self.ok("POST", "/oauth/accessTokenMappings", body)


class Runtime:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, path: str, data: dict[str, str] | None = None,
                   auth: tuple[str, str] | None = None, **kw: Any) -> httpx.Response:
        return await self.client.post(RUNTIME_BASE + path, data=data, auth=auth, **kw)

    async def token(self, data: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
        return await self.post("/as/token.oauth2", data, auth)

    async def access_token(self, client: tuple[str, str] = ("app", "app-secret-0123456789"),
                           **params: str) -> dict[str, Any]:
        response = await self.token({"grant_type": "client_credentials", **params}, client)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def introspect(self, token: str, auth: tuple[str, str] = ("app", "app-secret-0123456789"),
                         **params: str) -> dict[str, Any]:
        response = await self.post("/as/introspect.oauth2", {"token": token, **params}, auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def revoke(self, token: str, auth: tuple[str, str] = ("app", "app-secret-0123456789"),
                     **params: str) -> httpx.Response:
        return await self.post("/as/revoke_token.oauth2", {"token": token, **params}, auth)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999)
    initialise(s, admin_password=ADMIN_PASSWORD)
    return s


@pytest.fixture
async def node(settings: Settings, clock: FakeClock) -> AsyncIterator[Node]:
    n = Node(settings, clock=clock)
    yield n
    await n.stop()


@pytest.fixture
async def http(node: Node, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(node, settings))
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


@pytest.fixture
def admin(http: httpx.AsyncClient) -> Admin:
    http.headers["X-XSRF-Header"] = "PingFederate"
    http.auth = httpx.BasicAuth("administrator", ADMIN_PASSWORD)
    return Admin(http)


@pytest.fixture
async def runtime(node: Node, settings: Settings) -> AsyncIterator[Runtime]:
    transport = httpx.ASGITransport(app=build_app(node, settings), client=("192.0.2.10", 40000))
    async with httpx.AsyncClient(transport=transport) as client:
        yield Runtime(client)


# --------------------------------------------------------------------------- real servers (one per session)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    with redis_server.client() as client:
        client.flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    remove_postgres(server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    import psycopg

    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS config_documents, config_meta, admin_users, console_sessions, "
                     "console_login_failures")
    return postgres_server.url

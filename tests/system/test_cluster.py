"""A real cluster: Tokensmith nodes sharing token state in Redis (a primary, replicas, Sentinel) and
configuration in PostgreSQL, all as separate processes on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import RedisServer, sentinel_primary, start_redis, start_sentinel, wait_replicas
from tests.system.cluster import introspect, metrics, revoke, start_node, token, within
from tests.system.server import APP, ServerFactory, client_body, configure, reference_atm

pytestmark = pytest.mark.system
APP2 = ("app2", "app2-secret-0123456789")
TIMEOUTS = 'tokensmith_replication_timeouts_total{operation="issue"}'


@pytest.fixture
def redis_trio(tmp_path: Path) -> Iterator[list[RedisServer]]:
    """A Redis primary with two replicas, in sync."""
    primary = start_redis(tmp_path / "redis", "primary")
    replicas = [start_redis(tmp_path / "redis", f"replica{i}", replica_of=primary) for i in (1, 2)]
    wait_replicas(primary, 2)
    servers = [primary, *replicas]
    yield servers
    for server in reversed(servers):
        server.stop()


def _atm(mode: str, timeout_ms: int, token_length: int = 40) -> dict[str, Any]:
    body = reference_atm(token_length)
    body["configuration"]["fields"] += [{"name": "Mode for Synchronous RPC", "value": mode},
                                        {"name": "RPC Timeout", "value": str(timeout_ms)}]
    return body


def test_three_nodes_in_two_regions_share_tokens_revocations_and_configuration(
        start_server: ServerFactory, tmp_path: Path, redis_trio: list[RedisServer], postgres_url: str) -> None:
    primary, eu_replica, us_replica = redis_trio
    redis_url = primary.url.replace("/0", "/0?replicas=2")
    common = {"redis_url": redis_url, "database_url": postgres_url}
    a = start_node(start_server, tmp_path, "a", region="eu", replica_url=eu_replica.url, **common)
    b = start_node(start_server, tmp_path, "b", region="eu", replica_url=eu_replica.url, first=a, **common)
    c = start_node(start_server, tmp_path, "c", region="us", replica_url=us_replica.url, first=a, **common)
    assert "in region us: token state redis://127.0.0.1" in c.stdout()

    with a.admin() as admin:
        configure(admin)
    for node in (b, c):  # the configuration written on A reaches B and C without a restart
        within(1.0, lambda node=node: token(node).status_code == 200, f"configuration live on {node.node_id}")

    issued = token(a, scope="read").json()["access_token"]
    for node in (b, c):  # read in each region from its replica (or the primary if it lags)
        info = introspect(node, issued)
        assert (info["active"], info["client_id"], info["cid"], info["scope"]) == (True, "app", "app", "read"), info

    assert revoke(c, issued).status_code == 200
    for node in (a, b, c):
        assert introspect(node, issued) == {"active": False}, node.node_id

    # Admin changes on A: a new client, then a new token length, live on B and C within a second.
    with a.admin() as admin:
        assert admin.post("/oauth/clients", json=client_body(*APP2)).status_code == 201
        delays = [within(1.0, lambda node=node: token(node, APP2).status_code == 200, f"new client on {node.node_id}")
                  for node in (b, c)]
        print(f"\nnew client usable on b and c {delays[0] * 1000:.0f} ms and {delays[1] * 1000:.0f} ms after "
              "the admin call on a returned")
        assert admin.put("/oauth/accessTokenManagers/ref", json=reference_atm(60)).status_code == 200
        for node in (b, c):
            within(1.0, lambda node=node: len(token(node).json()["access_token"]) == 60,
                   f"new token length on {node.node_id}")

    for node in (a, b, c):  # every token was looked up on the node's region replica first
        seen = metrics(node)
        assert seen['tokensmith_replica_reads_total{result="hit"}'] + seen[
            'tokensmith_replica_reads_total{result="miss"}'] >= 1, (node.node_id, seen)
        assert seen[f'tokensmith_node_info{{node_id="{node.node_id}",region="{"us" if node is c else "eu"}"}}'] == 1
        assert seen['tokensmith_config_reloads_total{source="cluster"}'] >= (0 if node is a else 2)


def test_majority_keeps_issuing_with_a_replica_down_and_all_nodes_refuses(
        start_server: ServerFactory, tmp_path: Path, redis_trio: list[RedisServer]) -> None:
    primary, _, second = redis_trio
    node = start_node(start_server, tmp_path, "solo", redis_url=primary.url)
    with node.admin() as admin:
        configure(admin)
        assert admin.put("/oauth/accessTokenManagers/ref", json=_atm("3", 300)).status_code == 200
        before = token(node).json()["access_token"]

        second.stop()
        within(5.0, lambda: primary.info()["connected_slaves"] == 1, "the primary to notice the stopped replica")
        for _ in range(3):  # majority of primary + 2 replicas = 1 replica acknowledgement: still issuing
            assert token(node).status_code == 200

        assert admin.put("/oauth/accessTokenManagers/ref", json=_atm("2", 300)).status_code == 200
        started = time.monotonic()
        refused = token(node)
        elapsed = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "temporarily_unavailable" and refused.headers["retry-after"] == "1"
        assert 0.3 <= elapsed < 3.0, elapsed  # it waited the RPC Timeout for the missing replica
        assert metrics(node)[TIMEOUTS] == 1
        # Validation and revocation still work; the revocation is answered and its timeout counted.
        assert introspect(node, before)["active"] is True
        assert revoke(node, before).status_code == 200
        assert introspect(node, before) == {"active": False}
        assert metrics(node)['tokensmith_replication_timeouts_total{operation="revoke"}'] == 1

        second.start()
        wait_replicas(primary, 2)
        assert token(node).status_code == 200  # all replicas back: all-nodes mode issues again
        assert metrics(node)[TIMEOUTS] == 1


def test_sentinel_failover_resumes_service_and_loses_no_acknowledged_token(
        start_server: ServerFactory, tmp_path: Path, redis_trio: list[RedisServer]) -> None:
    primary = redis_trio[0]
    sentinel = start_sentinel(tmp_path / "redis", primary, down_after_ms=1000)
    try:
        url = f"redis+sentinel://127.0.0.1:{sentinel.port}/tokensmith?replicas=2"
        node = start_node(start_server, tmp_path, "s1", redis_url=url, workers=2)
        with node.admin() as admin:
            configure(admin)
            assert admin.put("/oauth/accessTokenManagers/ref", json=_atm("3", 1000)).status_code == 200

        acknowledged: list[str] = []
        refused = 0
        killed_at = resumed_at = 0.0
        deadline = time.monotonic() + 45
        with node.client(timeout=5.0) as http:
            while time.monotonic() < deadline and not (resumed_at and len(acknowledged) >= 200):
                try:
                    response = http.post("/as/token.oauth2", data={"grant_type": "client_credentials"}, auth=APP)
                except Exception:  # a request cut off by the failover is not acknowledged
                    refused += 1
                    continue
                if response.status_code == 200:
                    acknowledged.append(response.json()["access_token"])
                    if killed_at and not resumed_at:
                        resumed_at = time.monotonic()
                else:
                    assert response.status_code == 503, response.text  # never a 500
                    refused += 1
                    time.sleep(0.05)
                if len(acknowledged) == 100 and not killed_at:
                    primary.stop(kill=True)  # SIGKILL: no goodbye to the replicas or Sentinel
                    killed_at = time.monotonic()
        assert resumed_at, f"no token issued within 45 s of killing the primary ({refused} refused)"
        new_primary = sentinel_primary(sentinel)
        assert new_primary is not None and new_primary != primary.port
        lost = [t for t in acknowledged if not introspect(node, t)["active"]]
        assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged tokens were lost"
        print(f"\nfailover: service resumed {resumed_at - killed_at:.2f}s after the primary was killed; "
              f"{refused} requests refused meanwhile; {len(acknowledged)} acknowledged tokens all active")
    finally:
        sentinel.stop()


def test_cluster_settings_are_checked_at_start(start_server: ServerFactory, tmp_path: Path) -> None:
    bad = start_server.run_to_exit(tmp_path / "bad", extra=("--redis-url", "http://127.0.0.1:1"))
    assert bad.exit_code == 2 and "--redis-url: the scheme must be" in bad.stderr()
    down = start_server.run_to_exit(tmp_path / "down", extra=("--redis-url", "redis://:s3cr3t-pw@127.0.0.1:1/0"))
    assert down.exit_code == 2 and "cannot use the token state at redis://:***@127.0.0.1:1/0" in down.stderr()
    assert "s3cr3t-pw" not in down.output()  # passwords in URLs are never printed
    region = start_server.run_to_exit(tmp_path / "region", extra=("--region", "eu west"))
    assert region.exit_code == 2 and "--region must be" in region.stderr()
    pg = start_server.run_to_exit(tmp_path / "pg", extra=("--database-url", "mysql://x@h/db"))
    assert pg.exit_code == 2 and "--database-url must be a PostgreSQL URL" in pg.stderr()

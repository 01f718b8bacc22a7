#!/usr/bin/env python3
"""Start a local Tokensmith cluster on 127.0.0.1 and keep it running until Ctrl-C.

* Redis: a primary, two replicas and one Sentinel (Debian packages redis-server, redis-sentinel);
* PostgreSQL: one server in a temporary directory (Debian package postgresql);
* Tokensmith: eu-1 and eu-2 in region "eu" reading from replica 1, us-1 in region "us" reading
  from replica 2; token state through the Sentinel, configuration in PostgreSQL.

It then configures a reference token manager and a client through eu-1, issues a token on eu-1,
introspects it on us-1, and prints the addresses, the administrator password and example calls.
Ctrl-C (or SIGTERM) stops every process it started, by process id, and removes its directories
(unless --keep). See docs/operations.md, "Try it locally".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.services import (  # noqa: E402
    PostgresServer,
    RedisServer,
    remove_postgres,
    start_postgres,
    start_redis,
    start_sentinel,
    wait_replicas,
)

HOST = "127.0.0.1"
REFERENCE = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"
CLIENT = ("demo", "demo-secret-" + "0123456789abcdef")
NODES = (("eu-1", "eu", 0), ("eu-2", "eu", 0), ("us-1", "us", 1))  # name, region, replica index


def say(message: str) -> None:
    print(message, flush=True)


class Node:
    def __init__(self, name: str, region: str, data_dir: Path, port: int, admin_port: int, argv: list[str]) -> None:
        self.name, self.region, self.data_dir = name, region, data_dir
        self.port, self.admin_port, self.argv = port, admin_port, argv
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, password: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
        env["TOKENSMITH_ADMIN_PASSWORD"] = password
        with open(self.data_dir.parent / f"{self.name}.log", "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{(self.data_dir.parent / f'{self.name}.log').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{HOST}:{self.port}/pf/heartbeat.ping", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def configure(node: Node, password: str) -> None:
    base = f"http://{HOST}:{node.admin_port}/pf-admin-api/v1"
    with httpx.Client(base_url=base, auth=("administrator", password), headers={"X-XSRF-Header": "PingFederate"},
                      timeout=10) as admin:
        calls: list[tuple[str, str, dict[str, Any]]] = [
            ("POST", "/oauth/accessTokenManagers", {
                "id": "demo", "name": "Demo reference tokens", "pluginDescriptorRef": {"id": REFERENCE},
                "configuration": {"fields": [{"name": "Mode for Synchronous RPC", "value": "3"},
                                             {"name": "RPC Timeout", "value": "500"}]},
                "attributeContract": {"extendedAttributes": [{"name": "cid"}]}}),
            ("POST", "/oauth/accessTokenMappings", {
                "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "demo"},
                "attributeContractFulfillment": {"cid": {"source": {"type": "CONTEXT"}, "value": "ClientId"}}}),
            ("PUT", "/oauth/authServerSettings", {
                "authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
                "refreshTokenLength": 42, "scopes": [{"name": "read", "description": "read"}]}),
            ("POST", "/oauth/clients", {
                "clientId": CLIENT[0], "name": "Demo client", "grantTypes": ["CLIENT_CREDENTIALS",
                                                                             "ACCESS_TOKEN_VALIDATION"],
                "clientAuth": {"type": "SECRET", "secret": CLIENT[1]}}),
        ]
        for method, path, body in calls:
            response = admin.request(method, path, json=body)
            if response.status_code >= 300:
                raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base-port", type=int, default=19000,
                        help="runtime ports BASE+31..33, admin BASE+991..993, Redis BASE+379..381, Sentinel "
                             "BASE+389, PostgreSQL BASE+432 (default 19000)")
    parser.add_argument("--keep", action="store_true", help="keep the directories (logs, data) after stopping")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per node (default 1)")
    args = parser.parse_args(argv)
    base_port = args.base_port
    if not 1024 <= base_port <= 64000:
        parser.error("--base-port must be between 1024 and 64000")

    stopping = False

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    work = Path(tempfile.mkdtemp(prefix="tokensmith-cluster-"))
    redis: list[RedisServer] = []
    nodes: list[Node] = []
    postgres: PostgresServer | None = None
    password = secrets.token_urlsafe(18)
    tokensmith = str(Path(sys.executable).parent / "tokensmith")
    try:
        say(f"# working directory {work}")
        primary = start_redis(work, "redis-primary", port=base_port + 379)
        redis.append(primary)
        redis += [start_redis(work, f"redis-replica{i}", replica_of=primary, port=base_port + 379 + i,
                              extra=("replica-serve-stale-data no",)) for i in (1, 2)]
        wait_replicas(primary, 2)
        sentinel = start_sentinel(work, primary, port=base_port + 389)
        redis.append(sentinel)
        say(f"# Redis primary :{primary.port}, replicas :{redis[1].port} :{redis[2].port}, Sentinel :{sentinel.port}")
        postgres = start_postgres(port=base_port + 432)
        say(f"# PostgreSQL {postgres.url}")

        redis_url = f"redis+sentinel://{HOST}:{sentinel.port}/tokensmith?replicas=2"
        for index, (name, region, replica) in enumerate(NODES):
            data_dir = work / name
            port, admin_port = base_port + 31 + index, base_port + 991 + index
            argv_ = [tokensmith, "serve", "--data-dir", str(data_dir), "--host", HOST, "--port", str(port),
                     "--admin-port", str(admin_port), "--workers", str(args.workers), "--node-id", name,
                     "--region", region, "--redis-url", redis_url, "--redis-replica-url", redis[1 + replica].url,
                     "--database-url", postgres.url, "--log-level", "warning"]
            node = Node(name, region, data_dir, port, admin_port, argv_)
            if nodes:  # every node needs the first node's master key
                data_dir.mkdir(mode=0o700)
                shutil.copy(nodes[0].data_dir / "master.key", data_dir / "master.key")
            node.start(password)
            node.wait_ready()
            nodes.append(node)
            say(f"# {name} (region {region}): runtime http://{HOST}:{port}, admin http://{HOST}:{admin_port}")

        configure(nodes[0], password)
        time.sleep(0.2)  # well within the second it takes a change to reach every node
        issued = httpx.post(f"http://{HOST}:{nodes[0].port}/as/token.oauth2", auth=CLIENT,
                            data={"grant_type": "client_credentials", "scope": "read"}, timeout=10).json()
        checked = httpx.post(f"http://{HOST}:{nodes[2].port}/as/introspect.oauth2", auth=CLIENT,
                             data={"token": issued["access_token"]}, timeout=10).json()
        say(f"# token issued on eu-1, introspected on us-1: {checked}")
        say(f"""
Cluster running. Administrator password: {password}

  # a token from eu-1, checked on us-1 and revoked on eu-2
  T=$(curl -s -u {CLIENT[0]}:{CLIENT[1]} -d grant_type=client_credentials \\
      http://{HOST}:{nodes[0].port}/as/token.oauth2 \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -u {CLIENT[0]}:{CLIENT[1]} -d token=$T http://{HOST}:{nodes[2].port}/as/introspect.oauth2
  curl -s -u {CLIENT[0]}:{CLIENT[1]} -d token=$T http://{HOST}:{nodes[1].port}/as/revoke_token.oauth2
  # the admin API of any node, and its metrics
  curl -s -u administrator:{password} -H 'X-XSRF-Header: PingFederate' \\
      http://{HOST}:{nodes[1].admin_port}/pf-admin-api/v1/oauth/clients
  curl -s http://{HOST}:{nodes[2].admin_port}/metrics
  # fail the Redis primary over (Sentinel promotes a replica within a few seconds)
  redis-cli -p {sentinel.port} SENTINEL failover tokensmith

Logs: {work}/*.log. Ctrl-C stops everything.""")
        while not stopping:
            time.sleep(0.5)
            for node in nodes:
                if node.process is not None and node.process.poll() is not None:
                    say(f"# {node.name} exited with status {node.process.returncode}; see {work}/{node.name}.log")
                    stopping = True
        return 0
    finally:
        say("# stopping")
        for node in reversed(nodes):
            node.stop()
        for server in reversed(redis):
            server.stop()
        if postgres is not None:
            remove_postgres(postgres)
        if args.keep:
            say(f"# kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

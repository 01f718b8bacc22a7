"""Helpers for system tests: run ``tokensmith serve`` as a real process and talk to it over TCP.

A :class:`Server` is one ``python -m tokensmith serve`` process on free 127.0.0.1 ports with its
stdout and stderr captured in files (a pipe could fill up and stall the server). Readiness is
detected by polling the heartbeat; the server is stopped by its own pid (SIGTERM, wait, SIGKILL of
its own process group only as a last resort).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.services import die_with_parent

HOST = "127.0.0.1"
ADMIN_USER = "administrator"
XSRF = {"X-XSRF-Header": "PingFederate"}
ADMIN_PATH = "/pf-admin-api/v1"
HEARTBEAT = "/pf/heartbeat.ping"
WORKER_HEADER = "x-tokensmith-worker"
READY_TIMEOUT = 60.0  # generous: a loaded machine (CI neighbours) can take >20 s to spawn workers
STOP_TIMEOUT = 20.0
POLL_INTERVAL = 0.05
PASSWORD_LINE = re.compile(r"^Created administrator 'administrator' with password: (\S+)$", re.MULTILINE)

REFERENCE = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"
APP = ("app", "app-secret-0123456789")


# --------------------------------------------------------------------------- small utilities


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Distinct ports that were free a moment ago (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def poll(condition: Callable[[], Any], timeout: float, what: str | Callable[[], str],
         interval: float = POLL_INTERVAL) -> Any:
    """Call ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {described}")
        time.sleep(interval)


def child_env(admin_password: str | None = None) -> dict[str, str]:
    """The test's environment without TOKENSMITH_* settings, optionally with the admin password."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
    env["PYTHONUNBUFFERED"] = "1"
    if admin_password is not None:
        env["TOKENSMITH_ADMIN_PASSWORD"] = admin_password
    return env


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tokensmith ARGS`` to completion (for commands expected to exit by themselves)."""
    return subprocess.run([sys.executable, "-m", "tokensmith", *args], capture_output=True, text=True,
                          env=env if env is not None else child_env(), timeout=timeout, check=False)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie has already closed its sockets)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found.extend(int(p) for p in path.read_text().split())
    return sorted(set(found))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def local_port(response: httpx.Response) -> int:
    """The client-side port of the TCP connection a response arrived on."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def worker_of(response: httpx.Response) -> str:
    """The worker index from a heartbeat response (``node-id/index``)."""
    label = response.headers[WORKER_HEADER]
    return label.rsplit("/", 1)[1]


# --------------------------------------------------------------------------- the server process


@dataclass
class Server:
    data_dir: Path
    port: int
    admin_port: int
    process: subprocess.Popen[bytes]
    log_dir: Path
    workers: int
    node_id: str
    ca_file: Path | None = None
    password: str | None = None
    exit_code: int | None = field(default=None, init=False)

    # ---- addresses and clients

    @property
    def scheme(self) -> str:
        return "https" if self.ca_file else "http"

    @property
    def runtime_url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.admin_port}{ADMIN_PATH}"

    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else True

    def client(self, **kw: Any) -> httpx.Client:
        """A runtime client that keeps at most one connection, so it stays on one worker."""
        kw.setdefault("limits", httpx.Limits(max_connections=1, max_keepalive_connections=1))
        kw.setdefault("timeout", 10.0)
        return httpx.Client(base_url=self.runtime_url, verify=self.verify(), **kw)

    def admin(self, password: str | None = None, **kw: Any) -> httpx.Client:
        """An admin API client with the administrator's credentials and the XSRF header."""
        secret = password if password is not None else self.password
        assert secret is not None, "the administrator password is unknown"
        kw.setdefault("timeout", 10.0)
        return httpx.Client(base_url=self.admin_url, verify=self.verify(), auth=(ADMIN_USER, secret),
                            headers=XSRF, **kw)

    # ---- captured output

    def stdout(self) -> str:
        return (self.log_dir / "stdout").read_text(errors="replace")

    def stderr(self) -> str:
        return (self.log_dir / "stderr").read_text(errors="replace")

    def output(self) -> str:
        return f"--- exit code: {self.process.poll()}\n--- stdout:\n{self.stdout()}\n--- stderr:\n{self.stderr()}"

    def printed_password(self) -> str | None:
        match = PASSWORD_LINE.search(self.stdout())
        return match.group(1) if match else None

    # ---- lifecycle

    def heartbeat(self, timeout: float = 2.0) -> httpx.Response | None:
        """One heartbeat on a fresh connection; ``None`` while nothing answers."""
        try:
            with self.client(timeout=timeout) as http:
                response = http.get(HEARTBEAT)
        except httpx.TransportError:
            return None
        return response

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ServerExited(self)
            response = self.heartbeat()
            if response is not None and response.status_code == 200:
                return
            if time.monotonic() >= deadline:
                raise AssertionError(f"server not ready after {timeout:.0f}s\n{self.output()}")
            time.sleep(POLL_INTERVAL)

    def wait_workers(self, indices: set[str] | None = None, timeout: float = READY_TIMEOUT) -> None:
        """Poll heartbeats on new connections until every worker index has answered."""
        wanted = indices if indices is not None else {str(i) for i in range(self.workers)}
        seen: set[str] = set()

        def all_seen() -> bool:
            assert self.process.poll() is None, self.output()
            response = self.heartbeat()
            if response is not None and response.status_code == 200:
                seen.add(worker_of(response))
            return wanted <= seen

        poll(all_seen, timeout, lambda: f"heartbeats from workers {sorted(wanted)} (seen {sorted(seen)})", 0.01)

    def worker_pids(self) -> list[int]:
        """The supervisor's worker processes (not multiprocessing's resource tracker)."""
        return [pid for pid in children(self.process.pid) if "spawn_main" in cmdline(pid)]

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM the supervisor and wait; SIGKILL its process group only if it does not exit."""
        if self.exit_code is not None:
            return self.exit_code
        workers = self.worker_pids() if self.process.poll() is None else []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session: the supervisor and its workers
            self.exit_code = self.process.wait()
            raise AssertionError(f"server did not stop within {timeout:.0f}s of SIGTERM\n{self.output()}") from None
        leftovers = [pid for pid in workers if pid_alive(pid) and "spawn_main" in cmdline(pid)]
        if leftovers:
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"workers {leftovers} outlived the supervisor\n{self.output()}")
        return self.exit_code


class ServerExited(AssertionError):
    def __init__(self, server: Server) -> None:
        super().__init__(f"server exited before it was ready\n{server.output()}")
        self.server = server


def launch(log_dir: Path, data_dir: Path, *, workers: int = 1, port: int | None = None,
           admin_port: int | None = None, cert: Path | None = None, key: Path | None = None,
           env_password: str | None = None, node_id: str = "node-1", extra: tuple[str, ...] = ()) -> Server:
    """Start ``tokensmith serve`` without waiting for it."""
    if port is None or admin_port is None:
        port, admin_port = free_ports(2)
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "tokensmith", "serve", "--data-dir", str(data_dir), "--host", HOST,
            "--port", str(port), "--admin-port", str(admin_port), "--workers", str(workers),
            "--node-id", node_id, "--log-level", "warning", *extra]
    if cert is not None:
        argv += ["--cert", str(cert)]
    if key is not None:
        argv += ["--key", str(key)]
    with open(log_dir / "stdout", "wb") as out, open(log_dir / "stderr", "wb") as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   env=child_env(env_password), start_new_session=True,
                                   preexec_fn=die_with_parent)
    return Server(data_dir, port, admin_port, process, log_dir, workers, node_id, cert, env_password)


class ServerFactory:
    """Starts servers for one test and stops every one of them at teardown."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.servers: list[Server] = []

    def __call__(self, data_dir: Path | None = None, *, password: str | None = None, ready: bool = True,
                 **kw: Any) -> Server:
        """Start a server and wait for its heartbeat.

        ``password`` is the administrator password when it is already known (a restart); with
        automatic ports, a start that lost a port race is retried on new ports.
        """
        data_dir = data_dir or self.base / "data"
        fixed_ports = kw.get("port") is not None
        printed: str | None = None
        for attempt in range(3):
            server = launch(self.base / f"server-{len(self.servers)}", data_dir, **kw)
            self.servers.append(server)
            if not ready:
                return server
            try:
                server.wait_ready()
            except ServerExited as exc:
                printed = printed or server.printed_password()
                server.stop()
                if fixed_ports or attempt == 2 or "already in use" not in server.stderr():
                    raise exc from None
                continue
            server.password = server.password or password or server.printed_password() or printed
            return server
        raise AssertionError("unreachable")

    def run_to_exit(self, data_dir: Path | None = None, timeout: float = 30.0, **kw: Any) -> Server:
        """Start a server that is expected to refuse to start; wait for its exit code."""
        server = self(data_dir, ready=False, **kw)
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server kept running for {timeout:.0f}s\n{server.output()}") from None
        server.stop()
        return server

    def close(self) -> None:
        errors = []
        for server in reversed(self.servers):
            try:
                server.stop()
            except AssertionError as exc:
                errors.append(str(exc))
        if errors:
            raise AssertionError("\n\n".join(errors))


@contextlib.contextmanager
def server_factory(base: Path) -> Iterator[ServerFactory]:
    factory = ServerFactory(base)
    try:
        yield factory
    finally:
        factory.close()


# --------------------------------------------------------------------------- configuration through the admin API


def configure(admin: httpx.Client, token_length: int = 40) -> None:
    """A reference token manager with a ``cid`` attribute, a client-credentials mapping, scopes and a client."""
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "/oauth/accessTokenManagers", reference_atm(token_length), 201),
        ("POST", "/oauth/accessTokenMappings", {
            "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
            "attributeContractFulfillment": {"cid": {"source": {"type": "CONTEXT"}, "value": "ClientId"}}}, 201),
        ("PUT", "/oauth/authServerSettings", {
            "authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
            "refreshTokenLength": 42, "scopes": [{"name": "read", "description": "read"},
                                                 {"name": "write", "description": "write"}]}, 200),
        ("POST", "/oauth/clients", client_body(*APP), 201),
    ]
    for method, path, body, status in calls:
        response = admin.request(method, path, json=body)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"


def reference_atm(token_length: int) -> dict[str, Any]:
    return {"id": "ref", "name": "Reference", "pluginDescriptorRef": {"id": REFERENCE},
            "configuration": {"fields": [{"name": "Token Length", "value": str(token_length)}]},
            "attributeContract": {"extendedAttributes": [{"name": "cid"}]}}


def client_body(client_id: str, secret: str) -> dict[str, Any]:
    return {"clientId": client_id, "name": client_id,
            "grantTypes": ["CLIENT_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"],
            "clientAuth": {"type": "SECRET", "secret": secret}}


# --------------------------------------------------------------------------- OAuth calls on one connection


class Connection:
    """One keep-alive runtime connection; every call asserts it still uses the same TCP connection."""

    def __init__(self, client: httpx.Client, worker: str, port: int) -> None:
        self.client = client
        self.worker = worker
        self.port = port

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _same(self, response: httpx.Response) -> httpx.Response:
        assert local_port(response) == self.port, "the request did not reuse the worker's connection"
        return response

    def heartbeat_worker(self) -> str:
        return worker_of(self._same(self.client.get(HEARTBEAT)))

    def post(self, path: str, data: dict[str, str], auth: tuple[str, str] = APP) -> httpx.Response:
        return self._same(self.client.post(path, data=data, auth=auth))

    def token(self, auth: tuple[str, str] = APP, **params: str) -> dict[str, Any]:
        response = self.post("/as/token.oauth2", {"grant_type": "client_credentials", **params}, auth)
        assert response.status_code == 200, f"worker {self.worker}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def introspect(self, token: str, auth: tuple[str, str] = APP) -> dict[str, Any]:
        response = self.post("/as/introspect.oauth2", {"token": token}, auth)
        assert response.status_code == 200, f"worker {self.worker}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def revoke(self, token: str, auth: tuple[str, str] = APP) -> None:
        response = self.post("/as/revoke_token.oauth2", {"token": token}, auth)
        assert response.status_code == 200, f"worker {self.worker}: {response.status_code} {response.text}"


def connect(server: Server) -> Connection:
    """A new keep-alive connection (to whichever worker the kernel picks)."""
    client = server.client()
    try:
        response = client.get(HEARTBEAT)
        assert response.status_code == 200, response.text
        return Connection(client, worker_of(response), local_port(response))
    except BaseException:
        client.close()
        raise


@contextlib.contextmanager
def connections_per_worker(server: Server, timeout: float = READY_TIMEOUT) -> Iterator[dict[str, Connection]]:
    """Open connections until there is one on every worker; yield them by worker index."""
    wanted = {str(i) for i in range(server.workers)}
    found: dict[str, Connection] = {}
    try:
        def complete() -> bool:
            conn = connect(server)
            if conn.worker in found:
                conn.client.close()
            else:
                found[conn.worker] = conn
            return set(found) >= wanted

        poll(complete, timeout, lambda: f"connections on workers {sorted(wanted)} (found {sorted(found)})", 0.01)
        yield found
    finally:
        for conn in found.values():
            conn.client.close()

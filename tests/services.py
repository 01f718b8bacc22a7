"""Real Redis, Redis Sentinel and PostgreSQL server processes on 127.0.0.1, for tests, the benchmark
and ``scripts/cluster-demo``.

Each server gets a free port and its own directory; its output goes to a log file there. Servers are
stopped by their own process id. PostgreSQL refuses to run as root: when this process is root, the
PostgreSQL commands run as the ``postgres`` account (created by Debian's package) or ``nobody``, and
its directory is handed to that account. Debian packages: redis-server, redis-sentinel, postgresql
(``./scripts/test`` installs them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

HOST = "127.0.0.1"
START_TIMEOUT = 20.0


class MissingServer(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MissingServer(f"{name} is not installed; ./scripts/test installs it (Debian packages "
                            "redis-server, redis-sentinel, postgresql)")
    return found


def _until(condition: Any, timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def _stop(process: subprocess.Popen[bytes] | None, kill: bool = False, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --------------------------------------------------------------------------- Redis


@dataclass
class RedisServer:
    """One redis-server (primary or replica) or redis-sentinel process."""

    directory: Path
    port: int
    lines: list[str]
    sentinel: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self, **kw: Any) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=5, **kw)

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / ("sentinel.conf" if self.sentinel else "redis.conf")
        if not self.sentinel or not conf.exists():  # Sentinel rewrites its own file: keep what it learnt
            conf.write_text("\n".join([f"port {self.port}", f"bind {HOST}", f"dir {self.directory}",
                                       *self.lines]) + "\n")
        argv = [binary("redis-sentinel")] if self.sentinel else [binary("redis-server")]
        with open(self.directory / "server.log", "ab") as log:
            self.process = subprocess.Popen([*argv, str(conf)], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis on port {self.port} exited:\n{self.log()}")
            with contextlib.suppress(redis.RedisError), self.client(socket_connect_timeout=0.5) as c:
                return bool(c.ping())
            return False

        _until(answers, START_TIMEOUT, f"redis on port {self.port}")
        return self

    def stop(self, kill: bool = False) -> None:
        _stop(self.process, kill)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def info(self, section: str = "replication") -> dict[str, Any]:
        with self.client() as c:
            return dict(c.info(section))


REDIS_COMMON = ['save ""', "appendonly no", "repl-diskless-sync yes", "repl-diskless-sync-delay 0",
                "repl-ping-replica-period 1", "repl-timeout 5", "protected-mode no"]


def start_redis(base: Path, name: str = "redis", replica_of: RedisServer | None = None,
                extra: tuple[str, ...] = (), port: int | None = None) -> RedisServer:
    lines = [*REDIS_COMMON, *extra]
    if replica_of is not None:
        lines.append(f"replicaof {HOST} {replica_of.port}")
    return RedisServer(base / name, port or free_port(), lines).start()


def wait_replicas(primary: RedisServer, count: int, timeout: float = START_TIMEOUT) -> None:
    """Until ``count`` replicas are connected to ``primary`` and in sync."""
    def synced() -> bool:
        info = primary.info()
        online = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
                  and v.get("state") == "online"]
        return len(online) >= count

    _until(synced, timeout, f"{count} replicas in sync with port {primary.port}")


def start_sentinel(base: Path, primary: RedisServer, name: str = "sentinel", service: str = "tokensmith",
                   down_after_ms: int = 1000, failover_timeout_ms: int = 5000, quorum: int = 1,
                   port: int | None = None) -> RedisServer:
    lines = [f"sentinel monitor {service} {HOST} {primary.port} {quorum}",
             f"sentinel down-after-milliseconds {service} {down_after_ms}",
             f"sentinel failover-timeout {service} {failover_timeout_ms}",
             f"sentinel parallel-syncs {service} 2", "protected-mode no"]
    return RedisServer(base / name, port or free_port(), lines, sentinel=True).start()


def sentinel_primary(sentinel: RedisServer, service: str = "tokensmith") -> int | None:
    """The port Sentinel currently names as the primary."""
    with sentinel.client() as c:
        found = c.execute_command("SENTINEL", "get-master-addr-by-name", service)
    return int(found[1]) if found else None


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    return binary(name)


def _postgres_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise MissingServer("running as root, and neither a 'postgres' nor a 'nobody' account exists")


@dataclass
class PostgresServer:
    directory: Path
    port: int
    database: str = "tokensmith"
    user: str = "tokensmith"
    account: pwd.struct_passwd | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{HOST}:{self.port}/{self.database}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kw: dict[str, Any] = {}
        if self.account is not None:
            kw = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=120,
                              cwd=self.directory, **kw)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def init(self) -> PostgresServer:
        if self.account is not None:
            os.chown(self.directory, self.account.pw_uid, self.account.pw_gid)
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        return self

    def start(self) -> PostgresServer:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses={HOST} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        done = self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "server.log"),
                         "-o", options, "-w", "-t", "60", "start", check=False)
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {done.stdout}{done.stderr}\n{self.log()}")
        return self

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(f"postgresql://{self.user}@{HOST}:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name we chose, not input

    def stop(self) -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_postgres(database: str = "tokensmith", port: int | None = None) -> PostgresServer:
    """A new PostgreSQL cluster in its own temporary directory (remove it with :func:`remove_postgres`)."""
    _postgres_bin("initdb")
    directory = Path(tempfile.mkdtemp(prefix="tokensmith-pg-"))
    server = PostgresServer(directory, port or free_port(), database=database, account=_postgres_account())
    server.init().start()
    server.create_database(database)
    return server


def remove_postgres(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)

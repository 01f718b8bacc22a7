"""Run ``tokensmith serve`` as a child process for the benchmark, and stop it again.

The server listens on 127.0.0.1 only, on ports that were free a moment before it started. Its
output goes to a file (a pipe could fill up and stall it). It runs in its own session, so a Ctrl-C
in the terminal reaches only the harness, which then stops it. It is stopped by its own process id:
SIGTERM, then wait; only if it does not exit in time are it and the worker processes it started
killed, each by its own pid.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
HEARTBEAT = "/pf/heartbeat.ping"
WORKER_HEADER = "X-Tokensmith-Worker"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


class ServerError(RuntimeError):
    """The server could not be started, or did not become ready."""


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Distinct ports that were free a moment ago (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def heartbeat(host: str, port: int, timeout: float = 2.0) -> tuple[int, str | None]:
    """One heartbeat on a fresh connection: (status, worker label or None)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", HEARTBEAT)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader(WORKER_HEADER)
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.update(int(p) for p in path.read_text().split())
    return sorted(found)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a pid from a later reuse of it)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time consumed so far by the given processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def server_python(executable: Path) -> str | None:
    """The interpreter the ``tokensmith`` script runs on (its ``#!`` line). Its build matters: the
    same CPython release runs plain Python code 1.5-2 times as fast when built with PGO and LTO
    (bench/README.md, "The interpreter")."""
    try:
        with executable.open("rb") as script:
            first = script.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    interpreter = first[2:].decode(errors="replace").strip()
    real = os.path.realpath(interpreter)  # a virtual environment's python is a link to its base
    return interpreter if real == interpreter else f"{interpreter} -> {real}"


def machine_busy_seconds() -> float:
    """CPU time all processors have spent busy since boot (Linux /proc/stat, all CPUs together)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user..steal; guest is already in user


class ServerProcess:
    """``tokensmith serve`` on free loopback ports, as a context manager."""

    def __init__(self, executable: Path, data_dir: Path, workers: int, admin_password: str,
                 log_file: Path) -> None:
        self.executable = executable
        self.data_dir = data_dir
        self.workers = workers
        self.admin_password = admin_password
        self.log_file = log_file
        self.port, self.admin_port = free_ports(2)
        self.process: subprocess.Popen[bytes] | None = None
        self.worker_pids: list[int] = []
        self.server_pids: list[int] = []
        self._identities: dict[int, int | None] = {}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.admin_port}"

    def argv(self) -> list[str]:
        return [str(self.executable), "serve", "--data-dir", str(self.data_dir), "--host", HOST,
                "--workers", str(self.workers), "--port", str(self.port), "--admin-port", str(self.admin_port),
                "--log-level", "warning"]

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
        env["TOKENSMITH_ADMIN_PASSWORD"] = self.admin_password
        env["PYTHONUNBUFFERED"] = "1"
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _check_running(self) -> None:
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            raise ServerError(f"tokensmith serve exited with status {code}:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until the heartbeat answers 200 and, on fresh connections, every worker has answered.

        Each worker binds its own SO_REUSEPORT socket; a connection made before the last worker has
        bound would stay with the others for its whole life, so "one 200" is not enough.
        """
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while True:
            self._check_running()
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, worker = heartbeat(HOST, self.port, timeout=1.0)
                if status == 200:
                    seen.add(worker or "?")
                    if len(seen) >= self.workers:
                        break
            if time.monotonic() >= deadline:
                raise ServerError(f"the server did not become ready within {timeout:.0f}s (workers seen: "
                                  f"{sorted(seen)}):\n{self.log_tail()}")
            time.sleep(0.05)
        assert self.process is not None
        every = children(self.process.pid)
        self.worker_pids = [pid for pid in every if "spawn_main" in cmdline(pid)] or every
        self.server_pids = [self.process.pid, *every]  # supervisor, workers, multiprocessing's resource tracker
        self._identities = {pid: start_time(pid) for pid in every}

    def stop(self) -> int | None:
        """SIGTERM to the server's own pid, then wait; kill (by pid) only what did not exit in time."""
        process = self.process
        if process is None:
            return None
        workers = {pid: start_time(pid) for pid in children(process.pid)} or dict(self._identities)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Normally the workers are gone already: the supervisor stops and waits for them on SIGTERM.
        # Any left over (supervisor killed) are killed by pid, if that pid is still the same process.
        for pid, started in workers.items():
            if started is not None and start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process = None
        return process.returncode

    def __enter__(self) -> ServerProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

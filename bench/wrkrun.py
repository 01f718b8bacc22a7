"""Run wrk with one of the Lua scenario scripts in ``bench/lua`` and parse its result line.

Each script's ``done()`` (``lua/report.lua``) prints one line ``BENCH_RESULT {json}`` with the
request count, the run's duration and latency percentiles in microseconds, and wrk's error
counters. No script defines ``response()``: that would make wrk parse every response's headers
and body in Lua. The status count is therefore wrk's own ``errors.status`` (responses with a status
above 399); the scenarios expect only 200, and the spot checks in ``run.py`` look at the bodies.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
RESULT_PREFIX = "BENCH_RESULT "
INSTALL_HINT = ("wrk (the HTTP load generator) is not installed or not on PATH. On Debian or Ubuntu install it with:\n"
                "    apt-get update && apt-get install -y wrk\n"
                "(as root, or with sudo), then run bench/run.py again.")


class WrkError(RuntimeError):
    """wrk failed, or printed no result line."""


def find_wrk() -> str | None:
    return shutil.which("wrk")


def wrk_version(wrk: str) -> str:
    completed = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10, check=False)
    first = (completed.stdout or completed.stderr).strip().splitlines()
    return first[0] if first else "unknown"


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    bytes: int
    latency_us: dict[str, float]
    errors: dict[str, int]
    wrk_cpu_s: float
    command: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def non_2xx(self) -> int:
        return self.errors.get("status", 0)

    @property
    def socket_errors(self) -> int:
        return sum(v for k, v in self.errors.items() if k != "status")

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "requests_per_s": round(self.rate, 1),
            "bytes": self.bytes,
            "latency_ms": {k: round(v / 1000.0, 3) for k, v in self.latency_us.items()},
            "non_2xx": self.non_2xx,
            "errors": self.errors,
            "wrk_cpu_s": round(self.wrk_cpu_s, 2),
            "command": self.command,
        }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(wrk: str, url: str, script: str, script_args: list[str], *, duration: float, connections: int,
            threads: int, headers: dict[str, str], timeout_s: float = 2.0) -> WrkResult:
    """One bounded wrk run; returns the parsed result or raises :class:`WrkError`."""
    seconds = max(1, round(duration))
    command = [wrk, "--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s",
               "--timeout", f"{timeout_s:g}s", "--script", str(LUA_DIR / script)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    before = _children_cpu()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    except subprocess.TimeoutExpired as exc:  # subprocess.run kills wrk (its own child) on timeout
        raise WrkError(f"wrk did not finish within {seconds + 30}s") from exc
    cpu = _children_cpu() - before
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith(RESULT_PREFIX)), None)
    if completed.returncode != 0 or line is None:
        raise WrkError(f"wrk exited with status {completed.returncode}\nstdout:\n{completed.stdout[-2000:]}\n"
                       f"stderr:\n{completed.stderr[-2000:]}")
    data = json.loads(line[len(RESULT_PREFIX):])
    shown = [("<redacted>" if part.lower().startswith("authorization:") else part) for part in command]
    return WrkResult(requests=int(data["requests"]), duration_s=data["duration_us"] / 1e6, bytes=int(data["bytes"]),
                     latency_us={k: float(v) for k, v in data["latency_us"].items()},
                     errors={k: int(v) for k, v in data["errors"].items()}, wrk_cpu_s=cpu, command=shown)

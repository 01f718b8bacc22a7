#!/usr/bin/env python3
"""Benchmark the running Tokensmith service with wrk: token issuance and token introspection.

By default this starts its own server (``tokensmith serve`` on free 127.0.0.1 ports, a temporary
data directory), configures it through the admin API, checks how connections spread across the
workers, runs each scenario for a short warm-up and then for ``--duration`` seconds, stops the
server, prints a table and writes the results as JSON. ``--url`` targets a running server instead.

    .venv/bin/python bench/run.py --duration 10

See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import httpx

from admin import (
    CLIENT_AUTHORIZATION,
    INTROSPECT_PATH,
    JWT_MANAGERS,
    TOKEN_PATH,
    AdminError,
    atm_id,
    check_introspection,
    configure,
    configure_jwt,
    issue_tokens,
)
from rsalimit import RsaLimit
from rsalimit import measure as measure_rsa_limit
from spread import Spread, established_connections, measure_spread
from sts import STS_PATH, check_sts, configure_sts, configure_sts_username
from tsserver import HOST, ServerError, ServerProcess, cpu_seconds, heartbeat, machine_busy_seconds
from wrkrun import INSTALL_HINT, WrkError, WrkResult, find_wrk, run_wrk, wrk_version

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_JSON = BENCH_DIR / "results" / "latest.json"
SCENARIOS = ("issue", "introspect", *JWT_MANAGERS, "sts", "sts-username")
# Scenarios that cost one RSA-2048 signature per response: their rate is also shown as a share of the
# machine's RSA signing limit, measured by the harness just before each of them.
RSA_BOUND = ("jwt-rs256", "sts", "sts-username")
FORM_HEADERS = {"Authorization": CLIENT_AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded"}
# What the service is meant to reach on a 2-core machine (compared against, never enforced). RSA-bound
# scenarios have a share of the measured RSA-2048 signing limit (percent) instead of a fixed rate.
TARGETS: dict[str, dict[str, float]] = {
    "issue": {"min_requests_per_s": 15_000, "max_p99_ms": 10.0},
    "introspect": {"min_requests_per_s": 20_000, "max_p99_ms": 10.0},
    "jwt-rs256": {"min_rsa_share_pct": 80.0, "max_p99_ms": 50.0},
    "jwt-es256": {"min_requests_per_s": 12_000, "max_p99_ms": 10.0},
    "sts": {"min_rsa_share_pct": 70.0, "max_p99_ms": 50.0},
    "sts-username": {"min_rsa_share_pct": 50.0, "max_p99_ms": 50.0},
}


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--workers", type=int, default=2, help="server worker processes (default 2; own server only)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections, and connections for the "
                   "worker-spread check (default 32)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured scenario (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each scenario "
                   "(default 2; 0 = none)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON,
                   help="where to write the results (default bench/results/latest.json)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help=f"comma-separated subset of: {', '.join(SCENARIOS)} (default all)")
    p.add_argument("--rsa-seconds", type=int, default=3, help="seconds of `openssl speed rsa2048` on every core "
                   "before each RSA-bound scenario (default 3; 0 = do not measure the RSA limit)")
    p.add_argument("--tokens", type=int, default=1000, help="tokens issued for the introspect scenario "
                   "(default 1000)")
    p.add_argument("--check-sample", type=int, default=100, help="tokens introspected by the correctness "
                   "spot checks before and after the introspect scenario (default 100)")
    p.add_argument("--url", default=None, help="benchmark this running server (runtime base URL, e.g. "
                   "http://127.0.0.1:9031) instead of starting one")
    p.add_argument("--admin-url", default=None, help="its admin listener (default: the --url host on port 9999)")
    p.add_argument("--admin-user", default="administrator", help="admin user with --url (default administrator)")
    p.add_argument("--admin-password", default=os.environ.get("TOKENSMITH_ADMIN_PASSWORD"),
                   help="admin password with --url (default: $TOKENSMITH_ADMIN_PASSWORD)")
    p.add_argument("--tokensmith", type=Path, default=Path(sys.executable).parent / "tokensmith",
                   help="the tokensmith executable for the own server (default: beside this Python)")
    args = p.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown or not chosen:
        p.error(f"--scenarios: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(SCENARIOS)}")
    args.scenario_list = [s for s in SCENARIOS if s in chosen]
    if args.duration < 1 or args.duration > 3600:
        p.error("--duration must be between 1 and 3600 seconds")
    if args.warmup < 0 or args.warmup > 60:
        p.error("--warmup must be between 0 and 60 seconds")
    if args.threads < 1 or args.connections < args.threads:
        p.error("--threads must be at least 1 and at most --connections")
    if args.workers < 1:
        p.error("--workers must be at least 1")
    if args.tokens < 1:
        p.error("--tokens must be at least 1")
    if not 0 <= args.rsa_seconds <= 60:
        p.error("--rsa-seconds must be between 0 and 60")
    if args.url:
        args.url = args.url.rstrip("/")
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            p.error("--url must look like http://HOST:PORT")
        if args.admin_url is None:
            args.admin_url = f"{parts.scheme}://{parts.hostname}:9999"
        args.admin_url = args.admin_url.rstrip("/")
        if not args.admin_password:
            p.error("--url needs --admin-password (or TOKENSMITH_ADMIN_PASSWORD)")
    return args


# --------------------------------------------------------------------------- facts for the results file


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def machine_info(wrk: str) -> dict[str, Any]:
    try:
        version: str | None = metadata.version("tokensmith")
    except metadata.PackageNotFoundError:
        version = None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "tokensmith_version": version,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "wrk": wrk_version(wrk),
    }


# --------------------------------------------------------------------------- scenarios


@dataclass
class Target:
    url: str
    admin_url: str
    admin_user: str
    admin_password: str
    own: ServerProcess | None
    pid_labels: dict[int, str] = field(default_factory=dict)  # worker pid -> label, from the spread check

    def server_cpu(self) -> float | None:
        return cpu_seconds(self.own.server_pids) if self.own is not None else None

    def connection_split(self) -> dict[str, int] | None:
        """Established connections per worker right now (own server only)."""
        if self.own is None:
            return None
        port = urlsplit(self.url).port or 80
        counts = established_connections(self.own.worker_pids, port)
        return {self.pid_labels.get(pid, f"pid {pid}"): n for pid, n in sorted(counts.items())}


@dataclass
class ScenarioOutcome:
    name: str
    result: WrkResult | None = None
    warmup: WrkResult | None = None
    server_cpu_s: float | None = None
    machine_cpu_s: float | None = None
    connection_split: dict[str, int] | None = None  # worker label (or pid) -> wrk connections, mid-run
    rsa_limit: RsaLimit | None = None  # measured just before the measured run (RSA-bound scenarios)
    checks: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rsa_share(self) -> float | None:
        """req/s as a percentage of the RSA-2048 signing limit, for RSA-bound scenarios."""
        if self.rsa_limit is None or self.result is None:
            return None
        return self.rsa_limit.share(self.result.rate)

    @property
    def rsa_cpu_share(self) -> float | None:
        """The share of the server's CPU time per response that one signature's CPU time accounts for."""
        if self.rsa_limit is None or self.result is None or not self.server_cpu_s or not self.result.requests:
            return None
        return 100.0 * self.rsa_limit.cpu_per_signature / (self.server_cpu_s / self.result.requests)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": not self.problems, "problems": self.problems, "checks": self.checks,
                               "wrk_connections_per_worker": self.connection_split}
        if self.warmup is not None:
            out["warmup"] = self.warmup.as_dict()
        if self.result is not None:
            out["result"] = self.result.as_dict()
            seconds = self.result.duration_s or 1.0
            out["wrk_cpu_cores"] = round(self.result.wrk_cpu_s / seconds, 2)
            if self.server_cpu_s is not None:
                out["server_cpu_cores"] = round(self.server_cpu_s / seconds, 2)
            if self.machine_cpu_s is not None:
                out["machine_busy_cores"] = round(self.machine_cpu_s / seconds, 2)
                if self.server_cpu_s is not None:
                    other = self.machine_cpu_s - self.server_cpu_s - self.result.wrk_cpu_s
                    out["other_processes_cores"] = round(max(0.0, other) / seconds, 2)
            if self.rsa_limit is not None:
                out["rsa_limit"] = self.rsa_limit.as_dict()
                out["rsa_share_pct"] = round(self.rsa_share or 0.0, 1)
                if self.rsa_cpu_share is not None:
                    out["rsa_cpu_share_pct"] = round(self.rsa_cpu_share, 1)
                    out["server_cpu_us_per_request"] = round(1e6 * (self.server_cpu_s or 0) / self.result.requests, 1)
            target = TARGETS.get(self.name)
            if target:
                out["target"] = {**target, "met": meets_target(self)}
        return out


def meets_target(outcome: ScenarioOutcome) -> bool | None:
    """Whether the scenario met its target; None when it has a share target but no RSA limit was measured."""
    target, result = TARGETS[outcome.name], outcome.result
    assert result is not None
    if result.latency_us["p99"] / 1000.0 > target["max_p99_ms"]:
        return False
    if "min_rsa_share_pct" in target:
        share = outcome.rsa_share
        return None if share is None else share >= target["min_rsa_share_pct"]
    return result.rate >= target["min_requests_per_s"]


def measure(outcome: ScenarioOutcome, target: Target, args: argparse.Namespace, wrk: str, path: str,
            script: str, script_args: list[str]) -> None:
    """Warm-up, then the measured run (with the server's CPU time around it)."""
    def once(seconds: float) -> WrkResult:
        return run_wrk(wrk, target.url + path, script, script_args, duration=seconds,
                       connections=args.connections, threads=args.threads, headers=FORM_HEADERS)

    if args.warmup > 0:
        log(f"{outcome.name}: warm-up {args.warmup:g}s")
        outcome.warmup = once(args.warmup)
    if outcome.name in RSA_BOUND and args.rsa_seconds > 0:
        outcome.rsa_limit = measure_rsa_limit(args.rsa_seconds)
        log(f"{outcome.name}: RSA-2048 signing limit {outcome.rsa_limit.signatures_per_s:,.0f}/s "
            f"({outcome.rsa_limit.method})")
    log(f"{outcome.name}: measuring {args.duration:g}s, {args.connections} connections, {args.threads} "
        "wrk thread(s)")
    def sample() -> None:
        outcome.connection_split = target.connection_split()

    sampler = threading.Timer(args.duration / 2, sample)  # wrk's connections, half-way through
    sampler.daemon = True
    before, busy_before = target.server_cpu(), machine_busy_seconds()
    sampler.start()
    try:
        outcome.result = once(args.duration)
    finally:
        sampler.cancel()
    after, busy_after = target.server_cpu(), machine_busy_seconds()
    if before is not None and after is not None:
        outcome.server_cpu_s = after - before
    outcome.machine_cpu_s = busy_after - busy_before
    if outcome.result.non_2xx:
        outcome.problems.append(f"{outcome.result.non_2xx} responses with status >= 400")
    if outcome.result.socket_errors:
        outcome.problems.append(f"socket errors: {outcome.result.errors}")


def scenario_issue(target: Target, args: argparse.Namespace, wrk: str, workdir: Path,
                   rng: random.Random) -> ScenarioOutcome:
    outcome = ScenarioOutcome("issue")
    issue_tokens(target.url, 1)  # fails loudly if issuance does not work at all
    measure(outcome, target, args, wrk, TOKEN_PATH, "issue.lua", [])
    tokens = issue_tokens(target.url, 5)
    check = check_introspection(target.url, tokens, len(tokens), rng)
    outcome.checks["after"] = {"issued_and_introspected": check.as_dict()}
    if not check.ok:
        outcome.problems.append(f"tokens issued after the run are not active: {check.problems[:3]}")
    return outcome


def scenario_introspect(target: Target, args: argparse.Namespace, wrk: str, workdir: Path,
                        rng: random.Random) -> ScenarioOutcome:
    outcome = ScenarioOutcome("introspect")
    log(f"introspect: issuing {args.tokens} tokens")
    started = time.monotonic()
    tokens = issue_tokens(target.url, args.tokens)
    outcome.checks["tokens"] = {"count": len(tokens), "distinct": len(set(tokens)),
                                "issue_seconds": round(time.monotonic() - started, 2)}
    tokens_file = workdir / "tokens.txt"
    tokens_file.write_text("".join(t + "\n" for t in tokens))
    before = check_introspection(target.url, tokens, args.check_sample, rng)
    outcome.checks["before"] = before.as_dict()
    if not before.ok:
        outcome.problems.append(f"spot check before the run: {before.checked - before.active} of "
                                f"{before.checked} not active: {before.problems[:3]}")
        return outcome
    measure(outcome, target, args, wrk, INTROSPECT_PATH, "introspect.lua", [str(tokens_file)])
    after = check_introspection(target.url, tokens, args.check_sample, rng)
    outcome.checks["after"] = after.as_dict()
    if not after.ok:
        outcome.problems.append(f"spot check after the run: {after.checked - after.active} of "
                                f"{after.checked} not active: {after.problems[:3]}")
    return outcome


def scenario_sts(target: Target, args: argparse.Namespace, wrk: str, workdir: Path,
                 rng: random.Random, name: str = "sts") -> ScenarioOutcome:
    outcome = ScenarioOutcome(name)
    setup = configure_sts_username if name == "sts-username" else configure_sts
    body_file = setup(target.admin_url, target.admin_user, target.admin_password, workdir)
    problems = check_sts(target.url, body_file)
    if problems:
        outcome.problems.append(f"STS requests before the run failed: {problems[:2]}")
        return outcome
    measure(outcome, target, args, wrk, STS_PATH, "sts.lua", [str(body_file)])
    problems = check_sts(target.url, body_file)
    outcome.checks["after"] = {"signed_saml2_responses": 5 - len(problems)}
    if problems:
        outcome.problems.append(f"STS requests after the run failed: {problems[:2]}")
    return outcome


Scenario = Callable[[Target, argparse.Namespace, str, Path, random.Random], ScenarioOutcome]


def scenario_jwt(name: str) -> Scenario:
    """Issue JWTs from the manager of scenario ``name`` (see admin.JWT_MANAGERS)."""
    def run(target: Target, args: argparse.Namespace, wrk: str, workdir: Path,
            rng: random.Random) -> ScenarioOutcome:
        outcome = ScenarioOutcome(name)
        manager = atm_id(name)
        issue_tokens(target.url, 1, manager)  # fails loudly if issuance does not work at all
        measure(outcome, target, args, wrk, TOKEN_PATH, "issue_atm.lua", [manager])
        tokens = issue_tokens(target.url, 5, manager)
        check = check_introspection(target.url, tokens, len(tokens), rng)
        outcome.checks["after"] = {"issued_and_introspected": check.as_dict(),
                                   "token_sample_length": len(tokens[0])}
        if not check.ok:
            outcome.problems.append(f"JWTs issued after the run are not active: {check.problems[:3]}")
        return outcome

    return run


def scenario_sts_username(target: Target, args: argparse.Namespace, wrk: str, workdir: Path,
                          rng: random.Random) -> ScenarioOutcome:
    return scenario_sts(target, args, wrk, workdir, rng, "sts-username")


RUNNERS: dict[str, Scenario] = {"issue": scenario_issue, "introspect": scenario_introspect,
                                **{name: scenario_jwt(name) for name in JWT_MANAGERS}, "sts": scenario_sts,
                                "sts-username": scenario_sts_username}


# --------------------------------------------------------------------------- report


def table(outcomes: list[ScenarioOutcome]) -> str:
    header = f"{'scenario':<12} {'requests':>10} {'req/s':>10} {'% RSA':>6} {'p50 ms':>8} {'p90 ms':>8} " \
             f"{'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    lines = [header, "-" * len(header)]
    for o in outcomes:
        r = o.result
        if r is None:
            lines.append(f"{o.name:<12} {'failed: ' + '; '.join(o.problems)[:80]}")
            continue
        lat = r.latency_us
        share = f"{o.rsa_share:>6.1f}" if o.rsa_share is not None else f"{'':>6}"
        lines.append(f"{o.name:<12} {r.requests:>10} {r.rate:>10.1f} {share} {lat['p50'] / 1000:>8.2f} "
                     f"{lat['p90'] / 1000:>8.2f} {lat['p99'] / 1000:>8.2f} {r.non_2xx:>8} {r.socket_errors:>7}")
    return "\n".join(lines)


def notes(outcomes: list[ScenarioOutcome], spread: Spread | None) -> list[str]:
    out: list[str] = []
    if spread is not None:
        out.append(f"worker spread: {spread.describe()}")
    for o in outcomes:
        r = o.result
        if r is None:
            continue
        seconds = r.duration_s or 1.0
        cpu = f"wrk used {r.wrk_cpu_s / seconds:.2f} cores"
        if o.server_cpu_s is not None:
            cpu += f", server {o.server_cpu_s / seconds:.2f} cores"
        if o.machine_cpu_s is not None:
            cpu += f", machine busy {o.machine_cpu_s / seconds:.2f} of {os.cpu_count()} cores"
            if o.server_cpu_s is not None:
                other = max(0.0, o.machine_cpu_s - o.server_cpu_s - r.wrk_cpu_s)
                if other / seconds >= 0.1:
                    cpu += f" (other processes {other / seconds:.2f}: results may be disturbed)"
        if o.rsa_limit is not None:
            limit = o.rsa_limit
            out.append(f"{o.name}: RSA-2048 signing limit {limit.signatures_per_s:,.0f}/s on {limit.cores} cores "
                       f"({limit.signatures_per_s / max(1, limit.cores):,.0f} per core; {limit.method}, load "
                       f"average {limit.load_average[0]:.2f}); {r.rate:,.0f} req/s = {o.rsa_share:.1f} % of it")
            if o.rsa_cpu_share is not None and o.server_cpu_s:
                out.append(f"{o.name}: server CPU {1e6 * o.server_cpu_s / r.requests:,.0f} us per response, one "
                           f"signature {1e6 * limit.cpu_per_signature:,.0f} us: {o.rsa_cpu_share:.1f} % of the "
                           "server's CPU is the signature")
        target = TARGETS.get(o.name)
        if target:
            met = meets_target(o)
            verdict = "met" if met else "MISSED" if met is not None else "not judged (no RSA limit)"
            wanted = (f"{target['min_rsa_share_pct']:g} % of the RSA limit" if "min_rsa_share_pct" in target
                      else f"{target['min_requests_per_s']:,.0f} req/s")
            out.append(f"{o.name}: target >= {wanted} with p99 <= {target['max_p99_ms']:g} ms: {verdict}; {cpu}")
        if o.connection_split:
            split = ", ".join(f"{label}: {n}" for label, n in sorted(o.connection_split.items()))
            out.append(f"{o.name}: wrk connections per worker (mid-run): {split}")
        for problem in o.problems:
            out.append(f"{o.name}: PROBLEM: {problem}")
    return out


# --------------------------------------------------------------------------- main


def _raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the server


def run(args: argparse.Namespace, wrk: str) -> int:
    started_at = datetime.now(UTC)
    info = machine_info(wrk)
    rng = random.Random(1234)
    outcomes: list[ScenarioOutcome] = []
    spread: Spread | None = None
    server_info: dict[str, Any] = {}
    fatal: str | None = None
    with tempfile.TemporaryDirectory(prefix="tokensmith-bench-") as tmp:
        workdir = Path(tmp)
        own: ServerProcess | None = None
        try:
            if args.url:
                target = Target(args.url, args.admin_url, args.admin_user, args.admin_password, None)
                server_info = {"mode": "external", "url": args.url, "admin_url": args.admin_url}
            else:
                password = secrets.token_urlsafe(18)
                own = ServerProcess(args.tokensmith, workdir / "data", args.workers, password, workdir / "server.log")
                log(f"starting {' '.join(own.argv())}")
                own.start()
                own.wait_ready()
                log(f"server ready: {own.url} (admin {own.admin_url}), worker pids {own.worker_pids}")
                target = Target(own.url, own.admin_url, "administrator", password, own)
                server_info = {"mode": "own", "url": own.url, "admin_url": own.admin_url, "workers": args.workers}
            configured = configure(target.admin_url, target.admin_user, target.admin_password, fresh=own is not None)
            server_info["configuration"] = configured.actions
            jwt_scenarios = [s for s in args.scenario_list if s in JWT_MANAGERS]
            if jwt_scenarios:
                server_info["configuration"] += configure_jwt(target.admin_url, target.admin_user,
                                                              target.admin_password, jwt_scenarios)
            parts = urlsplit(target.url)
            if parts.scheme == "http":
                status, _ = heartbeat(parts.hostname or HOST, parts.port or 80)
                if status != 200:
                    raise ServerError(f"heartbeat answered {status}")
                spread = measure_spread(parts.hostname or HOST, parts.port or 80, args.connections,
                                        args.workers if own is not None else None,
                                        own.worker_pids if own is not None else None)
                target.pid_labels = {pid: label for label, pid in spread.worker_pids.items()}
                log(f"worker spread: {spread.describe()}")
            for name in args.scenario_list:
                try:
                    outcomes.append(RUNNERS[name](target, args, wrk, workdir, rng))
                except (WrkError, AdminError, httpx.HTTPError) as exc:
                    outcomes.append(ScenarioOutcome(name, problems=[f"{type(exc).__name__}: {exc}"]))
                log(f"{name}: done")
        except (ServerError, AdminError, WrkError, httpx.HTTPError, OSError) as exc:
            fatal = f"{type(exc).__name__}: {exc}"
            if own is not None:
                fatal += f"\nserver log (last lines):\n{own.log_tail()}"
        finally:
            if own is not None:
                code = own.stop()
                server_info["exit_status"] = code
                log(f"server stopped (exit status {code})")
                if code not in (0, None):
                    print(f"server log (last lines):\n{own.log_tail()}", file=sys.stderr)

    finished_at = datetime.now(UTC)
    ok = fatal is None and all(not o.problems for o in outcomes)
    document = {
        "schema": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished_at.isoformat(timespec="seconds"),
        "machine": {**info, "load_average_at_finish": [round(x, 2) for x in os.getloadavg()]},
        "parameters": {"workers": args.workers if not args.url else None, "connections": args.connections,
                       "duration_s": args.duration, "warmup_s": args.warmup, "threads": args.threads,
                       "scenarios": args.scenario_list, "tokens": args.tokens, "check_sample": args.check_sample,
                       "url": args.url},
        "server": server_info,
        "worker_spread": spread.as_dict() if spread is not None else None,
        "scenarios": {o.name: o.as_dict() for o in outcomes},
        "targets": TARGETS,
        "fatal": fatal,
        "ok": ok,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")

    print()
    print(table(outcomes))
    print()
    for line in notes(outcomes, spread):
        print(line)
    if fatal:
        print(f"FAILED: {fatal}")
    print(f"results: {args.json}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = find_wrk()
    if wrk is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 3
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    return run(args, wrk)


if __name__ == "__main__":
    sys.exit(main())

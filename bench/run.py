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
from outcome import RSA_BOUND, TARGETS, ScenarioOutcome, medians, notes, run_label, table
from rsalimit import measure as measure_rsa_limit
from spread import Spread, established_connections, measure_spread
from sts import STS_PATH, check_sts, configure_sts, configure_sts_username
from tsserver import HOST, ServerError, ServerProcess, cpu_seconds, heartbeat, machine_busy_seconds, server_python
from wrkrun import INSTALL_HINT, WrkError, WrkResult, find_wrk, run_wrk, wrk_version

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_JSON = BENCH_DIR / "results" / "latest.json"
SCENARIOS = ("issue", "introspect", *JWT_MANAGERS, "sts", "sts-username")
FORM_HEADERS = {"Authorization": CLIENT_AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded"}


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
    p.add_argument("--repeat", type=int, default=1, help="run every chosen scenario this many times, the "
                   "scenarios taking turns, and judge each target by the median (default 1)")
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
    if not 1 <= args.repeat <= 9:
        p.error("--repeat must be between 1 and 9")
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
        "python_executable": sys.executable,
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
    if outcome.rsa_limit is not None:
        outcome.rsa_limit_after = measure_rsa_limit(args.rsa_seconds)
        log(f"{outcome.name}: RSA-2048 signing limit after the run {outcome.rsa_limit_after.signatures_per_s:,.0f}/s")
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
                interpreter = server_python(args.tokensmith)
                log(f"server interpreter: {interpreter or 'unknown'}")
                server_info = {"mode": "own", "url": own.url, "admin_url": own.admin_url, "workers": args.workers,
                               "python": interpreter}
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
            for run_number in range(1, args.repeat + 1):  # the scenarios take turns
                for name in args.scenario_list:
                    try:
                        outcome = RUNNERS[name](target, args, wrk, workdir, rng)
                    except (WrkError, AdminError, httpx.HTTPError) as exc:
                        outcome = ScenarioOutcome(name, problems=[f"{type(exc).__name__}: {exc}"])
                    outcome.run = run_number
                    outcomes.append(outcome)
                    log(f"{run_label(outcome, args.repeat)}: done")
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
    summary = medians(outcomes, args.scenario_list) if args.repeat > 1 else []
    ok = fatal is None and all(not o.problems for o in outcomes)
    document = {
        "schema": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished_at.isoformat(timespec="seconds"),
        "machine": {**info, "load_average_at_finish": [round(x, 2) for x in os.getloadavg()]},
        "parameters": {"workers": args.workers if not args.url else None, "connections": args.connections,
                       "duration_s": args.duration, "warmup_s": args.warmup, "threads": args.threads,
                       "scenarios": args.scenario_list, "repeat": args.repeat, "tokens": args.tokens,
                       "check_sample": args.check_sample,
                       "url": args.url},
        "server": server_info,
        "worker_spread": spread.as_dict() if spread is not None else None,
        "scenarios": ({o.name: o.as_dict() for o in outcomes} if args.repeat == 1 else
                      {name: {"runs": [o.as_dict() for o in outcomes if o.name == name],
                              "median": next((m.as_dict() for m in summary if m.name == name), None)}
                       for name in args.scenario_list}),
        "targets": TARGETS,
        "fatal": fatal,
        "ok": ok,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")

    print()
    print(table(outcomes, args.repeat))
    print()
    for line in notes(outcomes, spread, args.repeat):
        print(line)
    if summary:
        print()
        for median in summary:
            print(median.describe(TARGETS.get(median.name)))
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

"""What one benchmark run of a scenario produced, its targets, and the report printed from them.

``bench/run.py`` runs the scenarios; this module holds their outcomes (wrk's result, the CPU used,
the RSA-2048 limit measured before and after an RSA-bound run), judges each against its target and
writes the table and the notes below it, including the medians of ``--repeat`` runs
(:mod:`summary`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from rsalimit import RsaLimit
from spread import Spread
from summary import Median, judge, median_of
from wrkrun import WrkResult

# Scenarios that cost one RSA-2048 signature per response: their rate is also shown as a share of the
# machine's RSA signing limit, measured by the harness just before and just after each of them.
RSA_BOUND = ("jwt-rs256", "sts", "sts-username")
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


@dataclass
class ScenarioOutcome:
    name: str
    result: WrkResult | None = None
    warmup: WrkResult | None = None
    server_cpu_s: float | None = None
    machine_cpu_s: float | None = None
    connection_split: dict[str, int] | None = None  # worker label (or pid) -> wrk connections, mid-run
    rsa_limit: RsaLimit | None = None  # measured just before the measured run (RSA-bound scenarios)
    rsa_limit_after: RsaLimit | None = None  # and just after it
    run: int = 1  # which of the --repeat runs of this scenario
    checks: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.result.rate if self.result is not None else None

    @property
    def p99_ms(self) -> float | None:
        return self.result.latency_us["p99"] / 1000.0 if self.result is not None else None

    @property
    def _limits(self) -> list[RsaLimit]:
        return [limit for limit in (self.rsa_limit, self.rsa_limit_after) if limit is not None]

    @property
    def limit_per_s(self) -> float | None:
        """The RSA-2048 limit during the run: the mean of the measurements before and after it (the
        machine's speed drifts within minutes; the two together bracket the measured run)."""
        limits = self._limits
        return sum(limit.signatures_per_s for limit in limits) / len(limits) if limits else None

    @property
    def cpu_per_signature(self) -> float | None:
        limits = self._limits
        return sum(limit.cpu_per_signature for limit in limits) / len(limits) if limits else None

    @property
    def rsa_share(self) -> float | None:
        """req/s as a percentage of the RSA-2048 signing limit, for RSA-bound scenarios."""
        limit = self.limit_per_s
        if limit is None or self.result is None:
            return None
        return 100.0 * self.result.rate / limit if limit > 0 else 0.0

    @property
    def rsa_cpu_share(self) -> float | None:
        """The share of the server's CPU time per response that one signature's CPU time accounts for."""
        cpu = self.cpu_per_signature
        if cpu is None or self.result is None or not self.server_cpu_s or not self.result.requests:
            return None
        return 100.0 * cpu / (self.server_cpu_s / self.result.requests)

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
                if self.rsa_limit_after is not None:
                    out["rsa_limit_after"] = self.rsa_limit_after.as_dict()
                out["rsa_limit_used_per_s"] = round(self.limit_per_s or 0.0, 1)
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
    result = outcome.result
    assert result is not None
    return judge(TARGETS[outcome.name], result.rate, result.latency_us["p99"] / 1000.0, outcome.rsa_share)


# --------------------------------------------------------------------------- report


def run_label(o: ScenarioOutcome, repeat: int) -> str:
    return f"{o.name} #{o.run}" if repeat > 1 else o.name


def table(outcomes: list[ScenarioOutcome], repeat: int = 1) -> str:
    header = f"{'scenario':<15} {'requests':>10} {'req/s':>10} {'% RSA':>6} {'p50 ms':>8} {'p90 ms':>8} " \
             f"{'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    lines = [header, "-" * len(header)]
    for o in outcomes:
        r = o.result
        if r is None:
            lines.append(f"{run_label(o, repeat):<15} {'failed: ' + '; '.join(o.problems)[:80]}")
            continue
        lat = r.latency_us
        share = f"{o.rsa_share:>6.1f}" if o.rsa_share is not None else f"{'':>6}"
        lines.append(f"{run_label(o, repeat):<15} {r.requests:>10} {r.rate:>10.1f} {share} {lat['p50'] / 1000:>8.2f} "
                     f"{lat['p90'] / 1000:>8.2f} {lat['p99'] / 1000:>8.2f} {r.non_2xx:>8} {r.socket_errors:>7}")
    return "\n".join(lines)


def notes(outcomes: list[ScenarioOutcome], spread: Spread | None, repeat: int = 1) -> list[str]:
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
        name = run_label(o, repeat)
        if o.rsa_limit is not None:
            limit, used = o.rsa_limit, o.limit_per_s or 0.0
            after = o.rsa_limit_after
            bracket = f"{limit.signatures_per_s:,.0f}/s before, {after.signatures_per_s:,.0f}/s after the run" \
                if after is not None else f"{limit.signatures_per_s:,.0f}/s before the run"
            out.append(f"{name}: RSA-2048 signing limit {used:,.0f}/s on {limit.cores} cores "
                       f"({used / max(1, limit.cores):,.0f} per core; {bracket}; {limit.method}, load "
                       f"average {limit.load_average[0]:.2f}); {r.rate:,.0f} req/s = {o.rsa_share:.1f} % of it")
            if o.rsa_cpu_share is not None and o.server_cpu_s:
                out.append(f"{name}: server CPU {1e6 * o.server_cpu_s / r.requests:,.0f} us per response, one "
                           f"signature {1e6 * (o.cpu_per_signature or 0.0):,.0f} us: {o.rsa_cpu_share:.1f} % of "
                           "the server's CPU is the signature")
        target = TARGETS.get(o.name)
        if target:
            met = meets_target(o)
            verdict = "met" if met else "MISSED" if met is not None else "not judged (no RSA limit)"
            wanted = (f"{target['min_rsa_share_pct']:g} % of the RSA limit" if "min_rsa_share_pct" in target
                      else f"{target['min_requests_per_s']:,.0f} req/s")
            out.append(f"{name}: target >= {wanted} with p99 <= {target['max_p99_ms']:g} ms: {verdict}; {cpu}")
        if o.connection_split:
            split = ", ".join(f"{label}: {n}" for label, n in sorted(o.connection_split.items()))
            out.append(f"{name}: wrk connections per worker (mid-run): {split}")
        for problem in o.problems:
            out.append(f"{name}: PROBLEM: {problem}")
    return out


def medians(outcomes: list[ScenarioOutcome], names: list[str]) -> list[Median]:
    """Per scenario, the median of its runs (``--repeat``)."""
    found = []
    for name in names:
        median = median_of(name, [o for o in outcomes if o.name == name], TARGETS.get(name))
        if median is not None:
            found.append(median)
    return found

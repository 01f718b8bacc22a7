"""The median of repeated runs of a scenario (``bench/run.py --repeat N``).

On a shared or unsteady machine one 10-second run of an RSA-bound scenario can land several points
above or below another run made a minute later: the CPU a neighbour takes slows the server's
Python code and ``openssl speed`` by different amounts. One figure then says more about the minute
than about the server. With ``--repeat N`` every chosen scenario runs N times, the scenarios taking
turns (A B C A B C ...), so that a slow minute touches every scenario about equally; this module
reduces each scenario's runs to the figures a verdict is based on: the median rate, the median
share of the RSA limit, the worst p99, and in how many runs the target was met.

The median is judged against the target like one run is, so it is never better than the middle
run; every run stays in the table and the JSON file.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Run(Protocol):
    """What one measured run provides (``run.ScenarioOutcome``)."""

    name: str

    @property
    def rate(self) -> float | None: ...

    @property
    def p99_ms(self) -> float | None: ...

    @property
    def rsa_share(self) -> float | None: ...


@dataclass(frozen=True)
class Median:
    name: str
    runs: int  # runs that produced a result
    rate: float
    rate_low: float
    rate_high: float
    p99_ms_worst: float
    rsa_share: float | None  # median share of the RSA limit, percent (RSA-bound scenarios)
    rsa_share_low: float | None
    rsa_share_high: float | None
    met_runs: int  # runs that met the scenario's target
    met: bool | None  # the median share (or rate) and the worst p99 against the target; None: no target

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"runs": self.runs, "requests_per_s": round(self.rate, 1),
                               "requests_per_s_range": [round(self.rate_low, 1), round(self.rate_high, 1)],
                               "p99_ms_worst": round(self.p99_ms_worst, 2), "target_met_in_runs": self.met_runs,
                               "target_met_by_median": self.met}
        if self.rsa_share is not None:
            out["rsa_share_pct"] = round(self.rsa_share, 1)
            out["rsa_share_pct_range"] = [round(self.rsa_share_low or 0.0, 1), round(self.rsa_share_high or 0.0, 1)]
        return out

    def describe(self, target: dict[str, float] | None) -> str:
        text = (f"{self.name}: median of {self.runs} runs {self.rate:,.0f} req/s "
                f"({self.rate_low:,.0f}-{self.rate_high:,.0f})")
        if self.rsa_share is not None:
            text += f", {self.rsa_share:.1f} % of the RSA limit ({self.rsa_share_low:.1f}-{self.rsa_share_high:.1f})"
        text += f", worst p99 {self.p99_ms_worst:.1f} ms"
        if target is not None and self.met is not None:
            text += f"; target met in {self.met_runs} of {self.runs} runs, by the median: " + \
                    ("met" if self.met else "MISSED")
        return text


def judge(target: dict[str, float], rate: float, p99_ms: float, share: float | None) -> bool | None:
    """Whether figures meet ``target``: p99 within its bound, and the share of the RSA limit (or the
    rate) at least its minimum; None for a share target without a measured share. One run and the
    median of several (median rate and share, worst p99) are judged by the same rule."""
    if p99_ms > target["max_p99_ms"]:
        return False
    if "min_rsa_share_pct" in target:
        return None if share is None else share >= target["min_rsa_share_pct"]
    return rate >= target["min_requests_per_s"]


def median_of(name: str, runs: Sequence[Run], target: dict[str, float] | None) -> Median | None:
    """The median figures of ``runs`` (those with a result), or None when none has one."""
    done = [r for r in runs if r.rate is not None and r.p99_ms is not None]
    if not done:
        return None
    rates = [float(r.rate or 0.0) for r in done]
    shares = [r.rsa_share for r in done if r.rsa_share is not None]
    share = statistics.median(shares) if shares else None
    worst = max(float(r.p99_ms or 0.0) for r in done)
    met_runs = 0 if target is None else \
        sum(1 for r in done if judge(target, float(r.rate or 0.0), float(r.p99_ms or 0.0), r.rsa_share))
    return Median(name=name, runs=len(done), rate=statistics.median(rates), rate_low=min(rates),
                  rate_high=max(rates), p99_ms_worst=worst, rsa_share=share,
                  rsa_share_low=min(shares) if shares else None, rsa_share_high=max(shares) if shares else None,
                  met_runs=met_runs,
                  met=None if target is None else judge(target, statistics.median(rates), worst, share))

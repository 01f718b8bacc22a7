"""The benchmark's verdicts: the RSA limit bracketing a run, and the median of repeated runs.

``bench/run.py --repeat N`` judges a target by the median of N runs, never by the best one, and
the share of the RSA limit uses the mean of the limits measured just before and just after the run.
These tests build outcomes by hand (no server, no wrk, nothing timed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from outcome import TARGETS, ScenarioOutcome, medians, meets_target, notes, table
from rsalimit import RsaLimit
from wrkrun import WrkResult


def _limit(per_s: float, cpu_us: float = 800.0) -> RsaLimit:
    return RsaLimit(per_s, 2, 3, "openssl speed -seconds 3 -multi 2 rsa2048", (0.5, 0.5, 0.5), cpu_us / 1e6)


def _outcome(name: str, rate: float, p99_ms: float, before: float | None = 2000.0, after: float | None = None,
             run: int = 1) -> ScenarioOutcome:
    result = WrkResult(requests=int(rate * 10), duration_s=10.0, bytes=0,
                       latency_us={"p50": 1000.0, "p90": 2000.0, "p99": p99_ms * 1000.0}, errors={}, wrk_cpu_s=0.5)
    return ScenarioOutcome(name, result=result, server_cpu_s=19.0,
                           rsa_limit=_limit(before) if before is not None else None,
                           rsa_limit_after=_limit(after) if after is not None else None, run=run)


def test_share_uses_the_mean_of_the_limits_before_and_after() -> None:
    outcome = _outcome("sts", 1500.0, 20.0, before=2400.0, after=1600.0)
    assert outcome.limit_per_s == pytest.approx(2000.0)
    assert outcome.rsa_share == pytest.approx(75.0)
    assert meets_target(outcome) is True
    assert outcome.as_dict()["rsa_limit_used_per_s"] == 2000.0
    assert outcome.as_dict()["rsa_limit_after"]["signatures_per_s"] == 1600.0
    line = next(n for n in notes([outcome], None) if "signing limit" in n)
    assert "2,400/s before, 1,600/s after the run" in line


def test_one_limit_only_when_none_was_measured_after() -> None:
    outcome = _outcome("sts", 1500.0, 20.0, before=2000.0)
    assert outcome.rsa_share == pytest.approx(75.0)
    assert "rsa_limit_after" not in outcome.as_dict()
    assert _outcome("sts", 1500.0, 20.0, before=None).rsa_share is None


def test_median_of_repeated_runs_is_judged_not_the_best_run() -> None:
    runs = [_outcome("sts", rate, 20.0, run=i + 1) for i, rate in enumerate((1300.0, 1500.0, 1340.0))]
    [median] = medians(runs, ["sts"])
    assert median.runs == 3
    assert median.rsa_share == pytest.approx(67.0)  # 1,340 of 2,000
    assert (median.rsa_share_low, median.rsa_share_high) == (pytest.approx(65.0), pytest.approx(75.0))
    assert median.met_runs == 1  # only the 1,500 run reached 70 %
    assert median.met is False
    assert "target met in 1 of 3 runs, by the median: MISSED" in median.describe(TARGETS["sts"])
    assert "sts #3" in table(runs, repeat=3)


def test_worst_p99_decides_even_when_the_median_share_is_met() -> None:
    runs = [_outcome("jwt-rs256", 1700.0, p99, run=i + 1) for i, p99 in enumerate((20.0, 80.0, 21.0))]
    [median] = medians(runs, ["jwt-rs256"])
    assert median.rsa_share == pytest.approx(85.0)
    assert median.p99_ms_worst == pytest.approx(80.0)
    assert median.met is False
    assert median.met_runs == 2


def test_scenarios_without_a_target_or_a_result() -> None:
    runs = [_outcome("jwt-hs256", rate, 5.0, before=None, run=i + 1) for i, rate in enumerate((9000.0, 11000.0))]
    runs.append(ScenarioOutcome("sts", problems=["wrk failed"]))
    [median] = medians(runs, ["jwt-hs256", "sts"])
    assert median.name == "jwt-hs256" and median.rate == pytest.approx(10000.0)
    assert median.met is None and median.rsa_share is None
    assert median.as_dict()["requests_per_s_range"] == [9000.0, 11000.0]

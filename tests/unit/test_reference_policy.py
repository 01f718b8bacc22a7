"""The reference token manager's lifetime-extension rule, including property-based checks."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from tokensmith.atm.reference import ReferencePolicy
from tokensmith.state.base import AccessTokenRecord


def _policy(policy: str = "ALL", lifetime: float = 3600, maximum: float | None = None,
            threshold: float = 0.3) -> ReferencePolicy:
    return ReferencePolicy(28, lifetime, policy, maximum, threshold, "3", 500, False)


def _record(issued: float, expires: float, grant: str | None = None) -> AccessTokenRecord:
    return AccessTokenRecord(b"h", "atm", "c", "", {}, issued, expires, grant)


def test_threshold_boundary_is_strictly_below() -> None:
    policy = _policy()
    record = _record(0, 3600)
    assert policy.extended_expiry(record, 3600 - 1080) is None  # exactly 30 % left
    assert policy.extended_expiry(record, 3600 - 1079) == 3600 - 1079 + 3600


def test_policies() -> None:
    record = _record(0, 3600, grant="g")
    assert _policy("NONE").extended_expiry(record, 3000) is None
    assert _policy("TRANSIENT").extended_expiry(record, 3000) is None
    assert _policy("TRANSIENT").extended_expiry(_record(0, 3600), 3000) == 6600
    assert _policy("ALL").extended_expiry(record, 3000) == 6600


def test_initial_expiry_respects_maximum() -> None:
    assert _policy(maximum=1800).initial_expiry(100) == 1900


@given(
    lifetime=st.integers(1, 10_000),
    threshold=st.integers(0, 100),
    maximum_extra=st.one_of(st.none(), st.integers(0, 10_000)),
    steps=st.lists(st.floats(0, 20_000, allow_nan=False), max_size=20),
)
def test_extension_never_passes_the_cap_nor_moves_back(lifetime: int, threshold: int, maximum_extra: int | None,
                                                       steps: list[float]) -> None:
    maximum = None if maximum_extra is None else float(lifetime + maximum_extra)
    policy = _policy("ALL", float(lifetime), maximum, threshold / 100)
    record = _record(0.0, policy.initial_expiry(0.0))
    now = 0.0
    for step in steps:
        now += step
        if record.expires_at <= now:
            break
        new = policy.extended_expiry(record, now)
        if new is None:
            continue
        assert new > record.expires_at
        assert record.expires_at - now < policy.threshold * policy.lifetime
        assert new <= now + lifetime
        if maximum is not None:
            assert new <= maximum
        record = replace(record, expires_at=new)

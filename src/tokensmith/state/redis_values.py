"""Conversions every part of the Redis token state shares: how long a key lives, and reply text."""

from __future__ import annotations

import math
from typing import Any


def ttl_ms(expires_at: float, now: float) -> int:
    """Milliseconds from ``now`` to ``expires_at``, rounded up and at least 1 (``PEXPIRE`` refuses 0,
    and a key must never outlive its record by being rounded down to "no expiry")."""
    return max(1, math.ceil((expires_at - now) * 1000))


def text(value: Any) -> str:
    """A reply value as text (replies are bytes unless the client decodes them)."""
    return value.decode() if isinstance(value, bytes) else str(value)

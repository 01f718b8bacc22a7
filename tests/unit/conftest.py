"""Fixtures of the unit tests: the token-state contract runs against every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tokensmith.clock import FakeClock
from tokensmith.state.base import TokenState
from tokensmith.state.memory import MemoryTokenState
from tokensmith.state.redis import RedisTokenState
from tokensmith.state.sqlite import SqliteTokenState

NOW = 100.0  # the state's clock (Redis computes its TTLs from it)


@pytest.fixture(params=["sqlite", "memory", "redis"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TokenState]:
    backend: TokenState
    if request.param == "sqlite":
        backend = SqliteTokenState(tmp_path / "t.db")
    elif request.param == "memory":
        backend = MemoryTokenState()
    else:
        backend = RedisTokenState.from_url(request.getfixturevalue("redis_url"), clock=FakeClock(NOW))
    yield backend
    await backend.close()

"""Sustained introspection of one token writes only as often as the extension threshold allows.

With a 60-minute lifetime, "Extend All Tokens" and a 30 % threshold, an introspection writes only
when less than 18 minutes are left, and the extension restores 60 minutes: one write per 42 minutes
(plus the polling step) however often the token is introspected. Measured through the real
introspection endpoint on SQLite and on a real Redis, where Redis' own command statistics confirm
the count and show that every introspection is a single lookup.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Admin, Runtime
from tests.services import RedisServer
from tokensmith.clock import FakeClock
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

MINUTE = 60.0
LIFETIME_MIN, THRESHOLD = 60, 0.30
STEP = 10.0  # seconds between introspections
DURATION = 6 * 3600.0


@pytest.fixture(params=["sqlite", "redis"])
async def cluster_node(request: pytest.FixtureRequest, settings: Settings, clock: FakeClock) -> AsyncIterator[Node]:
    if request.param == "redis":
        settings = dataclasses.replace(settings, redis_url=request.getfixturevalue("redis_url"))
    node = Node(settings, clock=clock)
    yield node
    await node.stop()


def _commandstats(server: RedisServer) -> dict[str, int]:
    with server.client() as client:
        stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(values["calls"]) for name, values in stats.items()}


async def test_sustained_introspection_writes_once_per_threshold_window(
        cluster_node: Node, settings: Settings, clock: FakeClock, request: pytest.FixtureRequest) -> None:
    transport = httpx.ASGITransport(app=build_app(cluster_node, settings), client=("192.0.2.10", 40000))
    async with httpx.AsyncClient(transport=transport) as http:
        http.headers["X-XSRF-Header"] = "PingFederate"
        admin, runtime = Admin(http), Runtime(http)
        http.auth = httpx.BasicAuth("administrator", "correct-horse-battery")
        await admin.reference_atm("ref", {"Token Lifetime": str(LIFETIME_MIN), "Lifetime Extension Policy": "ALL",
                                          "Lifetime Extension Threshold Percentage": str(int(THRESHOLD * 100))})
        await admin.client_app()
        http.auth = None
        token = (await runtime.access_token())["access_token"]

        redis = request.getfixturevalue("redis_server") if cluster_node.settings.redis_url else None
        before = _commandstats(redis) if redis else {}
        writes = cluster_node.state.writes  # type: ignore[attr-defined]
        introspections, extended_at, now = 0, [], 0.0
        previous_exp = None
        while now < DURATION:
            clock.advance(STEP)
            now += STEP
            info = await runtime.introspect(token)
            introspections += 1
            assert info["active"] is True
            if previous_exp is not None and info["exp"] != previous_exp:
                extended_at.append(now)
            previous_exp = info["exp"]
        written = cluster_node.state.writes - writes  # type: ignore[attr-defined]

    # The rule: after an extension at t the token expires at t + L; the next introspection that finds
    # less than threshold * L left is the first one after t + (1 - threshold) * L.
    window = (1 - THRESHOLD) * LIFETIME_MIN * MINUTE
    first_step = math.floor(window / STEP) * STEP + STEP  # exactly 18 minutes left is not "below"
    predicted = int(DURATION // first_step)
    assert written == len(extended_at) == predicted == 8, (written, extended_at)
    assert written <= math.ceil(DURATION / window)  # at most one write per threshold window
    gaps = [b - a for a, b in zip([0.0, *extended_at], extended_at, strict=False)]
    assert all(gap >= window for gap in gaps), gaps
    if redis is not None:
        after = _commandstats(redis)
        assert after.get("evalsha", 0) - before.get("evalsha", 0) == predicted  # Redis saw exactly these writes
        # one lookup per introspection (each extension script reads the expiry once more, inside Redis)
        assert after.get("hmget", 0) - before.get("hmget", 0) == introspections + predicted

"""A node's background work: expired tokens disappear without operator action."""

from __future__ import annotations

import asyncio
import dataclasses

from tokensmith.clock import FakeClock
from tokensmith.node import Node
from tokensmith.settings import Settings
from tokensmith.state.base import AccessTokenRecord, token_digest
from tokensmith.state.sqlite import SqliteTokenState


async def test_expired_tokens_are_purged_in_the_background(settings: Settings, clock: FakeClock) -> None:
    node = Node(dataclasses.replace(settings, purge_interval=0.01), clock=clock)
    state = node.state
    assert isinstance(state, SqliteTokenState)
    now = clock.now()
    await state.put_token(AccessTokenRecord(token_digest("short"), "a", "c", "", {}, now, now + 60))
    await state.put_token(AccessTokenRecord(token_digest("long"), "a", "c", "", {}, now, now + 3600))
    await node.start()
    try:
        clock.advance(61)
        for _ in range(500):  # poll until the purge task has run
            if state.count_tokens() == 1:
                break
            await asyncio.sleep(0.01)
        assert state.count_tokens() == 1
        assert await state.get_token(token_digest("long")) is not None
    finally:
        await node.stop()


def test_missing_master_key_with_existing_data_is_refused(settings: Settings) -> None:
    import pytest

    from tokensmith.datadir import initialise
    from tokensmith.errors import ConfigurationError

    settings.master_key_file.unlink()
    with pytest.raises(ConfigurationError, match=r"master\.key"):
        initialise(settings)
    assert not settings.master_key_file.exists()

"""``tokensmith admin unlock --device-codes`` lifts the device user page's lock on wrong codes at every
address (the command runs as a separate process against the node's token state, as an operator would)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.system.server import child_env, cli
from tokensmith.state.base import GuessRule
from tokensmith.state.sqlite import SqliteTokenState
from tokensmith.state.throttle import identity_group

RULE = GuessRule(limit=3, window=600.0, lockout=60.0, max_lockout=600.0)


def test_unlock_device_codes_clears_every_address(tmp_path: Path) -> None:
    group = identity_group("user_code", "device")

    async def lock() -> SqliteTokenState:
        state = SqliteTokenState(tmp_path / "tokens.db", checkpoint=False)
        for address in ("192.0.2.1", "192.0.2.2"):
            for _ in range(3):
                await state.add_guess_failure(f"{group}|{address}", group, RULE, 100.0)
        return state

    async def counts(state: SqliteTokenState) -> list[float]:
        found = await state.guess_counts([f"{group}|192.0.2.1", f"{group}|192.0.2.2"], 100.0)
        return [c.locked_until for c in found]

    state = asyncio.run(lock())
    assert all(until > 100.0 for until in asyncio.run(counts(state)))
    asyncio.run(state.close())
    done = cli("admin", "unlock", "--data-dir", str(tmp_path), "--device-codes", env=child_env())
    assert done.returncode == 0, done.stderr
    assert "device code entry" in done.stdout
    state = SqliteTokenState(tmp_path / "tokens.db", checkpoint=False)
    assert asyncio.run(counts(state)) == [0.0, 0.0]
    asyncio.run(state.close())

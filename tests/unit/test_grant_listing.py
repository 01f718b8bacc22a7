"""Listing persistent grants by user and by client, on every token-state backend: what the grant
management APIs and the remembered consent read. Revoked and expired grants never appear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tokensmith.clock import FakeClock
from tokensmith.state.base import GrantRecord, TokenState, token_digest
from tokensmith.state.redis import RedisTokenState
from tokensmith.state.sqlite import SqliteTokenState

NOW = 100.0


def _grant(grant_id: str, user: str, client: str, created: float, expires: float | None = None,
           kind: str = "AUTHORIZATION_CODE") -> GrantRecord:
    return GrantRecord(grant_id, token_digest("r-" + grant_id), client, "atm", user, "read write",
                       {"USER_KEY": user}, created, expires, kind)


async def test_grants_are_listed_by_user_and_by_client_oldest_first(state: TokenState) -> None:
    await state.put_grant(_grant("g2", "alice", "app", 20.0))
    await state.put_grant(_grant("g1", "alice", "tv", 10.0, kind="DEVICE_CODE"))
    await state.put_grant(_grant("g3", "bob", "app", 30.0, kind="RESOURCE_OWNER_CREDENTIALS"))
    alice = await state.list_grants(NOW, user_key="alice")
    assert [(g.grant_id, g.client_id, g.grant_type) for g in alice] == [("g1", "tv", "DEVICE_CODE"),
                                                                       ("g2", "app", "AUTHORIZATION_CODE")]
    assert alice[0].scope == "read write" and alice[0].attributes == {"USER_KEY": "alice"}
    assert [g.grant_id for g in await state.list_grants(NOW, client_id="app")] == ["g2", "g3"]
    assert await state.list_grants(NOW, user_key="carol") == []
    assert await state.list_grants(NOW, client_id="nobody") == []


async def test_revoked_and_expired_grants_are_not_listed(state: TokenState) -> None:
    await state.put_grant(_grant("keep", "alice", "app", 1.0))
    await state.put_grant(_grant("gone", "alice", "app", 2.0))
    await state.put_grant(_grant("old", "alice", "app", 3.0, expires=NOW + 50))
    await state.revoke_grant("gone")
    assert [g.grant_id for g in await state.list_grants(NOW, user_key="alice")] == ["keep", "old"]
    later = NOW + 60  # "old" has expired by then, whether or not the store has purged it yet
    assert [g.grant_id for g in await state.list_grants(later, user_key="alice")] == ["keep"]
    assert [g.grant_id for g in await state.list_grants(later, client_id="app")] == ["keep"]


async def test_user_keys_are_matched_exactly(state: TokenState) -> None:
    await state.put_grant(_grant("a", "alice", "app", 1.0))
    await state.put_grant(_grant("b", "Alice", "app", 2.0))
    await state.put_grant(_grant("c", "alice:x", "app", 3.0))
    assert [g.grant_id for g in await state.list_grants(NOW, user_key="alice")] == ["a"]
    assert [g.grant_id for g in await state.list_grants(NOW, user_key="alice:x")] == ["c"]


async def test_redis_indexes_live_as_long_as_their_longest_grant(redis_url: str) -> None:
    state = RedisTokenState.from_url(redis_url, clock=FakeClock(NOW))
    try:
        await state.put_grant(_grant("short", "dora", "app", 1.0, expires=NOW + 10))
        assert 9_900 < await state.ttl_ms("gu", "dora") <= 10_000
        await state.put_grant(_grant("long", "dora", "app", 2.0, expires=NOW + 100))
        assert 99_900 < await state.ttl_ms("gu", "dora") <= 100_000
        await state.put_grant(_grant("shorter", "dora", "app", 3.0, expires=NOW + 5))
        assert 99_900 < await state.ttl_ms("gc", "app") <= 100_000  # never shortened
        await state.put_grant(_grant("forever", "dora", "app", 4.0))
        assert await state.ttl_ms("gu", "dora") == -1  # a grant that never expires keeps its index
        await state.revoke_grant("forever")
        assert "forever" not in [g.grant_id for g in await state.list_grants(NOW, user_key="dora")]
    finally:
        await state.close()


async def test_an_older_sqlite_database_gains_the_grant_type_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("""CREATE TABLE grants (grant_id TEXT PRIMARY KEY, refresh_hash BLOB NOT NULL UNIQUE,
        client_id TEXT NOT NULL, atm_id TEXT NOT NULL, user_key TEXT NOT NULL, scope TEXT NOT NULL,
        attributes BLOB NOT NULL, created_at REAL NOT NULL, expires_at REAL);""")
    conn.execute("INSERT INTO grants VALUES ('g0', ?, 'app', 'atm', 'alice', 'read', '{}', 5.0, NULL)",
                 (token_digest("r0"),))
    conn.commit()
    conn.close()
    state = SqliteTokenState(path)
    try:
        [old] = await state.list_grants(NOW, user_key="alice")
        assert old.grant_id == "g0" and old.grant_type == ""
        await state.put_grant(_grant("g1", "alice", "app", 6.0))
        assert [g.grant_type for g in await state.list_grants(NOW, user_key="alice")] == ["", "AUTHORIZATION_CODE"]
    finally:
        await state.close()

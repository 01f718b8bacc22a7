"""The token-state contract, run against every backend (SQLite, Redis and the in-memory twin)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tokensmith.state.base import (
    CODE_MEMORY,
    NO_GUESSES,
    AccessTokenRecord,
    CodeRecord,
    DeviceRecord,
    GrantRecord,
    GuessCount,
    GuessRule,
    PushedRequestRecord,
    TokenState,
    token_digest,
)
from tokensmith.state.redis import JTI_MARGIN, RedisTokenState
from tokensmith.state.sqlite import SqliteTokenState

NOW = 100.0  # the records below are issued at this time


def _token(value: str, exp: float = 200.0, grant: str | None = None, client: str = "c") -> AccessTokenRecord:
    return AccessTokenRecord(token_digest(value), "atm", client, "read", {"a": [1, "x"]}, 100.0, exp, grant)


async def test_put_get_delete(state: TokenState) -> None:
    await state.put_token(_token("t1"))
    got = await state.get_token(token_digest("t1"))
    assert got is not None and got.attributes == {"a": [1, "x"]} and got.scope == "read"
    assert await state.get_token(token_digest("t2")) is None
    assert await state.delete_token(token_digest("t1")) is True
    assert await state.delete_token(token_digest("t1")) is False


async def test_extend_only_moves_forward(state: TokenState) -> None:
    await state.put_token(_token("t1", exp=200))
    assert await state.extend_token(token_digest("t1"), 150) is False
    assert await state.extend_token(token_digest("t1"), 300) is True
    got = await state.get_token(token_digest("t1"))
    assert got is not None and got.expires_at == 300


async def test_concurrent_writes_share_commits_and_all_land(state: TokenState) -> None:
    await asyncio.gather(*(state.put_token(_token(f"t{i}")) for i in range(200)))
    found = await asyncio.gather(*(state.get_token(token_digest(f"t{i}")) for i in range(200)))
    assert all(r is not None for r in found)


async def test_duplicate_insert_fails_alone(state: TokenState) -> None:
    await state.put_token(_token("dup"))
    results = await asyncio.gather(state.put_token(_token("dup")), state.put_token(_token("fresh")),
                                   return_exceptions=True)
    assert isinstance(results[0], Exception) and results[1] is None
    assert await state.get_token(token_digest("fresh")) is not None


async def test_grants_refresh_rolling_and_revocation(state: TokenState) -> None:
    grant = GrantRecord("g1", token_digest("r1"), "c", "atm", "alice", "read", {"u": "alice"}, 100.0, None)
    await state.put_grant(grant)
    await state.put_token(_token("a1", grant="g1"))
    await state.put_token(_token("a2", grant="g1"))
    await state.put_token(_token("other"))
    found = await state.get_grant_by_refresh(token_digest("r1"))
    assert found is not None and found.grant_id == "g1" and found.attributes == {"u": "alice"}
    assert await state.replace_refresh("g1", token_digest("r1"), token_digest("r2")) is True
    assert await state.replace_refresh("g1", token_digest("r1"), token_digest("r3")) is False
    assert await state.get_grant_by_refresh(token_digest("r1")) is None
    assert await state.revoke_grant("g1") == 2
    assert await state.get_grant("g1") is None
    assert await state.get_token(token_digest("a1")) is None
    assert await state.get_token(token_digest("other")) is not None


async def test_purge_removes_expired_tokens_and_grants(state: TokenState) -> None:
    await state.put_token(_token("old", exp=150))
    await state.put_token(_token("new", exp=500))
    await state.put_grant(GrantRecord("g", token_digest("r"), "c", "atm", "u", "", {}, 0.0, 150.0))
    await state.put_token(_token("of-grant", exp=500, grant="g"))
    if isinstance(state, RedisTokenState):
        # Redis purges by itself: every key lives exactly as long as its record (clock at NOW).
        assert await state.purge_expired(200.0) == 0
        assert 49_900 < await state.ttl_ms("t", token_digest("old").hex()) <= 50_000
        assert 399_900 < await state.ttl_ms("t", token_digest("new").hex()) <= 400_000
        assert 49_900 < await state.ttl_ms("g", "g") <= 50_000
        assert 49_900 < await state.ttl_ms("r", token_digest("r").hex()) <= 50_000
        assert 399_900 < await state.ttl_ms("gt", "g") <= 400_000  # the grant's token index: its longest token
        return
    removed = await state.purge_expired(200.0)
    assert removed == 3  # the expired token, the expired grant and the grant's token
    assert await state.get_token(token_digest("new")) is not None
    assert await state.get_token(token_digest("of-grant")) is None


async def test_two_connections_see_each_others_writes(tmp_path: Path) -> None:
    first, second = SqliteTokenState(tmp_path / "t.db"), SqliteTokenState(tmp_path / "t.db")
    try:
        await first.put_token(_token("shared"))
        assert await second.get_token(token_digest("shared")) is not None
        await second.delete_token(token_digest("shared"))
        assert await first.get_token(token_digest("shared")) is None
    finally:
        await first.close()
        await second.close()


async def test_jti_denylist_expires_with_the_token(state: TokenState) -> None:
    assert await state.is_jti_revoked("atm|jti-1", 100.0) is False
    await state.revoke_jti("atm|jti-1", 200.0)
    assert await state.is_jti_revoked("atm|jti-1", 100.0) is True
    assert await state.is_jti_revoked("atm|jti-2", 100.0) is False
    await state.revoke_jti("atm|jti-1", 150.0)  # never shortens an entry
    assert await state.is_jti_revoked("atm|jti-1", 180.0) is True
    assert await state.is_jti_revoked("atm|jti-1", 200.0) is False
    if isinstance(state, RedisTokenState):  # purged by Redis: the entry lives as long as the token (+ margin)
        assert 100_000 < await state.ttl_ms("j", "atm|jti-1") <= 100_000 + JTI_MARGIN * 1000
        return
    await state.purge_expired(250.0)
    assert await state.is_jti_revoked("atm|jti-1", 0.0) is False


async def test_shared_values_compare_and_set(state: TokenState) -> None:
    assert await state.get_shared("keys") is None
    assert await state.put_shared("keys", 1, b"x") is False  # nothing at version 1 yet
    assert await state.put_shared("keys", 0, b"first") is True
    assert await state.put_shared("keys", 0, b"again") is False  # someone else created it first
    got = await state.get_shared("keys")
    assert got is not None and got.version == 1 and got.value == b"first"
    assert await state.put_shared("keys", 1, b"second") is True
    assert await state.put_shared("keys", 1, b"stale") is False
    got = await state.get_shared("keys")
    assert got is not None and got.version == 2 and got.value == b"second"


async def test_concurrent_extensions_only_ever_move_forward(state: TokenState) -> None:
    await state.put_token(_token("t", exp=200))
    targets = [210.0 + (i * 37) % 90 for i in range(40)]  # out of order
    changed = await asyncio.gather(*(state.extend_token(token_digest("t"), t) for t in targets))
    got = await state.get_token(token_digest("t"))
    assert got is not None and got.expires_at == max(targets)
    assert sum(changed) >= 1 and sum(changed) <= len(targets)
    assert await state.extend_token(token_digest("absent"), 500) is False


async def test_one_of_concurrent_refresh_rolls_wins(state: TokenState) -> None:
    await state.put_grant(GrantRecord("g", token_digest("r0"), "c", "atm", "u", "read", {}, 100.0, None))
    results = await asyncio.gather(*(state.replace_refresh("g", token_digest("r0"), token_digest(f"r{i}"))
                                     for i in range(1, 11)))
    assert sum(results) == 1
    winner = f"r{results.index(True) + 1}"
    found = await state.get_grant_by_refresh(token_digest(winner))
    assert found is not None and found.grant_id == "g"
    for i in range(1, 11):
        if f"r{i}" != winner:
            assert await state.get_grant_by_refresh(token_digest(f"r{i}")) is None


async def test_one_of_concurrent_compare_and_sets_wins(state: TokenState) -> None:
    results = await asyncio.gather(*(state.put_shared("rotation", 0, f"v{i}".encode()) for i in range(10)))
    assert sum(results) == 1
    got = await state.get_shared("rotation")
    assert got is not None and got.version == 1 and got.value == f"v{results.index(True)}".encode()


async def test_revoking_a_grant_removes_every_token_issued_under_it(state: TokenState) -> None:
    await state.put_grant(GrantRecord("g", token_digest("r"), "c", "atm", "u", "read", {}, 100.0, None))
    await asyncio.gather(*(state.put_token(_token(f"a{i}", grant="g")) for i in range(20)))
    assert await state.revoke_grant("g") == 20
    assert await asyncio.gather(*(state.get_token(token_digest(f"a{i}")) for i in range(20))) == [None] * 20
    assert await state.get_grant_by_refresh(token_digest("r")) is None
    assert await state.revoke_grant("g") == 0


async def test_many_concurrent_lookups_all_answer(state: TokenState) -> None:
    await asyncio.gather(*(state.put_token(_token(f"m{i}")) for i in range(300)))
    found = await asyncio.wait_for(asyncio.gather(*(state.get_token(token_digest(f"m{i}")) for i in range(300)),
                                                  *(state.get_token(token_digest(f"x{i}")) for i in range(300))), 10)
    assert sum(r is not None for r in found) == 300


async def test_a_worker_never_answers_from_its_cache_after_another_worker_revoked(tmp_path: Path) -> None:
    """Two SqliteTokenState objects on one file behave like two worker processes of a node."""
    a, b = SqliteTokenState(tmp_path / "t.db"), SqliteTokenState(tmp_path / "t.db")
    try:
        await a.put_token(_token("t1", exp=500))
        await a.put_token(_token("t2", exp=500))
        assert await b.get_token(token_digest("t1")) is not None  # now cached in b
        assert await b.get_token(token_digest("t2")) is not None
        assert await a.delete_token(token_digest("t1")) is True
        assert await b.get_token(token_digest("t1")) is None
        assert await a.extend_token(token_digest("t2"), 900) is True
        got = await b.get_token(token_digest("t2"))
        assert got is not None and got.expires_at == 900
        await a.put_token(_token("t3", exp=500, grant="g1"))
        assert await b.get_token(token_digest("t3")) is not None
        await a.revoke_grant("g1")
        assert await b.get_token(token_digest("t3")) is None
    finally:
        await a.close()
        await b.close()


async def test_writes_wait_for_the_lock_without_blocking_the_event_loop(tmp_path: Path) -> None:
    import sqlite3

    state = SqliteTokenState(tmp_path / "t.db")
    other = sqlite3.connect(str(tmp_path / "t.db"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        write = asyncio.ensure_future(state.put_token(_token("t1")))
        ticks = 0
        for _ in range(20):  # the loop keeps running while the write waits
            await asyncio.sleep(0.005)
            ticks += 1
        assert not write.done() and ticks == 20
        other.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        assert await state.get_token(token_digest("t1")) is not None
    finally:
        other.close()
        await state.close()


RULE = GuessRule(limit=3, window=60.0, lockout=10.0, max_lockout=35.0)


async def test_failed_guesses_lock_a_key_then_double_the_lock(state: TokenState) -> None:
    assert await state.guess_counts(["client:c|1.2.3.4"], NOW) == [NO_GUESSES]
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW) == 0.0
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW + 1) == 0.0
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW + 2) == NOW + 12
    counts = await state.guess_counts(["client:c|1.2.3.4", "client:c|5.6.7.8"], NOW + 3)
    assert counts == [GuessCount(3, NOW + 12), NO_GUESSES]  # another address is not locked
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW + 13) == NOW + 33  # doubled
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW + 34) == NOW + 69  # capped
    # forgotten a window after the end of the last lock
    assert await state.guess_counts(["client:c|1.2.3.4"], NOW + 69 + 59) == [GuessCount(5, NOW + 69)]
    assert await state.guess_counts(["client:c|1.2.3.4"], NOW + 69 + 61) == [NO_GUESSES]
    assert await state.add_guess_failure("client:c|1.2.3.4", "client:c", RULE, NOW + 200) == 0.0


async def test_a_success_clears_one_key_and_unlock_clears_a_group(state: TokenState) -> None:
    for address in ("1.1.1.1", "2.2.2.2"):
        for i in range(3):
            await state.add_guess_failure(f"admin:root|{address}", "admin:root", RULE, NOW + i)
    await state.add_guess_failure("addr:1.1.1.1", "addr:1.1.1.1", RULE, NOW)
    await state.clear_guesses("admin:root|1.1.1.1")
    keys = ["admin:root|1.1.1.1", "admin:root|2.2.2.2", "addr:1.1.1.1"]
    assert await state.guess_counts(keys, NOW + 3) == [NO_GUESSES, GuessCount(3, NOW + 12), GuessCount(1, 0.0)]
    assert await state.unlock_guesses("admin:root") >= 1
    assert await state.guess_counts(keys, NOW + 3) == [NO_GUESSES, NO_GUESSES, GuessCount(1, 0.0)]
    assert await state.unlock_guesses("admin:nobody") == 0


async def test_concurrent_failures_are_all_counted(state: TokenState) -> None:
    rule = GuessRule(limit=50, window=60.0, lockout=10.0, max_lockout=10.0)
    await asyncio.gather(*(state.add_guess_failure("sts:p:u|a", "sts:p:u", rule, NOW) for _ in range(40)))
    assert await state.guess_counts(["sts:p:u|a"], NOW) == [GuessCount(40, 0.0)]


async def test_every_worker_sees_another_workers_lock_at_once(tmp_path: Path) -> None:
    """The SQLite state keeps counters per worker; a lock made by one worker is seen by the next call of another."""
    a, b = SqliteTokenState(tmp_path / "t.db"), SqliteTokenState(tmp_path / "t.db")
    try:
        assert await b.guess_counts(["k"], NOW) == [NO_GUESSES]  # now kept by b
        for _ in range(3):
            await a.add_guess_failure("k", "g", RULE, NOW)
        assert await b.guess_counts(["k"], NOW) == [GuessCount(3, NOW + 10)]
        await a.unlock_guesses("g")
        assert await b.guess_counts(["k"], NOW) == [NO_GUESSES]
        await a.add_guess_failure("k", "g", RULE, NOW)
        await a.purge_expired(NOW + 61)
        assert await b.guess_counts(["k"], NOW) == [NO_GUESSES]  # purged rows are gone for every worker
    finally:
        await a.close()
        await b.close()


# --------------------------------------------------------------------------- authorization codes


def _code(value: str, exp: float = 160.0) -> CodeRecord:
    return CodeRecord(token_digest(value), "c", None, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256",
                      "read", "alice", "simple", {"username": "alice", "groups": ["a", "b"]}, exp)


async def test_a_code_is_taken_once_then_seen_as_reused(state: TokenState) -> None:
    await state.put_code(_code("k1"))
    first = await state.take_code(token_digest("k1"))
    assert first is not None and not first.reused and first.user_attributes["groups"] == ["a", "b"]
    assert first.redirect_uri is None and first.challenge_method == "S256" and first.expires_at == 160.0
    assert await state.record_code_issue(token_digest("k1"), "g1", b"\x01" * 40) is True
    again = await state.take_code(token_digest("k1"))
    assert again is not None and again.reused
    assert again.issued_grant_id == "g1" and again.issued_token_key == b"\x01" * 40
    assert await state.take_code(token_digest("unknown")) is None
    with pytest.raises(Exception):  # noqa: B017 - each backend has its own duplicate error
        await state.put_code(_code("k1"))


async def test_concurrent_takes_of_a_code_redeem_it_once(state: TokenState) -> None:
    await state.put_code(_code("race"))
    taken = await asyncio.gather(*(state.take_code(token_digest("race")) for _ in range(10)))
    assert sorted(r.reused for r in taken if r is not None) == [False] + [True] * 9


async def test_an_issue_recorded_after_a_replay_tells_the_first_exchange(state: TokenState) -> None:
    await state.put_code(_code("late"))
    assert await state.take_code(token_digest("late")) is not None
    assert await state.take_code(token_digest("late")) is not None  # the replay, before the record
    assert await state.record_code_issue(token_digest("late"), None, b"\x02" * 40) is False
    replay = await state.take_code(token_digest("late"))
    assert replay is not None and replay.issued_token_key == b"\x02" * 40 and replay.issued_grant_id is None


async def test_codes_are_remembered_past_expiry_then_purged(state: TokenState) -> None:
    await state.put_code(_code("old", exp=110.0))
    await state.purge_expired(111.0)
    assert await state.take_code(token_digest("old")) is not None  # expired, still known (the caller refuses it)
    if isinstance(state, RedisTokenState):
        assert 0 < await state.ttl_ms("c", token_digest("old").hex()) <= (110.0 + CODE_MEMORY - NOW) * 1000
        return
    await state.purge_expired(110.0 + CODE_MEMORY + 1)
    assert await state.take_code(token_digest("old")) is None


# --------------------------------------------------------------------------- device authorizations


def _device(value: str, exp: float = 160.0) -> DeviceRecord:
    return DeviceRecord(token_digest(value), token_digest("U" + value), "tv", "read", exp, 5.0)


async def test_a_device_moves_pending_approved_redeemed_once(state: TokenState) -> None:
    await state.put_device(_device("d1"))
    with pytest.raises(ValueError):
        await state.put_device(_device("d1"))
    found = await state.get_device(token_digest("Ud1"))
    assert found is not None and found.client_id == "tv" and found.status == "pending" and found.interval == 5.0
    assert await state.get_device(token_digest("nope")) is None
    assert (await state.poll_device(token_digest("d1"), "other", 100.0))[0] == "foreign"  # type: ignore[index]
    assert (await state.poll_device(token_digest("d1"), "tv", 100.0))[0] == "pending"  # type: ignore[index]
    slow = await state.poll_device(token_digest("d1"), "tv", 102.0)
    assert slow is not None and slow[0] == "slow_down"
    after = await state.get_device(token_digest("Ud1"))
    assert after is not None and after.interval == 10.0 and after.last_poll == 102.0  # RFC 8628 §3.5: +5 s
    assert (await state.poll_device(token_digest("d1"), "tv", 108.0))[0] == "slow_down"  # type: ignore[index]
    assert (await state.poll_device(token_digest("d1"), "tv", 124.0))[0] == "pending"  # type: ignore[index]
    assert await state.decide_device(token_digest("Ud1"), 125.0, True, "alice", "simple", {"username": "alice"})
    assert not await state.decide_device(token_digest("Ud1"), 125.0, False, "bob", "simple", {})  # decided once
    polls = await asyncio.gather(*(state.poll_device(token_digest("d1"), "tv", 130.0) for _ in range(6)))
    outcomes = sorted(p[0] for p in polls if p is not None)
    assert outcomes == ["approved"] + ["redeemed"] * 5
    won = next(p[1] for p in polls if p is not None and p[0] == "approved")
    assert won.user_key == "alice" and won.user_attributes == {"username": "alice"} and won.validator_id == "simple"
    assert await state.poll_device(token_digest("unknown"), "tv", 130.0) is None


async def test_a_denied_or_expired_device_cannot_be_decided_or_redeemed(state: TokenState) -> None:
    await state.put_device(_device("no"))
    assert await state.decide_device(token_digest("Uno"), 101.0, False, "alice", "simple", {})
    assert (await state.poll_device(token_digest("no"), "tv", 110.0))[0] == "denied"  # type: ignore[index]
    await state.put_device(_device("late", exp=120.0))
    assert not await state.decide_device(token_digest("Ulate"), 120.0, True, "alice", "simple", {})
    assert (await state.poll_device(token_digest("late"), "tv", 121.0))[0] == "expired"  # type: ignore[index]
    await state.purge_expired(121.0)
    assert await state.get_device(token_digest("Ulate")) is not None  # remembered past expiry
    if isinstance(state, RedisTokenState):
        assert 0 < await state.ttl_ms("d", token_digest("late").hex()) <= (120.0 + CODE_MEMORY - NOW) * 1000
        return
    await state.purge_expired(120.0 + CODE_MEMORY + 1)
    assert await state.get_device(token_digest("Ulate")) is None
    assert await state.poll_device(token_digest("late"), "tv", 121.0 + CODE_MEMORY) is None
# --------------------------------------------------------------------------- pushed authorization requests


def _pushed(value: str, exp: float = 160.0, client: str = "c") -> PushedRequestRecord:
    return PushedRequestRecord(token_digest(value), client, {"response_type": "code", "scope": "read write",
                                                             "state": "s\u00e9"}, exp)


async def test_a_pushed_request_is_taken_once(state: TokenState) -> None:
    await state.put_pushed(_pushed("urn:1"))
    first = await state.take_pushed(token_digest("urn:1"))
    assert first == _pushed("urn:1")
    assert await state.take_pushed(token_digest("urn:1")) is None
    assert await state.take_pushed(token_digest("unknown")) is None
    await state.put_pushed(_pushed("urn:2"))
    with pytest.raises(Exception):  # noqa: B017 - each backend has its own duplicate error
        await state.put_pushed(_pushed("urn:2", client="other"))
    kept = await state.take_pushed(token_digest("urn:2"))
    assert kept is not None and kept.client_id == "c"  # the duplicate did not replace the first


async def test_concurrent_takes_of_a_pushed_request_give_it_to_one(state: TokenState) -> None:
    await state.put_pushed(_pushed("urn:race"))
    taken = await asyncio.gather(*(state.take_pushed(token_digest("urn:race")) for _ in range(10)))
    assert sum(r is not None for r in taken) == 1


async def test_pushed_requests_are_purged_once_expired(state: TokenState) -> None:
    await state.put_pushed(_pushed("urn:old", exp=110.0))
    await state.put_pushed(_pushed("urn:new", exp=200.0))
    if isinstance(state, RedisTokenState):  # Redis expires the key itself, with the reference
        assert 0 < await state.ttl_ms("par", token_digest("urn:old").hex()) <= (110.0 - NOW) * 1000
        return
    await state.purge_expired(110.0)
    assert await state.take_pushed(token_digest("urn:old")) is None
    assert await state.take_pushed(token_digest("urn:new")) is not None

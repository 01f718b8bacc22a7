"""What the Redis token state adds to the contract: URLs, replication acknowledgements (WAIT) and what
a timeout does, region replica reads with the primary as fallback, and errors as 503s.

Runs against real redis-server processes on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.services import RedisServer, free_port, start_redis, wait_replicas
from tokensmith.clock import FakeClock
from tokensmith.errors import ConfigurationError, TemporarilyUnavailable
from tokensmith.metrics import Metrics
from tokensmith.state.base import AccessTokenRecord, GrantRecord, token_digest
from tokensmith.state.redis import RedisTokenState
from tokensmith.state.redis_url import parse_redis_url, redact
from tokensmith.state.replication import ALL_NODES, MAJORITY, SyncPolicy, required_acks

NOW = 1_800_000_000.0
TIMEOUTS = "tokensmith_replication_timeouts_total"
WAITS = "tokensmith_replication_waits_total"
REPLICA_READS = "tokensmith_replica_reads_total"


def _token(value: str, grant: str | None = None) -> AccessTokenRecord:
    return AccessTokenRecord(token_digest(value), "ref", "app", "read", {"cid": "app"}, NOW, NOW + 3600, grant)


def _state(url: str, mode: str = MAJORITY, timeout_ms: int = 10_000, replica_url: str | None = None,
           ) -> RedisTokenState:
    return RedisTokenState.from_url(url, replica_url, clock=FakeClock(NOW), metrics=Metrics(),
                                    sync_for=lambda _atm: SyncPolicy(mode, timeout_ms))


# --------------------------------------------------------------------------- URLs and arithmetic


def test_direct_and_sentinel_urls() -> None:
    direct = parse_redis_url("redis://:pw@10.0.0.5:6380/2?replicas=2&prefix=eu:&socket_timeout=3")
    assert (direct.sentinel, direct.replicas, direct.prefix) == (False, 2, "eu:")
    assert direct.url == "redis://:pw@10.0.0.5:6380/2?socket_timeout=3"  # own options stripped
    sentinel = parse_redis_url("redis+sentinel://:secret@s1:26379,s2,[::1]:26380/tokensmith/3"
                               "?sentinel_password=sp&replicas=4")
    assert sentinel.sentinels == (("s1", 26379), ("s2", 26379), ("::1", 26380))
    assert (sentinel.service, sentinel.db, sentinel.password, sentinel.sentinel_password, sentinel.replicas) == (
        "tokensmith", 3, "secret", "sp", 4)
    assert redact("redis+sentinel://:secret@s1:26379/m?sentinel_password=sp") == (
        "redis+sentinel://:***@s1:26379/m?sentinel_password=%2A%2A%2A")
    assert "pw" not in redact("postgresql://ts:pw@db:5432/ts")


@pytest.mark.parametrize("url, message", [
    ("http://localhost:6379", "scheme"),
    ("redis+sentinel://s1:26379", "master name"),
    ("redis+sentinel://s1:26379/m/x", "db number"),
    ("redis+sentinel://s1:abc/m", "port"),
    ("redis://h:6379/0?replicas=many", "replicas"),
    ("redis:///0", "host"),
])
def test_bad_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_redis_url(url)


def test_required_acknowledgements() -> None:
    # majority of the copies (primary + R replicas); all: every replica
    assert [required_acks(MAJORITY, r) for r in range(6)] == [0, 1, 1, 2, 2, 3]
    assert [required_acks(ALL_NODES, r) for r in range(6)] == [0, 1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- errors


async def test_an_unreachable_primary_answers_503_and_is_counted() -> None:
    state = _state(f"redis://127.0.0.1:{free_port()}/0?replicas=0")
    try:
        with pytest.raises(TemporarilyUnavailable) as caught:
            await state.get_token(token_digest("x"))
        assert caught.value.status_code == 503 and caught.value.headers == {"retry-after": "1"}
        with pytest.raises(TemporarilyUnavailable):
            await state.put_token(_token("x"))
        assert state.metrics.value("tokensmith_token_state_errors_total") == 2
    finally:
        await state.close()


async def test_without_the_promised_replica_issuance_is_refused_and_taken_back(redis_url: str) -> None:
    state = _state(redis_url.replace("/0", "/0?replicas=1"), timeout_ms=50)  # promised one, has none
    try:
        with pytest.raises(TemporarilyUnavailable, match="replicated"):
            await state.put_token(_token("t"))
        assert await state.get_token(token_digest("t")) is None  # never handed out, not left behind
        assert (state.metrics.value(WAITS, "issue"), state.metrics.value(TIMEOUTS, "issue")) == (1, 1)
    finally:
        await state.close()


# --------------------------------------------------------------------------- region replica reads


@pytest.fixture(scope="module")
def lone_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis that replicates nothing: stands for a region replica that has not caught up yet."""
    server = start_redis(tmp_path_factory.mktemp("lone"))
    yield server
    server.stop()


async def test_a_token_the_replica_does_not_know_yet_is_found_on_the_primary(
        redis_url: str, redis_server: RedisServer, lone_redis: RedisServer) -> None:
    with lone_redis.client() as client:
        client.flushall()
    state = _state(redis_url, replica_url=lone_redis.url)
    try:
        await state.put_token(_token("fresh"))
        found = await state.get_token(token_digest("fresh"))
        assert found is not None and found.client_id == "app"
        assert state.metrics.value(REPLICA_READS, "miss") == 1
        assert await state.get_token(token_digest("unknown")) is None  # asked both, then declared unknown
        assert state.metrics.value(REPLICA_READS, "miss") == 2
        # what the replica does know is answered there
        key = "ts:t:" + token_digest("fresh").hex()
        with lone_redis.client() as replica, redis_server.client() as primary:
            replica.hset(key, mapping={k.decode(): v for k, v in primary.hgetall(key).items()})
        assert await state.get_token(token_digest("fresh")) is not None
        assert state.metrics.value(REPLICA_READS, "hit") == 1
    finally:
        await state.close()


async def test_a_dead_replica_is_skipped_and_the_primary_answers(redis_url: str) -> None:
    state = _state(redis_url, replica_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        await state.put_token(_token("t"))
        assert await state.get_token(token_digest("t")) is not None
        assert await state.get_token(token_digest("t")) is not None
        assert state.metrics.value(REPLICA_READS, "error") == 1  # then left alone for a while
    finally:
        await state.close()


# --------------------------------------------------------------------------- WAIT against real replicas


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RedisServer]]:
    base = tmp_path_factory.mktemp("replicated")
    primary = start_redis(base, "primary")
    replicas = [start_redis(base, f"replica{i}", replica_of=primary) for i in (1, 2)]
    wait_replicas(primary, 2)
    yield [primary, *replicas]
    for server in (*replicas, primary):
        server.stop()


@pytest.fixture
async def with_one_replica_stopped(replicated: list[RedisServer]) -> AsyncIterator[list[RedisServer]]:
    primary, _, second = replicated
    wait_replicas(primary, 2)
    yield replicated
    if not second.running:
        second.start()
        wait_replicas(primary, 2)


async def test_majority_and_all_modes_wait_for_their_acknowledgements(
        with_one_replica_stopped: list[RedisServer]) -> None:
    primary, _, second = with_one_replica_stopped
    # "all" means both replicas, also for a state that first connects after one stopped
    majority, everyone = _state(primary.url, MAJORITY), _state(f"{primary.url}?replicas=2", ALL_NODES, timeout_ms=100)
    patient = _state(primary.url, ALL_NODES, timeout_ms=10_000)  # a loaded machine may need more than 100 ms
    try:
        await majority.put_token(_token("m1"))
        await patient.put_token(_token("a1"))
        assert patient.metrics.value(TIMEOUTS, "issue") == 0 and patient.metrics.value(WAITS, "issue") == 1

        second.stop()  # one of two replicas gone: a majority (1 of 2) still acknowledges, "all" cannot
        await majority.put_token(_token("m2"))
        assert majority.metrics.value(TIMEOUTS, "issue") == 0
        with pytest.raises(TemporarilyUnavailable):
            await everyone.put_token(_token("a2"))
        assert everyone.metrics.value(TIMEOUTS, "issue") == 1
        assert await everyone.get_token(token_digest("a2")) is None
        assert patient.metrics.value("tokensmith_redis_replicas_expected") == 2  # counted while both were up

        # revocation and extension are answered: the change stands on the primary, the timeout is counted
        assert await everyone.delete_token(token_digest("a1")) is True
        assert await everyone.extend_token(token_digest("m1"), NOW + 7200) is True
        assert (everyone.metrics.value(TIMEOUTS, "revoke"), everyone.metrics.value(TIMEOUTS, "extend")) == (1, 1)
        assert await majority.get_token(token_digest("a1")) is None

        # a rolled refresh token that cannot be replicated is rolled back: the client's token keeps working
        grant = GrantRecord("g1", token_digest("r1"), "app", "ref", "alice", "read", {}, NOW, None)
        await majority.put_grant(grant)
        with pytest.raises(TemporarilyUnavailable):
            await everyone.replace_refresh("g1", token_digest("r1"), token_digest("r2"))
        found = await majority.get_grant_by_refresh(token_digest("r1"))
        assert found is not None and found.grant_id == "g1"
        assert await majority.get_grant_by_refresh(token_digest("r2")) is None
    finally:
        await majority.close()
        await everyone.close()
        await patient.close()


async def test_a_write_acknowledged_under_majority_is_on_a_replica(
        with_one_replica_stopped: list[RedisServer]) -> None:
    primary, first, second = with_one_replica_stopped
    state = _state(primary.url, MAJORITY)
    try:
        for i in range(50):
            await state.put_token(_token(f"w{i}"))
        with first.client() as replica, second.client() as other:
            keys = [f"ts:t:{token_digest(f'w{i}').hex()}" for i in range(50)]
            # WAIT returned: every token is on at least one replica already
            assert all(replica.exists(k) or other.exists(k) for k in keys)
    finally:
        await state.close()

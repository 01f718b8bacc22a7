"""redis-py clients for the Redis token state: the primary (direct or through Sentinel) and the
region replica.

No client retries a command by itself: a retried write could run twice (a second issuance of the
same record would look like a duplicate), so a failed call fails the request with 503 and the
HTTP client retries. A pooled connection whose server went away is noticed and reopened by the
pool before it is handed out, and Sentinel-managed connections ask the Sentinels for the primary again
whenever they reconnect, which is how nodes follow a failover.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from tokensmith.errors import ConfigurationError
from tokensmith.state.redis_url import RedisTarget, parse_redis_url

PRIMARY_SOCKET_TIMEOUT = 10.0
PRIMARY_CONNECT_TIMEOUT = 2.0
REPLICA_SOCKET_TIMEOUT = 1.0
REPLICA_CONNECT_TIMEOUT = 0.5
SENTINEL_TIMEOUT = 1.0
Closer = Callable[[], Awaitable[None]]


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


def primary_client(target: RedisTarget) -> tuple[Redis, tuple[Closer, ...]]:
    """The client for writes and primary reads, and what else must be closed with it."""
    if not target.sentinel:
        return Redis.from_url(target.url, socket_timeout=PRIMARY_SOCKET_TIMEOUT,
                              socket_connect_timeout=PRIMARY_CONNECT_TIMEOUT, retry=_no_retry()), ()
    options = dict(target.options)
    timeout = float(options.pop("socket_timeout", PRIMARY_SOCKET_TIMEOUT))
    connect_timeout = float(options.pop("socket_connect_timeout", PRIMARY_CONNECT_TIMEOUT))
    if options:
        raise ConfigurationError(f"--redis-url: options not supported with Sentinel: {', '.join(sorted(options))}")
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": SENTINEL_TIMEOUT, "socket_connect_timeout": SENTINEL_TIMEOUT,
                                       "ssl": target.tls}
    if target.sentinel_password:
        sentinel_kwargs["password"] = target.sentinel_password
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels), sentinel_kwargs=sentinel_kwargs, socket_timeout=timeout,
        socket_connect_timeout=connect_timeout, ssl=target.tls, username=target.username,
        password=target.password, db=target.db, retry=_no_retry())

    async def close_sentinels() -> None:
        for client in sentinel.sentinels:
            await client.aclose()

    return cast(Redis, sentinel.master_for(target.service)), (close_sentinels,)


def replica_client(url: str) -> Redis:
    target = parse_redis_url(url, "--redis-replica-url")
    if target.sentinel:
        raise ConfigurationError("--redis-replica-url names one replica: redis://HOST:PORT/DB")
    return Redis.from_url(target.url, socket_timeout=REPLICA_SOCKET_TIMEOUT,
                          socket_connect_timeout=REPLICA_CONNECT_TIMEOUT, retry=_no_retry())

"""Start-up check of ``--redis-url``: refuse to start (exit 2) when the token state is unreachable,
rather than starting workers that could answer nothing but 503."""

from __future__ import annotations

import sys

from redis import Redis
from redis.exceptions import RedisError
from redis.sentinel import Sentinel

from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings
from tokensmith.state.redis_url import parse_redis_url, redact

TIMEOUT = 5.0


def check_redis(settings: Settings) -> None:
    assert settings.redis_url is not None
    target = parse_redis_url(settings.redis_url)
    where = redact(settings.redis_url)
    try:
        if target.sentinel:
            kwargs = {"password": target.sentinel_password} if target.sentinel_password else {}
            sentinel = Sentinel(list(target.sentinels), socket_timeout=TIMEOUT, ssl=target.tls,  # type: ignore[no-untyped-call]
                                sentinel_kwargs={"socket_timeout": TIMEOUT, "ssl": target.tls, **kwargs},
                                username=target.username, password=target.password, db=target.db)
            host, port = sentinel.discover_master(target.service)  # type: ignore[no-untyped-call]
            client = sentinel.master_for(target.service)  # type: ignore[no-untyped-call]
            where += f" (primary {host}:{port})"
        else:
            client = Redis.from_url(target.url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        with client:
            client.ping()
            role = client.info("replication").get("role")
    except RedisError as exc:
        raise ConfigurationError(f"cannot use the token state at {where}: {exc}") from exc
    if role != "master":
        raise ConfigurationError(f"{where} is a replica ({role}); --redis-url must name the primary or its "
                                 "Sentinels (use --redis-replica-url for this region's replica)")
    if settings.redis_replica_url:
        try:
            with Redis.from_url(parse_redis_url(settings.redis_replica_url, "--redis-replica-url").url,
                                socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT) as replica:
                replica.ping()
        except RedisError as exc:  # not fatal: reads fall back to the primary until it answers
            print(f"tokensmith: warning: the region replica {redact(settings.redis_replica_url)} does not "
                  f"answer ({exc}); token lookups use the primary until it does", file=sys.stderr, flush=True)

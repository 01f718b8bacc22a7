"""Pushed authorization requests (RFC 9126) in the Redis token state.

Key layout (``P`` is the token state's key prefix): ``P par:<request_uri digest hex>`` is a string,
the record's body (JSON), expiring with the reference, so Redis forgets unused references by itself.
It is written with ``SET NX`` (a duplicate digest is refused) and taken by one Lua script (read and
delete) on the primary, so across all nodes exactly one authorization request gets a reference.

Like codes, these writes do not wait for replicas: a reference lives for seconds, and after a
failover that lost it the client pushes its request again.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from redis.exceptions import NoScriptError

from tokensmith.state.base import PushedRequestRecord
from tokensmith.state.redis_codes import Host
from tokensmith.state.redis_values import ttl_ms

TAKE = """
-- KEYS: pushed request
local body = redis.call('GET', KEYS[1])
if body then redis.call('DEL', KEYS[1]) end
return body
"""
_TAKE_SHA = hashlib.sha1(TAKE.encode(), usedforsecurity=False).hexdigest()


class RedisPushed:
    def __init__(self, host: Host) -> None:
        self._host = host

    def _key(self, ref_hash: bytes) -> str:
        return self._host._key("par", ref_hash.hex())

    async def put_pushed(self, record: PushedRequestRecord) -> None:
        host = self._host
        ttl = ttl_ms(record.expires_at, host._clock.now())
        stored = await host._guard(host._primary.set(self._key(record.ref_hash), orjson.dumps(record.to_json()),
                                                     px=ttl, nx=True))
        if not stored:
            raise ValueError("a pushed request with this digest already exists")

    async def take_pushed(self, ref_hash: bytes) -> PushedRequestRecord | None:
        host, key = self._host, self._key(ref_hash)

        async def call() -> Any:
            try:
                return await host._primary.evalsha(_TAKE_SHA, 1, key)
            except NoScriptError:  # a new primary after failover has an empty script cache
                return await host._primary.eval(TAKE, 1, key)

        body = await host._guard(call())
        return PushedRequestRecord.from_json(ref_hash, orjson.loads(body)) if body else None

"""Authorization codes in the Redis token state.

Key layout (``P`` is the token state's key prefix): ``P c:<code digest hex>`` is a hash with the
record's body ``b`` (JSON), the number of times it was taken ``k``, and what its first exchange
issued (grant id ``g``, access token key hex ``t``). It expires ``CODE_MEMORY`` seconds after the
code does, so Redis forgets redeemed codes by itself.

Redeeming is one Lua script on the primary, so across all nodes exactly one take sees ``k`` go from
0 to 1. Code writes do not wait for replicas: a code lives for seconds, and after a failover that
lost it the user signs in again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

import orjson
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from tokensmith.clock import Clock
from tokensmith.state.base import CODE_MEMORY, CodeRecord
from tokensmith.state.redis_values import text, ttl_ms

T = TypeVar("T")

PUT = """
-- KEYS: code  ARGV: body, ttl ms
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'b', ARGV[1], 'k', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

TAKE = """
-- KEYS: code
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local taken = redis.call('HINCRBY', KEYS[1], 'k', 1)
local f = redis.call('HMGET', KEYS[1], 'b', 'g', 't')
return {f[1], taken, f[2] or '', f[3] or ''}
"""

RECORD = """
-- KEYS: code  ARGV: grant id, token key hex ('' for none)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[1], 't', ARGV[2])
return tonumber(redis.call('HGET', KEYS[1], 'k'))
"""

_SCRIPTS = {"put": PUT, "take": TAKE, "record": RECORD}
_SHAS = {name: hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest() for name, body in _SCRIPTS.items()}


class Host(Protocol):
    """What the codes use of :class:`tokensmith.state.redis.RedisTokenState`."""

    _primary: Redis
    _clock: Clock

    def _key(self, kind: str, ident: str) -> str: ...

    async def _guard(self, call: Awaitable[T], uses_connection: bool = True) -> T: ...


class RedisCodes:
    def __init__(self, host: Host) -> None:
        self._host = host

    async def _run(self, name: str, code_hash: bytes, args: list[Any]) -> Any:
        host = self._host
        key = host._key("c", code_hash.hex())

        async def call() -> Any:
            try:
                return await host._primary.evalsha(_SHAS[name], 1, key, *args)
            except NoScriptError:  # a new primary after failover has an empty script cache
                return await host._primary.eval(_SCRIPTS[name], 1, key, *args)

        return await host._guard(call())

    async def put_code(self, record: CodeRecord) -> None:
        ttl = ttl_ms(record.expires_at + CODE_MEMORY, self._host._clock.now())
        if not await self._run("put", record.code_hash, [orjson.dumps(record.to_json()), ttl]):
            raise ValueError("a code with this digest already exists")

    async def take_code(self, code_hash: bytes) -> CodeRecord | None:
        found = await self._run("take", code_hash, [])
        if not found:
            return None
        body, taken, grant_id, token_key = found
        return CodeRecord.from_json(code_hash, orjson.loads(body), text(grant_id) or None,
                                    bytes.fromhex(text(token_key)) if text(token_key) else None, int(taken) > 1)

    async def record_code_issue(self, code_hash: bytes, grant_id: str | None, token_key: bytes | None) -> bool:
        taken = await self._run("record", code_hash, [grant_id or "", token_key.hex() if token_key else ""])
        return int(taken) == 1

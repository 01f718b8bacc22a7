"""Failed-guess counters of the Redis token state (see :mod:`tokensmith.state.throttle`).

Key layout (``P`` is the token state's key prefix):

* ``P x:<key>``  string ``"<failures> <when the count is forgotten> <locked until>"`` (epoch seconds);
  expires when the count is forgotten, so Redis purges it by itself. A string rather than a hash, so
  one ``MGET`` reads every key of a check.
* ``P xg:<group>``  set of the group's keys (an identity's keys at every address), for unlocking.

Counting is one Lua script on the primary, so the nodes of a cluster count every failure exactly
once. Lookups go to the primary, never to a replica: a lock must be seen by every node at once.
Nothing here waits for replicas (a lost counter after a failover forgets some failures, no more).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from tokensmith.state.base import NO_GUESSES, GuessCount, GuessRule
from tokensmith.state.redis_batch import ReadBatcher

T = TypeVar("T")

ADD_FAILURE = """
-- KEYS: entry, group set  ARGV: now, limit, window, lockout, max lockout, key name
local now = tonumber(ARGV[1])
local failures, locked = 1, 0
local cur = redis.call('GET', KEYS[1])
if cur then
  local n, e, l = string.match(cur, '^(%S+) (%S+) (%S+)$')
  if n and tonumber(e) > now then
    failures = tonumber(n) + 1
    locked = tonumber(l)
  end
end
local limit = tonumber(ARGV[2])
if limit > 0 and failures >= limit then
  local lock = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(failures - limit, 40))
  locked = math.max(locked, now + lock)
end
local expires = math.max(now, locked) + tonumber(ARGV[3])
local ttl = math.max(1, math.ceil((expires - now) * 1000))
redis.call('SET', KEYS[1], string.format('%d %.6f %.6f', failures, expires, locked), 'PX', ttl)
redis.call('SADD', KEYS[2], ARGV[6])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return string.format('%.6f', locked)
"""

UNLOCK = """
-- KEYS: group set  ARGV: key prefix
local removed = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  removed = removed + redis.call('DEL', ARGV[1] .. 'x:' .. key)
end
redis.call('DEL', KEYS[1])
return removed
"""

_SCRIPTS = {"add": ADD_FAILURE, "unlock": UNLOCK}
_SHAS = {name: hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest() for name, body in _SCRIPTS.items()}


class Host(Protocol):
    """What the counters use of :class:`tokensmith.state.redis.RedisTokenState`."""

    _primary: Redis
    _primary_reads: ReadBatcher
    _prefix: str

    def _key(self, kind: str, ident: str) -> str: ...

    async def _guard(self, call: Awaitable[T], uses_connection: bool = True) -> T: ...


def _float(value: Any) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


class RedisGuesses:
    def __init__(self, host: Host) -> None:
        self._host = host

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        client = self._host._primary
        try:
            return await client.evalsha(_SHAS[name], len(keys), *keys, *args)
        except NoScriptError:  # a new primary after failover has an empty script cache
            return await client.eval(_SCRIPTS[name], len(keys), *keys, *args)

    async def guess_counts(self, keys: Sequence[str], now: float) -> list[GuessCount]:
        host = self._host
        replies = await host._guard(host._primary_reads.call("MGET", *(host._key("x", key) for key in keys)),
                                    uses_connection=False)
        out = []
        for reply in replies:
            parts = (reply.decode() if isinstance(reply, bytes) else str(reply or "")).split()
            if len(parts) != 3 or float(parts[1]) <= now:
                out.append(NO_GUESSES)
            else:
                out.append(GuessCount(int(parts[0]), float(parts[2])))
        return out

    async def add_guess_failure(self, key: str, group: str, rule: GuessRule, now: float) -> float:
        host = self._host
        args = [repr(now), rule.limit, repr(float(rule.window)), repr(float(rule.lockout)),
                repr(float(rule.max_lockout)), key]
        locked = await host._guard(self._run("add", [host._key("x", key), host._key("xg", group)], args))
        return _float(locked)

    async def clear_guesses(self, key: str) -> None:
        await self._host._guard(self._host._primary.delete(self._host._key("x", key)))

    async def unlock_guesses(self, group: str) -> int:
        host = self._host
        return int(await host._guard(self._run("unlock", [host._key("xg", group)], [host._prefix])))

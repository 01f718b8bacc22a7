"""Device authorizations (RFC 8628) in the Redis token state.

Key layout (``P`` is the token state's key prefix): ``P d:<device code digest hex>`` holds the record's
JSON; ``P du:<user code digest hex>`` holds the device code digest hex, for the user page's lookup. Both
expire ``CODE_MEMORY`` seconds after the authorization does, so Redis forgets them by itself.

A change is a compare-and-set on the primary (one Lua script: store the new JSON only if the key
still holds the JSON it was computed from), retried on a conflict, so the rules of
:func:`tokensmith.state.base.device_poll` and :func:`~tokensmith.state.base.device_decision` are
written once, in Python, and still apply atomically across every node. Like codes, device writes do
not wait for replicas: after a failover that lost one, the device starts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson
from redis.exceptions import NoScriptError

from tokensmith.state.base import CODE_MEMORY, DeviceRecord, device_decision, device_poll
from tokensmith.state.redis_codes import Host
from tokensmith.state.redis_values import ttl_ms

PUT = """
-- KEYS: device, user  ARGV: body, device hex, ttl ms
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
"""

SWAP = """
-- KEYS: device  ARGV: expected body, new body
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""

_SCRIPTS = {"put": PUT, "swap": SWAP}
_SHAS = {name: hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest() for name, body in _SCRIPTS.items()}
MAX_RETRIES = 20  # compare-and-set conflicts before giving up (each needs another writer's success)


def _body(record: DeviceRecord) -> bytes:
    return orjson.dumps({**record.to_json(), "uh": record.user_hash.hex()})  # the user digest, for polls


class RedisDevices:
    def __init__(self, host: Host) -> None:
        self._host = host

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        primary = self._host._primary

        async def call() -> Any:
            try:
                return await primary.evalsha(_SHAS[name], len(keys), *keys, *args)
            except NoScriptError:  # a new primary after failover has an empty script cache
                return await primary.eval(_SCRIPTS[name], len(keys), *keys, *args)

        return await self._host._guard(call())

    async def put_device(self, record: DeviceRecord) -> None:
        host = self._host
        ttl = ttl_ms(record.expires_at + CODE_MEMORY, host._clock.now())
        keys = [host._key("d", record.device_hash.hex()), host._key("du", record.user_hash.hex())]
        if not await self._run("put", keys, [_body(record), record.device_hash.hex(), ttl]):
            raise ValueError("a device authorization with this device or user code already exists")

    async def _read(self, device_hex: str, user_hash: bytes | None) -> tuple[Any, DeviceRecord] | None:
        raw = await self._host._guard(self._host._primary.get(self._host._key("d", device_hex)))
        if raw is None:
            return None
        body: dict[str, Any] = orjson.loads(raw)
        stored = user_hash if user_hash is not None else bytes.fromhex(body.get("uh", ""))
        return raw, DeviceRecord.from_json(bytes.fromhex(device_hex), stored, body)

    async def get_device(self, user_hash: bytes) -> DeviceRecord | None:
        device_hex = await self._host._guard(self._host._primary.get(self._host._key("du", user_hash.hex())))
        if device_hex is None:
            return None
        found = await self._read(device_hex.decode() if isinstance(device_hex, bytes) else str(device_hex), user_hash)
        return found[1] if found is not None else None

    async def _change(self, device_hex: str, user_hash: bytes | None,
                      rule: Callable[[DeviceRecord], tuple[Any, DeviceRecord | None]]
                      ) -> tuple[Any, DeviceRecord] | None:
        """Apply ``rule`` to the stored record by compare-and-set; its result and the record before."""
        for _ in range(MAX_RETRIES):
            found = await self._read(device_hex, user_hash)
            if found is None:
                return None
            raw, record = found
            result, changed = rule(record)
            if changed is None:
                return result, record
            if await self._run("swap", [self._host._key("d", device_hex)], [raw, _body(changed)]):
                return result, record
        raise RuntimeError("device authorization changed concurrently too many times")

    async def decide_device(self, user_hash: bytes, now: float, approved: bool, user_key: str, validator_id: str,
                            user_attributes: dict[str, Any]) -> bool:
        record = await self.get_device(user_hash)
        if record is None:
            return False

        def rule(current: DeviceRecord) -> tuple[bool, DeviceRecord | None]:
            decided = device_decision(current, now, approved, user_key, validator_id, user_attributes)
            return decided is not None, decided

        done = await self._change(record.device_hash.hex(), user_hash, rule)
        return bool(done and done[0])

    async def poll_device(self, device_hash: bytes, client_id: str, now: float) -> tuple[str, DeviceRecord] | None:
        result = await self._change(device_hash.hex(), None, lambda current: device_poll(current, client_id, now))
        return (str(result[0]), result[1]) if result is not None else None


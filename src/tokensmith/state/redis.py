"""Redis token state: the cluster backend (one primary, its replicas, optionally Sentinel).

* Only digests of token values are stored (key layout: :mod:`tokensmith.state.redis_scripts`), each
  record expiring with its token. Grants, device authorizations and pushed requests have their own
  modules.
* Every write that must not be lost or half-done is one Lua script on the primary: issuance,
  extension, revocation, grant revocation, refresh rolling, denylist entries and compare-and-set.
* After a write the connection that wrote it sends ``WAIT`` for the number of replica
  acknowledgements that the access token manager's "Mode for Synchronous RPC" asks for, for at most
  its "RPC Timeout" (see :mod:`tokensmith.state.replication`). A timeout on issuance (a new token,
  grant or rolled refresh token) undoes the write and answers 503 ``temporarily_unavailable``. A
  timeout on revocation, extension, the denylist or a shared value is counted and logged; the change
  stands on the primary and reaches the replicas as they catch up.
* Token lookups go to this region's replica when configured (one it does not know yet is looked up on
  the primary; a failing replica is skipped for a few seconds); the rest uses the primary.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tokensmith.clock import Clock, SystemClock
from tokensmith.errors import TemporarilyUnavailable
from tokensmith.metrics import Metrics
from tokensmith.state import redis_scripts as lua
from tokensmith.state.base import AccessTokenRecord, DigestKeys, SharedValue
from tokensmith.state.redis_batch import ReadBatcher
from tokensmith.state.redis_clients import PRIMARY_SOCKET_TIMEOUT, primary_client, replica_client
from tokensmith.state.redis_codes import RedisCodes
from tokensmith.state.redis_device import RedisDevices
from tokensmith.state.redis_grants import RedisGrants
from tokensmith.state.redis_guesses import RedisGuesses
from tokensmith.state.redis_par import RedisPushed
from tokensmith.state.redis_url import parse_redis_url
from tokensmith.state.redis_values import text, ttl_ms
from tokensmith.state.replication import DEFAULT_POLICY, SyncPolicy, required_acks

T = TypeVar("T")
log = logging.getLogger("tokensmith.state")
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)
REPLICA_RETRY_AFTER = 5.0  # seconds a failed replica is skipped
REPLICA_CHECK_INTERVAL = 2.0  # seconds between INFO replication checks
MAX_CONNECTIONS = 64  # per worker and server; further calls wait for a free connection
JTI_MARGIN = 5.0  # seconds a denylist entry outlives its token: covers clock skew between nodes
_SHAS = {name: hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest() for name, body in lua.ALL.items()}


def _num(value: float) -> str:
    return repr(float(value))


def _both(reply: Any) -> bool:
    return bool(reply[0] is not None and reply[1] is not None)


def _some(reply: Any) -> bool:
    return reply is not None


class RedisTokenState(DigestKeys):
    def __init__(self, primary: Redis, replica: Redis | None = None, *, clock: Clock | None = None,
                 prefix: str = "ts:", replicas: int | None = None,
                 sync_for: Callable[[str | None], SyncPolicy] | None = None, metrics: Metrics | None = None,
                 closers: tuple[Callable[[], Awaitable[None]], ...] = ()) -> None:
        self._primary = primary
        self._replica = replica
        self._clock = clock or SystemClock()
        self._prefix = prefix
        self._explicit_replicas = replicas
        self._replicas_seen = 0
        self._replicas_checked_at = -math.inf
        self._replica_retry_at = 0.0
        self._sync_for = sync_for or (lambda _atm: DEFAULT_POLICY)
        self.metrics = metrics or Metrics()
        self._closers = closers
        timeout = primary.connection_pool.connection_kwargs.get("socket_timeout") or PRIMARY_SOCKET_TIMEOUT
        self._max_wait_ms = max(1, int((float(timeout) - 1.0) * 1000))
        self._timeouts_logged: dict[str, tuple[float, int]] = {}
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._primary_reads = ReadBatcher(primary, self._slots)
        self._replica_reads = ReadBatcher(replica, self._slots) if replica is not None else None
        self.writes = 0
        guesses = RedisGuesses(self)  # failed-guess counters (redis_guesses.py has their key layout)
        self.guess_counts, self.add_guess_failure = guesses.guess_counts, guesses.add_guess_failure
        self.clear_guesses, self.unlock_guesses = guesses.clear_guesses, guesses.unlock_guesses
        codes = RedisCodes(self)  # authorization codes (redis_codes.py)
        self.put_code, self.take_code, self.record_code_issue = codes.put_code, codes.take_code, codes.record_code_issue
        d, p = RedisDevices(self), RedisPushed(self)
        self.put_device, self.get_device, self.decide_device, self.poll_device = (d.put_device, d.get_device,
                                                                                  d.decide_device, d.poll_device)
        self.put_pushed, self.take_pushed = p.put_pushed, p.take_pushed
        g = RedisGrants(self)  # persistent grants and their user and client indexes (redis_grants.py)
        self.put_grant, self.get_grant, self.get_grant_by_refresh = g.put_grant, g.get_grant, g.get_grant_by_refresh
        self.replace_refresh, self.revoke_grant, self.list_grants = g.replace_refresh, g.revoke_grant, g.list_grants

    @classmethod
    def from_url(cls, url: str, replica_url: str | None = None, **kw: Any) -> RedisTokenState:
        target = parse_redis_url(url)
        primary, closers = primary_client(target)
        replica = replica_client(replica_url) if replica_url else None
        return cls(primary, replica, prefix=target.prefix, replicas=target.replicas, closers=closers, **kw)

    # ----------------------------------------------------------------- plumbing

    def _key(self, kind: str, ident: str) -> str:
        return f"{self._prefix}{kind}:{ident}"

    async def _guard(self, call: Awaitable[T], uses_connection: bool = True) -> T:
        """Await a Redis call (holding one of MAX_CONNECTIONS slots when it takes a connection itself);
        an unreachable store becomes 503."""
        try:
            if not uses_connection:  # a batched read: the batch holds the slot
                return await call
            async with self._slots:
                return await call
        except UNAVAILABLE as exc:
            self.metrics.inc("tokensmith_token_state_errors_total")
            log.warning("token state unavailable: %s", exc)
            raise TemporarilyUnavailable("The token store is unavailable; try again shortly") from exc

    @staticmethod
    async def _script(client: Any, name: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return await client.evalsha(_SHAS[name], len(keys), *keys, *args)
        except NoScriptError:  # a new primary after failover has an empty script cache
            return await client.eval(lua.ALL[name], len(keys), *keys, *args)

    async def _read(self, command: tuple[Any, ...], present: Callable[[Any], bool],
                    confirm_miss: bool = True) -> Any:
        """Ask the region's replica first; ask the primary when the replica fails or (``confirm_miss``)
        does not know the key. Reads of one event-loop turn share a pipeline (see ReadBatcher)."""
        if self._replica_reads is not None and time.monotonic() >= self._replica_retry_at:
            try:
                found = await self._replica_reads.call(*command)
            except UNAVAILABLE as exc:
                self._replica_retry_at = time.monotonic() + REPLICA_RETRY_AFTER
                self.metrics.inc("tokensmith_replica_reads_total", "error")
                log.warning("region replica unusable for %.0fs, reading from the primary: %s",
                            REPLICA_RETRY_AFTER, exc)
            else:
                if present(found) or not confirm_miss:
                    self.metrics.inc("tokensmith_replica_reads_total", "hit" if present(found) else "miss")
                    return found
                self.metrics.inc("tokensmith_replica_reads_total", "miss")
        return await self._guard(self._primary_reads.call(*command), uses_connection=False)

    async def _replica_target(self) -> int:
        if self._explicit_replicas is not None:
            return self._explicit_replicas
        now = time.monotonic()
        if now - self._replicas_checked_at >= REPLICA_CHECK_INTERVAL:
            self._replicas_checked_at = now
            try:
                async with self._slots:
                    info = await self._primary.info("replication")
            except UNAVAILABLE:
                return self._replicas_seen
            connected = int(info.get("connected_slaves", 0))
            self._replicas_seen = max(self._replicas_seen, connected)
            self.metrics.set("tokensmith_redis_replicas_connected", connected)
            self.metrics.set("tokensmith_redis_replicas_expected", self._replicas_seen)
        return self._replicas_seen

    def _acks(self, atm_id: str | None, replicas: int) -> tuple[int, int]:
        policy = self._sync_for(atm_id)
        return required_acks(policy.mode, replicas), min(policy.timeout_ms, self._max_wait_ms)

    def _waited(self, operation: str, needed: int, got: int) -> bool:
        """Record one WAIT; False when it timed out."""
        self.metrics.inc("tokensmith_replication_waits_total", operation)
        if got >= needed:
            return True
        self.metrics.inc("tokensmith_replication_timeouts_total", operation)
        last, count = self._timeouts_logged.get(operation, (-math.inf, 0))
        now = time.monotonic()
        if now - last >= 10.0:
            log.warning("replication timeout on %s: %d of %d replica acknowledgements arrived in time "
                        "(%d more timeouts since the last message)", operation, got, needed, count)
            self._timeouts_logged[operation] = (now, 0)
        else:
            self._timeouts_logged[operation] = (last, count + 1)
        return False

    async def _write(self, name: str, keys: list[str], args: list[Any], operation: str, atm_id: str | None,
                     ) -> tuple[Any, bool]:
        """Run a script on the primary, then WAIT as the manager's mode asks (one round trip).

        Returns the script's result and whether the acknowledgements arrived in time."""
        needed, timeout_ms = self._acks(atm_id, await self._replica_target())
        if needed == 0:
            return await self._guard(self._script(self._primary, name, keys, args)), True

        async def once() -> list[Any]:
            pipe = self._primary.pipeline(transaction=False)
            pipe.evalsha(_SHAS[name], len(keys), *keys, *args)
            pipe.wait(needed, timeout_ms)
            return list(await pipe.execute(raise_on_error=False))

        async def run() -> tuple[Any, Any]:
            result, got = await once()
            if isinstance(result, NoScriptError):  # a new primary after failover has an empty script cache
                await self._primary.script_load(lua.ALL[name])
                result, got = await once()
            for item in (result, got):
                if isinstance(item, Exception):
                    raise item
            return result, got

        result, got = await self._guard(run())
        return result, self._waited(operation, needed, int(got))

    async def _write_found(self, name: str, keys: list[str], args: list[Any], operation: str,
                           atm_of: Callable[[Any], str | None]) -> tuple[Any, bool]:
        """Run a script whose manager is known only from its result; WAIT on the same connection."""
        replicas = await self._replica_target()  # before taking a connection: it may need one itself
        if replicas == 0:
            return await self._guard(self._script(self._primary, name, keys, args)), True

        async def run() -> tuple[Any, bool]:
            async with self._primary.client() as conn:
                result = await self._script(conn, name, keys, args)
                atm = atm_of(result)
                if atm is None:  # nothing changed: nothing to wait for
                    return result, True
                needed, timeout_ms = self._acks(atm, replicas)
                if needed == 0:
                    return result, True
                got = await conn.wait(needed, timeout_ms)
                return result, self._waited(operation, needed, int(got))

        return await self._guard(run())

    @staticmethod
    def _not_replicated(what: str) -> TemporarilyUnavailable:
        return TemporarilyUnavailable(f"The {what} could not be replicated to enough nodes within the RPC "
                                      "Timeout; nothing was issued. Try again.")

    # ----------------------------------------------------------------- access tokens

    async def put_token(self, record: AccessTokenRecord) -> None:
        now = self._clock.now()
        digest = record.token_hash.hex()
        keys = [self._key("t", digest)]
        if record.grant_id:
            keys.append(self._key("gt", record.grant_id))
        body = orjson.dumps([record.atm_id, record.client_id, record.scope, record.attributes, record.issued_at,
                             record.grant_id])
        args = [body, _num(record.expires_at), ttl_ms(record.expires_at, now), record.atm_id,
                record.grant_id or "", digest, _num(now)]
        stored, replicated = await self._write("put_token", keys, args, "issue", record.atm_id)
        if not stored:
            raise ValueError("a token with this digest already exists")
        self.writes += 1
        if not replicated:
            await self._undo("delete_token", [keys[0]], [self._prefix, digest])
            raise self._not_replicated("access token")

    async def get_token(self, token_hash: bytes) -> AccessTokenRecord | None:
        body, expiry = await self._read(("HMGET", self._key("t", token_hash.hex()), "r", "e"), _both)
        if body is None or expiry is None:
            return None
        atm, client_id, scope, attributes, issued_at, grant_id = orjson.loads(body)
        return AccessTokenRecord(token_hash, atm, client_id, scope, attributes, issued_at, float(expiry), grant_id)

    async def extend_token(self, token_hash: bytes, new_expires_at: float) -> bool:
        digest = token_hash.hex()
        args = [_num(new_expires_at), ttl_ms(new_expires_at, self._clock.now()), self._prefix, digest]
        result, _ = await self._write_found("extend_token", [self._key("t", digest)], args, "extend",
                                            lambda r: None if r is None else text(r))
        if result is None:
            return False
        self.writes += 1
        self.metrics.inc("tokensmith_token_extensions_total")
        return True

    async def delete_token(self, token_hash: bytes) -> bool:
        digest = token_hash.hex()
        result, _ = await self._write_found("delete_token", [self._key("t", digest)], [self._prefix, digest],
                                            "revoke", lambda r: None if r is None else text(r))
        self.writes += 1
        return result is not None

    # ----------------------------------------------------------------- JWT denylist

    async def revoke_jti(self, jti_key: str, expires_at: float) -> None:
        ttl = ttl_ms(expires_at + JTI_MARGIN, self._clock.now())
        atm = jti_key.split("|", 1)[0] if "|" in jti_key else None
        await self._write("revoke_jti", [self._key("j", jti_key)], [_num(expires_at), ttl], "revoke_jti", atm)
        self.writes += 1

    async def is_jti_revoked(self, jti_key: str, now: float) -> bool:
        until = await self._read(("GET", self._key("j", jti_key)), _some, confirm_miss=False)
        return until is not None and float(until) > now

    # ----------------------------------------------------------------- shared values

    async def get_shared(self, name: str) -> SharedValue | None:
        found: list[Any] = await self._guard(self._primary.hmget(self._key("s", name), ["v", "d"]))
        version, value = found
        return SharedValue(int(version), bytes(value)) if version is not None and value is not None else None

    async def put_shared(self, name: str, expected_version: int, value: bytes) -> bool:
        stored, _ = await self._write("put_shared", [self._key("s", name)], [expected_version, value], "shared", None)
        if stored:
            self.writes += 1
        return bool(stored)

    # ----------------------------------------------------------------- housekeeping

    async def purge_expired(self, now: float) -> int:
        return 0  # every key carries its record's TTL: Redis removes expired records by itself

    async def _undo(self, name: str, keys: list[str], args: list[Any]) -> None:
        """Best effort: take back a write whose replication timed out (its value was never handed out)."""
        try:
            await self._script(self._primary, name, keys, args)
        except Exception as exc:  # the record then simply expires unused
            log.warning("could not take back an unreplicated write: %s", exc)

    async def close(self) -> None:
        await self._primary.aclose()
        if self._replica is not None:
            await self._replica.aclose()
        for closer in self._closers:
            await closer()

    # ----------------------------------------------------------------- diagnostics

    async def ttl_ms(self, kind: str, ident: str) -> int:
        """Remaining lifetime in ms of one stored item (-1: no expiry, -2: absent); for tests and tools."""
        return int(await self._primary.pttl(self._key(kind, ident)))


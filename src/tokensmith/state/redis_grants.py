"""Persistent grants in the Redis token state (key layout: :mod:`tokensmith.state.redis_scripts`).

A grant is a hash under its id, its refresh token digest points at it, and two sets index it by user
key and by client id, for the grant management APIs and remembered consent. Writing and revoking a
grant change all of them in one Lua script on the primary, so a listing never shows a grant whose
refresh token no longer works, and a revoked grant never lingers in an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from tokensmith.state.base import GrantRecord
from tokensmith.state.redis_values import text, ttl_ms

if TYPE_CHECKING:
    from tokensmith.state.redis import RedisTokenState


def _record(grant_id: str, body: Any, refresh_hex: Any) -> GrantRecord:
    fields = orjson.loads(body)
    client_id, atm_id, user_key, scope, attributes, created_at, expires_at = fields[:7]
    grant_type = fields[7] if len(fields) > 7 else ""  # records written before grants kept their type
    return GrantRecord(grant_id, bytes.fromhex(text(refresh_hex)), client_id, atm_id, user_key, scope,
                       attributes, created_at, expires_at, grant_type)


class RedisGrants:
    def __init__(self, host: RedisTokenState) -> None:
        self._host = host

    async def put_grant(self, grant: GrantRecord) -> None:
        h = self._host
        digest = grant.refresh_hash.hex()
        ttl = 0 if grant.expires_at is None else ttl_ms(grant.expires_at, h._clock.now())
        body = orjson.dumps([grant.client_id, grant.atm_id, grant.user_key, grant.scope, grant.attributes,
                             grant.created_at, grant.expires_at, grant.grant_type])
        keys = [h._key("g", grant.grant_id), h._key("r", digest), h._key("gu", grant.user_key),
                h._key("gc", grant.client_id)]
        args = [body, digest, grant.atm_id, grant.grant_id, ttl, grant.user_key, grant.client_id]
        stored, replicated = await h._write("put_grant", keys, args, "issue", grant.atm_id)
        if not stored:
            raise ValueError("a grant with this id or refresh token digest already exists")
        h.writes += 1
        if not replicated:
            await h._undo("revoke_grant", [keys[0], h._key("gt", grant.grant_id)], [h._prefix])
            raise h._not_replicated("grant")

    async def get_grant(self, grant_id: str) -> GrantRecord | None:
        h = self._host
        body, refresh = await h._guard(h._primary.hmget(h._key("g", grant_id), ["r", "h"]))
        return _record(grant_id, body, refresh) if body is not None and refresh is not None else None

    async def get_grant_by_refresh(self, refresh_hash: bytes) -> GrantRecord | None:
        h = self._host
        digest = refresh_hash.hex()
        found = await h._guard(h._script(h._primary, "grant_by_refresh", [h._key("r", digest)],
                                         [h._prefix, digest]))
        return _record(text(found[0]), found[1], found[2]) if found else None

    async def replace_refresh(self, grant_id: str, old_hash: bytes, new_hash: bytes) -> bool:
        h = self._host
        keys = [h._key("g", grant_id), h._key("r", old_hash.hex()), h._key("r", new_hash.hex())]
        result, replicated = await h._write_found("replace_refresh", keys,
                                                  [old_hash.hex(), new_hash.hex(), grant_id], "refresh",
                                                  lambda r: None if r is None else text(r))
        if result is None:
            return False
        h.writes += 1
        if not replicated:  # hand the client's current refresh token back its grant
            await h._undo("replace_refresh", [keys[0], keys[2], keys[1]], [new_hash.hex(), old_hash.hex(), grant_id])
            raise h._not_replicated("refresh token")
        return True

    async def revoke_grant(self, grant_id: str) -> int:
        h = self._host
        keys = [h._key("g", grant_id), h._key("gt", grant_id)]
        result, _ = await h._write_found("revoke_grant", keys, [h._prefix], "revoke",
                                         lambda r: text(r[1]) or None)
        h.writes += 1
        return int(result[0])

    async def list_grants(self, now: float, *, user_key: str | None = None,
                          client_id: str | None = None) -> list[GrantRecord]:
        h = self._host
        index = h._key("gu", user_key) if user_key is not None else h._key("gc", client_id or "")
        flat = await h._guard(h._script(h._primary, "list_grants", [index], [h._prefix]))
        found = [_record(text(flat[i]), flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]
        return sorted((g for g in found if g.live(now)), key=lambda g: (g.created_at, g.grant_id))

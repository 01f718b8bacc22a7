"""The Lua scripts of the Redis token state. Each runs atomically on the primary.

Key layout (``P`` is the key prefix, ``ts:`` by default; digests are lower-case hex):

* ``P t:<token digest>``  hash ``r`` record (JSON), ``e`` expiry (epoch seconds), ``a`` manager id,
  ``g`` grant id or ""; expires with the token.
* ``P g:<grant id>``  hash ``r`` record (JSON), ``h`` refresh token digest, ``a`` manager id,
  ``u`` user key, ``c`` client id; expires with the grant (never, for grants that do not expire).
* ``P gu:<user key>``, ``P gc:<client id>``  sets of the grant ids of one user and of one client,
  kept by the same scripts that write and revoke grants; they live as long as their longest-lived
  grant, and ids of grants that expired meanwhile are dropped whenever the set is listed.
* ``P r:<refresh digest>``  the grant id; same lifetime as the grant.
* ``P gt:<grant id>``  sorted set of the grant's access token digests scored by expiry; lives as
  long as its longest-lived token, and expired members are dropped whenever a token is added.
* ``P j:<jti key>``  expiry of a denied JWT id; lives until that expiry.
* ``P s:<name>``  hash ``v`` version, ``d`` value: compare-and-set shared values (no expiry).

Scripts that must touch keys named inside other keys (a grant's tokens) compute those names from
the prefix given in ARGV; this layout therefore needs one primary (or Sentinel), not Redis Cluster.
"""

from __future__ import annotations

PUT_TOKEN = """
-- KEYS: token [, grant tokens]  ARGV: record, expiry, ttl ms, manager, grant id, digest, now
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'e', ARGV[2], 'a', ARGV[4], 'g', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if #KEYS > 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
end
return 1
"""

EXTEND_TOKEN = """
-- KEYS: token  ARGV: new expiry, ttl ms, key prefix, digest
local cur = redis.call('HMGET', KEYS[1], 'e', 'a', 'g')
if not cur[1] or tonumber(cur[1]) >= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if cur[3] and cur[3] ~= '' then
  local set = ARGV[3] .. 'gt:' .. cur[3]
  if redis.call('ZSCORE', set, ARGV[4]) then
    redis.call('ZADD', set, ARGV[1], ARGV[4])
    if redis.call('PTTL', set) < tonumber(ARGV[2]) then redis.call('PEXPIRE', set, ARGV[2]) end
  end
end
return cur[2]
"""

DELETE_TOKEN = """
-- KEYS: token  ARGV: key prefix, digest
local cur = redis.call('HMGET', KEYS[1], 'a', 'g')
if not cur[1] then return false end
redis.call('DEL', KEYS[1])
if cur[2] and cur[2] ~= '' then redis.call('ZREM', ARGV[1] .. 'gt:' .. cur[2], ARGV[2]) end
return cur[1]
"""

PUT_GRANT = """
-- KEYS: grant, refresh, user index, client index
-- ARGV: record, refresh digest, manager, grant id, ttl ms (0: no expiry), user key, client id
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'h', ARGV[2], 'a', ARGV[3], 'u', ARGV[6], 'c', ARGV[7])
redis.call('SET', KEYS[2], ARGV[4])
local ttl = tonumber(ARGV[5])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
for i = 3, 4 do
  local existed = redis.call('EXISTS', KEYS[i]) == 1
  local left = redis.call('PTTL', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[4])
  if ttl == 0 then redis.call('PERSIST', KEYS[i])
  elseif not existed or (left >= 0 and left < ttl) then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
"""

GRANT_BY_REFRESH = """
-- KEYS: refresh  ARGV: key prefix, refresh digest
local id = redis.call('GET', KEYS[1])
if not id then return false end
local g = redis.call('HMGET', ARGV[1] .. 'g:' .. id, 'r', 'h')
if not g[1] or g[2] ~= ARGV[2] then return false end
return {id, g[1], g[2]}
"""

REPLACE_REFRESH = """
-- KEYS: grant, old refresh, new refresh  ARGV: old digest, new digest, grant id
local cur = redis.call('HMGET', KEYS[1], 'h', 'a')
if cur[1] ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'h', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return cur[2]
"""

REVOKE_GRANT = """
-- KEYS: grant, grant tokens  ARGV: key prefix
local cur = redis.call('HMGET', KEYS[1], 'h', 'a', 'u', 'c')
if cur[1] then redis.call('DEL', ARGV[1] .. 'r:' .. cur[1]) end
local id = string.sub(KEYS[1], string.len(ARGV[1]) + 3)
if cur[3] then redis.call('SREM', ARGV[1] .. 'gu:' .. cur[3], id) end
if cur[4] then redis.call('SREM', ARGV[1] .. 'gc:' .. cur[4], id) end
redis.call('DEL', KEYS[1])
local removed = 0
for _, digest in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  removed = removed + redis.call('DEL', ARGV[1] .. 't:' .. digest)
end
redis.call('DEL', KEYS[2])
return {removed, cur[2] or ''}
"""

LIST_GRANTS = """
-- KEYS: user or client index  ARGV: key prefix
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local g = redis.call('HMGET', ARGV[1] .. 'g:' .. id, 'r', 'h')
  if g[1] and g[2] then
    table.insert(found, id); table.insert(found, g[1]); table.insert(found, g[2])
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return found
"""

REVOKE_JTI = """
-- KEYS: denylist entry  ARGV: expiry, ttl ms
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

PUT_SHARED = """
-- KEYS: shared value  ARGV: expected version, value
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', version + 1, 'd', ARGV[2])
return 1
"""

ALL = {
    "put_token": PUT_TOKEN, "extend_token": EXTEND_TOKEN, "delete_token": DELETE_TOKEN,
    "put_grant": PUT_GRANT, "grant_by_refresh": GRANT_BY_REFRESH, "replace_refresh": REPLACE_REFRESH,
    "revoke_grant": REVOKE_GRANT, "list_grants": LIST_GRANTS, "revoke_jti": REVOKE_JTI, "put_shared": PUT_SHARED,
}

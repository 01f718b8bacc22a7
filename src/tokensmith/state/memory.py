"""In-memory token state: the twin of the persistent backends, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tokensmith.state.base import (
    CODE_MEMORY,
    NO_GUESSES,
    AccessTokenRecord,
    CodeRecord,
    DeviceRecord,
    DigestKeys,
    GrantRecord,
    GuessCount,
    GuessRule,
    PushedRequestRecord,
    SharedValue,
    device_decision,
    device_poll,
)


class MemoryTokenState(DigestKeys):
    def __init__(self) -> None:
        self.tokens: dict[bytes, AccessTokenRecord] = {}
        self.grants: dict[str, GrantRecord] = {}
        self.refresh_index: dict[bytes, str] = {}
        self.denied: dict[str, float] = {}
        self.shared: dict[str, SharedValue] = {}
        self.guesses: dict[str, tuple[str, int, float, float]] = {}  # key -> group, failures, expiry, lock
        self.codes: dict[bytes, tuple[CodeRecord, int]] = {}  # digest -> record, times taken
        self.devices: dict[bytes, DeviceRecord] = {}  # device code digest -> record
        self.device_users: dict[bytes, bytes] = {}  # user code digest -> device code digest
        self.pushed: dict[bytes, PushedRequestRecord] = {}  # digest of the request_uri -> record
        self.writes = 0

    async def put_token(self, record: AccessTokenRecord) -> None:
        if record.token_hash in self.tokens:
            raise ValueError("a token with this digest already exists")
        self.writes += 1
        self.tokens[record.token_hash] = record  # records are immutable: no copy needed

    async def get_token(self, token_hash: bytes) -> AccessTokenRecord | None:
        return self.tokens.get(token_hash)

    async def extend_token(self, token_hash: bytes, new_expires_at: float) -> bool:
        record = self.tokens.get(token_hash)
        if record is None or record.expires_at >= new_expires_at:
            return False
        self.writes += 1
        self.tokens[token_hash] = replace(record, expires_at=new_expires_at)
        return True

    async def delete_token(self, token_hash: bytes) -> bool:
        self.writes += 1
        return self.tokens.pop(token_hash, None) is not None

    async def put_grant(self, grant: GrantRecord) -> None:
        self.writes += 1
        self.grants[grant.grant_id] = replace(grant)
        self.refresh_index[grant.refresh_hash] = grant.grant_id

    async def get_grant(self, grant_id: str) -> GrantRecord | None:
        grant = self.grants.get(grant_id)
        return replace(grant) if grant is not None else None

    async def get_grant_by_refresh(self, refresh_hash: bytes) -> GrantRecord | None:
        grant_id = self.refresh_index.get(refresh_hash)
        return await self.get_grant(grant_id) if grant_id else None

    async def replace_refresh(self, grant_id: str, old_hash: bytes, new_hash: bytes) -> bool:
        grant = self.grants.get(grant_id)
        if grant is None or grant.refresh_hash != old_hash:
            return False
        self.writes += 1
        del self.refresh_index[old_hash]
        grant.refresh_hash = new_hash
        self.refresh_index[new_hash] = grant_id
        return True

    async def revoke_grant(self, grant_id: str) -> int:
        self.writes += 1
        grant = self.grants.pop(grant_id, None)
        if grant is not None:
            self.refresh_index.pop(grant.refresh_hash, None)
        doomed = [h for h, r in self.tokens.items() if r.grant_id == grant_id]
        for h in doomed:
            del self.tokens[h]
        return len(doomed)

    async def list_grants(self, now: float, *, user_key: str | None = None,
                          client_id: str | None = None) -> list[GrantRecord]:
        found = [replace(g) for g in self.grants.values() if g.live(now)
                 and (user_key is None or g.user_key == user_key) and (client_id is None or g.client_id == client_id)]
        return sorted(found, key=lambda g: (g.created_at, g.grant_id))

    async def put_code(self, record: CodeRecord) -> None:
        if record.code_hash in self.codes:
            raise ValueError("a code with this digest already exists")
        self.writes += 1
        self.codes[record.code_hash] = (record, 0)

    async def take_code(self, code_hash: bytes) -> CodeRecord | None:
        found = self.codes.get(code_hash)
        if found is None:
            return None
        record, taken = found
        self.writes += 1
        self.codes[code_hash] = (record, taken + 1)
        return replace(record, reused=taken > 0)

    async def record_code_issue(self, code_hash: bytes, grant_id: str | None, token_key: bytes | None) -> bool:
        found = self.codes.get(code_hash)
        if found is None:
            return False
        record, taken = found
        self.writes += 1
        self.codes[code_hash] = (replace(record, issued_grant_id=grant_id, issued_token_key=token_key), taken)
        return taken == 1

    async def put_device(self, record: DeviceRecord) -> None:
        if record.device_hash in self.devices or record.user_hash in self.device_users:
            raise ValueError("a device authorization with this device or user code already exists")
        self.writes += 1
        self.devices[record.device_hash] = record
        self.device_users[record.user_hash] = record.device_hash

    async def get_device(self, user_hash: bytes) -> DeviceRecord | None:
        device_hash = self.device_users.get(user_hash)
        return self.devices.get(device_hash) if device_hash is not None else None

    async def decide_device(self, user_hash: bytes, now: float, approved: bool, user_key: str, validator_id: str,
                            user_attributes: dict[str, Any]) -> bool:
        record = await self.get_device(user_hash)
        decided = device_decision(record, now, approved, user_key, validator_id, user_attributes) if record else None
        if decided is None:
            return False
        self.writes += 1
        self.devices[decided.device_hash] = decided
        return True

    async def poll_device(self, device_hash: bytes, client_id: str, now: float) -> tuple[str, DeviceRecord] | None:
        record = self.devices.get(device_hash)
        if record is None:
            return None
        outcome, changed = device_poll(record, client_id, now)
        if changed is not None:
            self.writes += 1
            self.devices[device_hash] = changed
        return outcome, record
    async def put_pushed(self, record: PushedRequestRecord) -> None:
        if record.ref_hash in self.pushed:
            raise ValueError("a pushed request with this digest already exists")
        self.writes += 1
        self.pushed[record.ref_hash] = record

    async def take_pushed(self, ref_hash: bytes) -> PushedRequestRecord | None:
        found = self.pushed.pop(ref_hash, None)
        if found is not None:
            self.writes += 1
        return found

    async def revoke_jti(self, jti_key: str, expires_at: float) -> None:
        self.writes += 1
        self.denied[jti_key] = max(expires_at, self.denied.get(jti_key, 0.0))

    async def is_jti_revoked(self, jti_key: str, now: float) -> bool:
        return self.denied.get(jti_key, 0.0) > now

    async def get_shared(self, name: str) -> SharedValue | None:
        return self.shared.get(name)

    async def put_shared(self, name: str, expected_version: int, value: bytes) -> bool:
        current = self.shared.get(name)
        if (current.version if current else 0) != expected_version:
            return False
        self.writes += 1
        self.shared[name] = SharedValue(expected_version + 1, bytes(value))
        return True

    async def guess_counts(self, keys: Sequence[str], now: float) -> list[GuessCount]:
        out = []
        for key in keys:
            found = self.guesses.get(key)
            out.append(GuessCount(found[1], found[3]) if found is not None and found[2] > now else NO_GUESSES)
        return out

    async def add_guess_failure(self, key: str, group: str, rule: GuessRule, now: float) -> float:
        found = self.guesses.get(key)
        alive = found is not None and found[2] > now
        failures = found[1] + 1 if found is not None and alive else 1
        lock = rule.lock_for(failures)
        locked_until = max(found[3] if found is not None and alive else 0.0, now + lock if lock else 0.0)
        self.writes += 1
        self.guesses[key] = (group, failures, max(now, locked_until) + rule.window, locked_until)
        return locked_until

    async def clear_guesses(self, key: str) -> None:
        self.guesses.pop(key, None)

    async def unlock_guesses(self, group: str) -> int:
        doomed = [k for k, v in self.guesses.items() if v[0] == group]
        for key in doomed:
            del self.guesses[key]
        return len(doomed)

    async def purge_expired(self, now: float) -> int:
        for key in [k for k, v in self.guesses.items() if v[2] <= now]:
            del self.guesses[key]
        for code in [k for k, (r, _) in self.codes.items() if r.expires_at + CODE_MEMORY <= now]:
            del self.codes[code]
        for device in [r for r in self.devices.values() if r.expires_at + CODE_MEMORY <= now]:
            del self.devices[device.device_hash], self.device_users[device.user_hash]
        for ref in [k for k, r in self.pushed.items() if r.expires_at <= now]:
            del self.pushed[ref]
        for key in [k for k, until in self.denied.items() if until <= now]:
            del self.denied[key]
        doomed = [h for h, r in self.tokens.items() if r.expires_at <= now]
        for h in doomed:
            del self.tokens[h]
        old = [g for g in self.grants.values() if g.expires_at is not None and g.expires_at <= now]
        removed = len(doomed) + len(old)
        for g in old:
            removed += await self.revoke_grant(g.grant_id)
        return removed

    async def close(self) -> None:
        return None

"""The token-state interface every backend implements.

Only a SHA-256 digest of each token value is ever stored (see :func:`token_digest`), so a copy of
the state store does not yield usable tokens. Records carry absolute expiry times in epoch
seconds; callers compare them against their injected clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from tokensmith.crypto.randomness import urlsafe_token


def token_digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


class DigestKeys:
    """Access tokens keyed by the SHA-256 digest of their value, values drawn at random: what a
    backend without a preferred key order uses (Redis, the in-memory twin)."""

    def token_key(self, value: str) -> bytes:
        return token_digest(value)

    def new_token(self, length: int) -> tuple[str, bytes]:
        value = urlsafe_token(length)
        return value, token_digest(value)


@dataclass(frozen=True, slots=True)
class AccessTokenRecord:
    """One stored access token. Immutable: backends may hand the same record to many requests
    (the SQLite state's per-worker cache does), so a change is a new record in the store."""

    token_hash: bytes
    atm_id: str
    client_id: str
    scope: str
    attributes: dict[str, Any]
    issued_at: float
    expires_at: float
    grant_id: str | None = None

    @property
    def persistent(self) -> bool:
        return self.grant_id is not None


@dataclass(slots=True)
class GrantRecord:
    """A persistent grant: created by grants that issue a refresh token. ``grant_type`` is the
    client grant type value (PingFederate's, e.g. ``AUTHORIZATION_CODE``) of the grant that created
    it, as the grant management APIs report it ("" for grants stored before it was recorded)."""

    grant_id: str
    refresh_hash: bytes
    client_id: str
    atm_id: str
    user_key: str
    scope: str
    attributes: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    expires_at: float | None = None  # None: the grant does not expire
    grant_type: str = ""

    def live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


CODE_MEMORY = 600.0  # seconds a redeemed authorization code is remembered after its expiry (reuse detection)


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """An authorization code (RFC 6749 §4.1.2), stored by the digest of its value.

    ``redirect_uri`` is the one the authorization request sent (None when it sent none: the token
    request must then send none either); ``challenge``/``challenge_method`` are RFC 7636's ("" when
    the request had none). ``user_key``, ``validator_id`` and ``user_attributes`` say who signed in and
    through which password credential validator, for the access token mapping. ``reused`` is set on
    what a second :meth:`TokenState.take_code` returns, with what the first exchange recorded it
    issued (``issued_grant_id``, ``issued_token_key``), so the caller can revoke it (RFC 6749 §4.1.2)."""

    code_hash: bytes
    client_id: str
    redirect_uri: str | None
    challenge: str
    challenge_method: str
    scope: str
    user_key: str
    validator_id: str
    user_attributes: dict[str, Any]
    expires_at: float
    issued_grant_id: str | None = None
    issued_token_key: bytes | None = None
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        """The record's body as the persistent stores keep it (everything but the digest and flags)."""
        return {"c": self.client_id, "r": self.redirect_uri, "ch": self.challenge, "m": self.challenge_method,
                "s": self.scope, "u": self.user_key, "v": self.validator_id, "a": self.user_attributes,
                "e": self.expires_at}

    @classmethod
    def from_json(cls, code_hash: bytes, body: dict[str, Any], grant_id: str | None, token_key: bytes | None,
                  reused: bool) -> CodeRecord:
        return cls(code_hash, body["c"], body["r"], body["ch"], body["m"], body["s"], body["u"], body["v"],
                   body["a"], float(body["e"]), grant_id, token_key, reused)


DEVICE_PENDING, DEVICE_APPROVED, DEVICE_DENIED, DEVICE_REDEEMED = "pending", "approved", "denied", "redeemed"
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5: each slow_down adds 5 seconds to the interval


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A device authorization (RFC 8628 §3.2), stored by the digests of its device code and of its
    normalised user code (the user page looks it up by the latter).

    ``status`` moves once from pending to approved or denied (the user's decision, with who signed in:
    ``user_key``, ``validator_id``, ``user_attributes``), and from approved to redeemed (the poll that
    gets the tokens). ``last_poll`` and ``interval`` are the token endpoint's: a poll sooner than
    ``interval`` seconds after the last one gets ``slow_down`` and adds :data:`SLOW_DOWN_STEP`."""

    device_hash: bytes
    user_hash: bytes
    client_id: str
    scope: str
    expires_at: float
    interval: float
    status: str = DEVICE_PENDING
    last_poll: float = 0.0
    user_key: str = ""
    validator_id: str = ""
    user_attributes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Everything but the two digests, as the persistent stores keep it."""
        return {"c": self.client_id, "s": self.scope, "e": self.expires_at, "i": self.interval, "st": self.status,
                "p": self.last_poll, "u": self.user_key, "v": self.validator_id, "a": self.user_attributes}

    @classmethod
    def from_json(cls, device_hash: bytes, user_hash: bytes, body: dict[str, Any]) -> DeviceRecord:
        return cls(device_hash, user_hash, body["c"], body["s"], float(body["e"]), float(body["i"]), body["st"],
                   float(body["p"]), body["u"], body["v"], body["a"])


def device_poll(record: DeviceRecord, client_id: str, now: float) -> tuple[str, DeviceRecord | None]:
    """One token-endpoint poll of ``record`` by ``client_id`` at ``now``: the outcome (foreign, redeemed,
    expired, approved, denied, slow_down, pending) and the record to store instead (None: unchanged).
    Every backend applies this one rule atomically, so two polls never both redeem an approval."""
    if record.client_id != client_id:
        return "foreign", None  # another client's code: no change, so it cannot spend or slow it
    if record.status == DEVICE_REDEEMED:
        return "redeemed", None
    if record.expires_at <= now:
        return "expired", None
    if record.status == DEVICE_APPROVED:
        return "approved", replace(record, status=DEVICE_REDEEMED, last_poll=now)
    if record.status == DEVICE_DENIED:
        return "denied", None
    if record.last_poll and now - record.last_poll < record.interval:
        return "slow_down", replace(record, interval=record.interval + SLOW_DOWN_STEP, last_poll=now)
    return "pending", replace(record, last_poll=now)


def device_decision(record: DeviceRecord, now: float, approved: bool, user_key: str, validator_id: str,
                    user_attributes: dict[str, Any]) -> DeviceRecord | None:
    """The record after the user's decision, or None when it is no longer pending (decided, expired)."""
    if record.status != DEVICE_PENDING or record.expires_at <= now:
        return None
    return replace(record, status=DEVICE_APPROVED if approved else DEVICE_DENIED, user_key=user_key,
                   validator_id=validator_id, user_attributes=dict(user_attributes))


@dataclass(frozen=True, slots=True)
class PushedRequestRecord:
    """A pushed authorization request (RFC 9126), stored by the SHA-256 digest of its ``request_uri``
    (the reference itself is never stored, so a copy of the store cannot be replayed at the
    authorization endpoint). ``params`` are the authorization request parameters as the client pushed
    them, without its credentials; ``client_id`` is the authenticated client the reference is bound to."""

    ref_hash: bytes
    client_id: str
    params: dict[str, str]
    expires_at: float

    def to_json(self) -> dict[str, Any]:
        """The record's body as the persistent stores keep it (everything but the digest)."""
        return {"c": self.client_id, "p": self.params, "e": self.expires_at}

    @classmethod
    def from_json(cls, ref_hash: bytes, body: dict[str, Any]) -> PushedRequestRecord:
        return cls(ref_hash, body["c"], dict(body["p"]), float(body["e"]))


@dataclass(frozen=True, slots=True)
class SharedValue:
    """A small value every worker and node must agree on (for example key-rotation state)."""

    version: int  # starts at 1; bumped by every successful put_shared
    value: bytes


@dataclass(frozen=True, slots=True)
class GuessRule:
    """How failed guesses on one key are counted (see :mod:`tokensmith.state.throttle`).

    ``limit`` failures (counted until ``window`` seconds pass without one) lock the key for
    ``lockout`` seconds; every further failure after a lock doubles it, up to ``max_lockout``.
    The count is forgotten ``window`` seconds after the last failure or the end of the last lock."""

    limit: int
    window: float
    lockout: float
    max_lockout: float

    def lock_for(self, failures: int) -> float:
        """Seconds the ``failures``-th failure locks the key for (0: not locked)."""
        if self.limit <= 0 or failures < self.limit:
            return 0.0
        return min(self.max_lockout, self.lockout * 2.0 ** min(failures - self.limit, 40))


@dataclass(frozen=True, slots=True)
class GuessCount:
    """Failed guesses counted on one key: how many, and until when the key is locked (0: not)."""

    failures: int = 0
    locked_until: float = 0.0


NO_GUESSES = GuessCount()


class TokenState(Protocol):
    def token_key(self, value: str) -> bytes:
        """The key an access token with this value is stored under (derived from a digest of the
        value: the value itself is never stored)."""
        ...

    def new_token(self, length: int) -> tuple[str, bytes]:
        """A new access token value of ``length`` base64url characters (22 or more), and its key."""
        ...

    async def put_token(self, record: AccessTokenRecord) -> None: ...

    async def get_token(self, token_hash: bytes) -> AccessTokenRecord | None: ...

    async def extend_token(self, token_hash: bytes, new_expires_at: float) -> bool:
        """Move the expiry forward (never back). True when the record changed."""
        ...

    async def delete_token(self, token_hash: bytes) -> bool: ...

    async def put_grant(self, grant: GrantRecord) -> None: ...

    async def get_grant(self, grant_id: str) -> GrantRecord | None: ...

    async def get_grant_by_refresh(self, refresh_hash: bytes) -> GrantRecord | None: ...

    async def replace_refresh(self, grant_id: str, old_hash: bytes, new_hash: bytes) -> bool:
        """Roll a refresh token. False when ``old_hash`` is no longer the grant's token."""
        ...

    async def revoke_grant(self, grant_id: str) -> int:
        """Delete the grant and every access token issued under it; returns tokens removed."""
        ...

    async def list_grants(self, now: float, *, user_key: str | None = None,
                          client_id: str | None = None) -> list[GrantRecord]:
        """The unexpired grants of one user (by ``USER_KEY``) or of one client (exactly one of the
        two is given), oldest first: the grant management APIs and the remembered consent read them."""
        ...

    async def put_code(self, record: CodeRecord) -> None:
        """Store a new authorization code (kept until ``CODE_MEMORY`` seconds after it expires)."""
        ...

    async def take_code(self, code_hash: bytes) -> CodeRecord | None:
        """Redeem a code, atomically across workers and nodes: the first take returns the record with
        ``reused`` False; every later take returns it with ``reused`` True and what the first exchange
        recorded through :meth:`record_code_issue`. None for an unknown (or forgotten) code."""
        ...

    async def record_code_issue(self, code_hash: bytes, grant_id: str | None, token_key: bytes | None) -> bool:
        """Remember what redeeming the code issued. False when the code was taken again meanwhile: the
        caller must then revoke what it issued itself, since the racing take could not see it."""
        ...

    async def put_device(self, record: DeviceRecord) -> None:
        """Store a new device authorization (kept until ``CODE_MEMORY`` seconds after it expires).
        ValueError when its device code or user code digest is already in use."""
        ...

    async def get_device(self, user_hash: bytes) -> DeviceRecord | None:
        """The device authorization with this user code digest (None: unknown or forgotten)."""
        ...

    async def decide_device(self, user_hash: bytes, now: float, approved: bool, user_key: str, validator_id: str,
                            user_attributes: dict[str, Any]) -> bool:
        """Record the user's decision (:func:`device_decision`) atomically; False when the authorization
        is unknown, already decided or expired."""
        ...

    async def poll_device(self, device_hash: bytes, client_id: str, now: float) -> tuple[str, DeviceRecord] | None:
        """One poll (:func:`device_poll`) applied atomically across workers and nodes: the outcome and
        the record as it was before the poll. None for an unknown (or forgotten) device code."""
    async def put_pushed(self, record: PushedRequestRecord) -> None:
        """Store a pushed authorization request until it expires (a second record with the same digest
        is an error)."""
        ...

    async def take_pushed(self, ref_hash: bytes) -> PushedRequestRecord | None:
        """Remove and return a pushed authorization request, atomically across workers and nodes: of
        racing takes exactly one gets the record. None when unknown, already taken or purged; whether it
        has expired is the caller's check against its clock."""
        ...

    async def revoke_jti(self, jti_key: str, expires_at: float) -> None:
        """Deny a self-contained token by its id until ``expires_at`` (when it would expire anyway)."""
        ...

    async def is_jti_revoked(self, jti_key: str, now: float) -> bool: ...

    async def get_shared(self, name: str) -> SharedValue | None: ...

    async def put_shared(self, name: str, expected_version: int, value: bytes) -> bool:
        """Compare-and-set: store ``value`` only if the current version is ``expected_version``
        (0 when the name is absent). True when stored; the new version is ``expected_version + 1``."""
        ...

    async def guess_counts(self, keys: Sequence[str], now: float) -> list[GuessCount]:
        """The failed guesses counted on each key (:data:`NO_GUESSES` for keys with none left)."""
        ...

    async def add_guess_failure(self, key: str, group: str, rule: GuessRule, now: float) -> float:
        """Count one failed guess on ``key`` (one of ``group``'s keys, for :meth:`unlock_guesses`);
        returns until when the key is now locked (0: not locked)."""
        ...

    async def clear_guesses(self, key: str) -> None:
        """Forget the failures counted on ``key`` (after a successful sign-in)."""
        ...

    async def unlock_guesses(self, group: str) -> int:
        """Forget every key of ``group`` and its lock; returns the number of keys removed."""
        ...

    async def purge_expired(self, now: float) -> int: ...

    async def close(self) -> None: ...

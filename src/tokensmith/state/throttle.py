"""Throttling of password and secret guessing, shared by every worker and node.

A guess is one check of a secret: a client secret at the token, introspection and revocation
endpoints, an administrator password at the admin API or the console, a UsernameToken password at
the STS, a user's password in the OAuth password grant. Each check is counted on two keys in the
token state (so every worker of a node, and every node of a cluster, counts the same failures):

* the identity at its source address (``client:<id>|<address>``, ``admin:<user>|<address>``,
  ``sts:<user>|<address>``, ``password:<user>|<address>``): a guesser elsewhere cannot lock a client
  or a user out;
* the source address alone (``addr:<address>``): one address trying many identities.

A key that reaches its limit is locked; every further failure after a lock doubles the lock, up to
a maximum. While any key of a check is locked the check is refused (:class:`Throttled`, which each
protocol renders as 429 with ``Retry-After``) WITHOUT looking at the secret, so a right secret is
not confirmed while guessing is throttled. A success forgets the identity's count at that address;
the address count is left alone (a guesser holding one valid secret could otherwise reset it).

Each protocol calls :meth:`Throttle.begin` before any cache or hash check, then reports the outcome
on the returned :class:`Attempt`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokensmith.clock import Clock
from tokensmith.errors import TokensmithError
from tokensmith.metrics import SECRETS, Metrics
from tokensmith.state.base import GuessRule, TokenState

KINDS = SECRETS  # one per kind of secret; the metrics' labels
MAX_PART = 255  # identities and addresses are cut to this many characters in keys
MEMO_LIMIT = 10_000  # remembered key lists per worker


_Keys = tuple[list[tuple[str, str, int]], list[str]]


class Throttled(TokensmithError):
    """Guessing on this identity or address is locked for ``retry_after`` more seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The limits (0 turns a key off; both 0 turns throttling off)."""

    failures: int = 10  # per identity and address
    address_failures: int = 100  # per address, any identity
    window: float = 900.0  # seconds without a failure after which a count is forgotten
    lockout: float = 60.0  # the first lock, in seconds
    max_lockout: float = 900.0

    @property
    def enabled(self) -> bool:
        return self.failures > 0 or self.address_failures > 0

    def rule(self, limit: int) -> GuessRule:
        return GuessRule(limit, self.window, self.lockout, self.max_lockout)


def identity_group(kind: str, identity: str) -> str:
    """The group of an identity's keys (every address): what ``tokensmith admin unlock`` clears."""
    return f"{kind}:{identity[:MAX_PART]}"


def address_group(address: str) -> str:
    return f"addr:{address[:MAX_PART]}"


class Attempt:
    """One check of a secret that the throttle let through: report how it went."""

    __slots__ = ("_counted", "_keys", "_kind", "_throttle")

    def __init__(self, throttle: Throttle | None, kind: str, keys: list[tuple[str, str, int]],
                 counted: bool) -> None:
        self._throttle = throttle
        self._kind = kind
        self._keys = keys  # (key, group, limit); the identity key first when there is one
        self._counted = counted  # the identity key has failures to forget on success

    async def failed(self) -> None:
        throttle = self._throttle
        if throttle is None:
            return
        now = throttle.clock.now()
        throttle.metrics.inc("tokensmith_auth_failures_total", self._kind)
        for key, group, limit in self._keys:
            until = await throttle.state.add_guess_failure(key, group, throttle.policy.rule(limit), now)
            if until > now:
                throttle.metrics.inc("tokensmith_lockouts_total", self._kind)

    async def succeeded(self) -> None:
        if self._throttle is not None and self._counted and self._keys[0][1] != self._keys[0][0]:
            await self._throttle.state.clear_guesses(self._keys[0][0])


UNTHROTTLED = Attempt(None, "", [], False)


class Throttle:
    def __init__(self, state: TokenState, clock: Clock, metrics: Metrics, policy: ThrottlePolicy | None = None) -> None:
        self.state = state
        self.clock = clock
        self.metrics = metrics
        self.policy = policy or ThrottlePolicy()
        self._memo: dict[tuple[str, str, str, int | None], _Keys] = {}

    def _keys(self, kind: str, identity: str, address: str, limit: int | None) -> _Keys:
        """The (key, group, limit) of one check and the key names; remembered, as clients send the same
        ones over and over (this runs on every token and introspection request)."""
        memo = (kind, identity, address, limit)
        found = self._memo.get(memo)
        if found is not None:
            return found
        policy = self.policy
        per_identity = policy.failures if limit is None else limit
        keys: list[tuple[str, str, int]] = []
        if per_identity > 0 and identity:
            group = identity_group(kind, identity)
            keys.append((f"{group}|{address[:MAX_PART]}", group, per_identity))
        if policy.address_failures > 0:
            group = address_group(address)
            keys.append((group, group, policy.address_failures))
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo] = found = (keys, [key for key, _, _ in keys])
        return found

    async def begin(self, kind: str, identity: str, address: str, limit: int | None = None) -> Attempt:
        """Admit one check of ``identity``'s secret from ``address`` or raise :class:`Throttled`.
        ``limit`` replaces the per-identity limit (an STS processor's "Authentication Attempts")."""
        keys, names = self._keys(kind, identity, address, limit)
        if not keys:
            return UNTHROTTLED
        now = self.clock.now()
        counts = await self.state.guess_counts(names, now)
        locked_until = 0.0
        for count in counts:
            if count.locked_until > locked_until:
                locked_until = count.locked_until
        if locked_until > now:
            self.metrics.inc("tokensmith_throttled_total", kind)
            raise Throttled(max(1, math.ceil(locked_until - now)))
        return Attempt(self, kind, keys, counts[0].failures > 0)

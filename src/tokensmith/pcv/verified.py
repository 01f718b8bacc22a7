"""A short-lived cache of username/password pairs a credential validator has just accepted.

Passwords are stored as argon2 hashes, which are slow on purpose: checking one costs tens of
milliseconds of CPU. WS-Trust clients (MSAL, adal, WCF) and OAuth password-grant clients send the
same username and password on every request, so without a cache every request pays that hash
and a core manages a few dozen requests per second.

After a slow check succeeds, this worker keeps, for ``seconds`` (``--credential-cache-seconds``),
an HMAC-SHA256 under a random key made when the process starts (never stored, never shared) of
the validator, the username, the user's stored hash and the password. A later request with the
same pair is accepted on a match of that HMAC (constant-time compare) instead of a new argon2.

* A wrong password never enters the cache: only successes are remembered, and a request whose
  HMAC does not match goes through the slow check (and the validator's failure handling) as if
  there were no cache.
* An entry belongs to one compiled validator object. Every configuration change builds a new
  snapshot with new validator objects, so a changed or removed user, a changed validator or a
  processor that no longer uses it all miss; the stored hash is part of the HMAC as well.
* ``seconds = 0`` switches it off (and forgets everything).

The trade-off (docs/security.md): while an entry lives, the password can be tried against it at
HMAC speed by someone who can read this worker's memory (where the HMAC key also is), and a
password changed outside Tokensmith's configuration keeps working until the entry expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from tokensmith.pcv.base import CredentialValidator

DEFAULT_SECONDS = 60.0
MAX_SECONDS = 3600.0


Validator = CredentialValidator  # what the cache needs of a credential validator


@dataclass(frozen=True)
class _Entry:
    validator: Validator  # the compiled validator object (one snapshot's), compared by identity
    digest: bytes
    attributes: dict[str, Any]
    until: float


class VerifiedPasswords:
    """One worker's verified-credential cache (see the module docstring)."""

    LIMIT = 10_000

    def __init__(self, seconds: float = DEFAULT_SECONDS) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: dict[tuple[int, str], _Entry] = {}
        self.seconds = seconds
        self.hits = 0  # requests answered from the cache (for tests and metrics)

    def configure(self, seconds: float) -> None:
        """Keep verified credentials for ``seconds``; 0 turns the cache off."""
        if not 0 <= seconds <= MAX_SECONDS:
            raise ValueError(f"the credential cache time must be between 0 and {MAX_SECONDS:g} seconds")
        self.seconds = seconds
        self._entries = {}

    def _digest(self, validator: Validator, username: str, password: str) -> bytes | None:
        stored = validator.stored_hash(username)
        if stored is None:
            return None
        message = b"\0".join(v.encode("utf-8", "surrogatepass") for v in (validator.id, username, stored, password))
        return hmac.digest(self._key, message, hashlib.sha256)

    def lookup(self, validator: Validator, username: str, password: str, now: float) -> dict[str, Any] | None:
        """The validator's attributes when this exact pair was accepted by this validator object and
        the entry has not expired; None otherwise (then check the slow way)."""
        if self.seconds <= 0:
            return None
        entry = self._entries.get((id(validator), username))
        if entry is None or entry.validator is not validator or entry.until <= now:
            return None
        digest = self._digest(validator, username, password)
        if digest is None or not hmac.compare_digest(digest, entry.digest):
            return None
        self.hits += 1
        return dict(entry.attributes)

    def remember(self, validator: Validator, username: str, password: str, attributes: dict[str, Any],
                 now: float) -> None:
        """Record a success of the slow check (never call it for a failure)."""
        if self.seconds <= 0:
            return
        digest = self._digest(validator, username, password)
        if digest is None:
            return
        if len(self._entries) >= self.LIMIT:
            self._entries = {k: e for k, e in self._entries.items() if e.until > now}
            if len(self._entries) >= self.LIMIT:
                self._entries = {}
        self._entries[(id(validator), username)] = _Entry(validator, digest, dict(attributes), now + self.seconds)

    async def validate(self, validator: Validator, username: str, password: str,
                       now: float) -> dict[str, Any] | None:
        """``validator.validate`` (off the event loop), answered from the cache when it can be."""
        found = self.lookup(validator, username, password, now)
        if found is not None:
            return found
        attributes = await asyncio.get_running_loop().run_in_executor(None, validator.validate, username, password)
        if attributes is not None:
            self.remember(validator, username, password, attributes, now)
        return attributes


VERIFIED_PASSWORDS = VerifiedPasswords()

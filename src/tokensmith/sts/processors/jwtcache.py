"""Incoming JWTs whose signature this worker has already verified.

A WS-Trust client that presents a JWT sends the same token on every request until it expires.
Verifying it (joserfc: header checks, key lookup, an RSA or EC verification) is a noticeable
share of such a request. The signature check depends only on the token's bytes, the key set and
the allowed algorithms, so its result can be remembered: an entry is keyed by a keyed BLAKE2b of
the token (the token itself is not kept) and belongs to one key-set object and one algorithm list.
A refetched JWKS or any configuration change gives a new key-set object, so its tokens are checked
again. Only the signature check is skipped: issuer, ``exp``, ``nbf`` and audience are checked on
the claims for every request, so an expired token is refused as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokensmith.crypto.keyedcache import KeyedCache


@dataclass(frozen=True)
class _Entry:
    keys: object  # the key set that verified the token (compared by identity)
    algorithms: tuple[str, ...]
    claims: dict[str, Any]


class VerifiedJwts:
    def __init__(self) -> None:
        self._entries: KeyedCache[_Entry] = KeyedCache()

    def get(self, token: str, keys: object, algorithms: tuple[str, ...]) -> dict[str, Any] | None:
        """A copy of the claims of ``token`` when ``keys`` verified it under ``algorithms``."""
        entry = self._entries.get(token)
        if entry is None or entry.keys is not keys or entry.algorithms != algorithms:
            return None
        return dict(entry.claims)

    def put(self, token: str, keys: object, algorithms: tuple[str, ...], claims: dict[str, Any]) -> None:
        """Remember a token whose signature ``keys`` verified (never call it for a failure)."""
        self._entries.put(token, _Entry(keys, algorithms, dict(claims)))


VERIFIED_JWTS = VerifiedJwts()

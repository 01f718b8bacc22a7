"""A bounded in-process map keyed by a keyed BLAKE2b digest of a secret string.

Several hot paths remember the outcome of an expensive check of something a client sends again and
again: a verified HTTP Basic header (:mod:`tokensmith.oauth.clientauth`), a JWT whose signature a
key set verified (:mod:`tokensmith.sts.processors.jwtcache`). The secret itself is never kept: the
map is keyed by BLAKE2b under a random per-process key, over the string's exact UTF-8 bytes (lone
surrogates included), so two different strings never share an entry. When full, the map is
emptied rather than evicting one by one: the callers' entries are cheap to recompute.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Generic, TypeVar

V = TypeVar("V")


class KeyedCache(Generic[V]):
    def __init__(self, limit: int = 10_000, digest_size: int = 20) -> None:
        self._key = secrets.token_bytes(32)
        self._limit = limit
        self._digest_size = digest_size
        self._entries: dict[bytes, V] = {}

    def _id(self, text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), key=self._key,
                               digest_size=self._digest_size).digest()

    def get(self, text: str) -> V | None:
        return self._entries.get(self._id(text))

    def put(self, text: str, value: V) -> None:
        if len(self._entries) >= self._limit:
            self._entries = {}
        self._entries[self._id(text)] = value

    def clear(self) -> None:
        self._entries = {}

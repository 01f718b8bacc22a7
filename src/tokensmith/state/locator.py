"""Reference token values that tell the SQLite token state where their row is, without saying so.

SQLite keeps access tokens in a B-tree ordered by key. With a plain SHA-256 digest as the key,
every new token lands on a random page: each one dirties a page of its own and adds about 4 KiB
to the write-ahead log, and the insert costs about 18 µs. With keys that grow in issue order, a
group commit of 20 tokens dirties one or two pages: the insert costs about 9 µs and the log grows
four times slower (measured on the development machine).

So a token value starts with one AES block, ``AES_k(sequence || 8 random bytes)``, followed by
random characters up to the configured length. ``k`` comes from the master key, so every worker
and every restart of the node shares it. The stored key is ``sequence || SHA-256(value)``:

* the sequence (milliseconds since 2020 and a per-worker counter) puts new rows at the end of
  the tree; it is not secret, and it is not needed to be unique (the digest is);
* the value itself is still never stored: only its digest is;
* to anyone without ``k``, a value is 128 pseudo-random bits plus random characters: it reveals
  neither the sequence nor anything about other tokens, and a forged value decrypts to a random
  sequence whose row (if any) has another digest.

A value that is not one of ours (wrong length, not base64url) gets a key no row has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tokensmith.crypto.randomness import POOL

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
BLOCK_CHARS = 22  # base64url characters that carry the 16-byte block (the last one 2 bits of it)
MIN_LENGTH = BLOCK_CHARS
_COUNTER_BITS = 12
_WORKER_BITS = 8


class TokenLocator:
    def __init__(self, key: bytes, worker: int = 0) -> None:
        # One block at a time, each holding 8 fresh random bytes: ECB here is the bare AES permutation.
        cipher = Cipher(algorithms.AES(key[:16]), modes.ECB())  # noqa: S305
        self._encrypt = cipher.encryptor()  # ECB on single blocks: a keyed permutation, reused
        self._decrypt = cipher.decryptor()
        self._lock = threading.Lock()
        self._worker = (worker if worker >= 0 else os.getpid()) & ((1 << _WORKER_BITS) - 1)
        self._last_ms = 0
        self._counter = 0

    def _sequence(self) -> int:
        now = int(time.time() * 1000) - EPOCH_MS
        if now <= self._last_ms:  # same millisecond (or the clock stepped back): keep counting
            self._counter += 1
            if self._counter >> _COUNTER_BITS:
                self._last_ms += 1
                self._counter = 0
        else:
            self._last_ms, self._counter = now, 0
        return (self._last_ms << (_WORKER_BITS + _COUNTER_BITS)) | (self._worker << _COUNTER_BITS) | self._counter

    def new_token(self, length: int) -> tuple[str, bytes]:
        """A fresh token value of ``length`` base64url characters (at least :data:`MIN_LENGTH`) and its
        storage key, made together so that issuing never decrypts what it has just encrypted."""
        if length < MIN_LENGTH:
            raise ValueError(f"token values need at least {MIN_LENGTH} characters")
        with self._lock:
            plain = self._sequence().to_bytes(8, "big") + POOL.take(8)
            block = self._encrypt.update(plain)
        extra = POOL.take((length * 6 + 7) // 8 - 16 + 1)
        value = base64.urlsafe_b64encode(block + extra).decode("ascii")[:length]
        return value, plain[:8] + hashlib.sha256(value.encode("utf-8")).digest()

    def new_value(self, length: int) -> str:
        return self.new_token(length)[0]

    def key(self, value: str) -> bytes:
        """The storage key of ``value``: its sequence (8 bytes) followed by its SHA-256 digest."""
        digest = hashlib.sha256(value.encode("utf-8")).digest()
        if len(value) < MIN_LENGTH:
            return bytes(8) + digest
        try:
            raw = base64.urlsafe_b64decode(value[:BLOCK_CHARS] + "AA")
        except (binascii.Error, ValueError):
            return bytes(8) + digest
        with self._lock:
            plain = self._decrypt.update(raw[:16])
        return plain[:8] + digest

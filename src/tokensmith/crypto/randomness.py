"""Random token values from the operating system's CSPRNG, read in blocks.

``secrets.token_urlsafe`` makes one ``getrandom`` system call per token; on the token endpoint that
is a measurable share of a request. The pool reads 4 KiB from ``os.urandom`` at a time and hands out
slices, never the same byte twice. A forked child starts with an empty pool, so parent and child
never share bytes.
"""

from __future__ import annotations

import base64
import os
import threading

BLOCK = 4096


class RandomPool:
    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._buf = b""
        self._pos = 0
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._buf, self._pos = b"", 0
        self._lock = threading.Lock()

    def take(self, count: int) -> bytes:
        if count > self._block // 4:
            return os.urandom(count)
        with self._lock:
            if self._pos + count > len(self._buf):
                self._buf, self._pos = os.urandom(self._block), 0
            start = self._pos
            self._pos += count
            return self._buf[start:self._pos]


POOL = RandomPool()


def urlsafe_token(length: int) -> str:
    """``length`` characters of base64url, each carrying 6 random bits."""
    raw = POOL.take((length * 6 + 7) // 8)
    return base64.urlsafe_b64encode(raw).decode("ascii")[:length]

"""A cross-process "configuration changed" counter in a small memory-mapped file.

Every worker of a node maps ``config.gen`` from the data directory. An admin write bumps the
counter after it commits; each runtime request compares the mapped value with the version its
snapshot was built from (a memory read, no system call) and reloads when they differ.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from pathlib import Path

_FORMAT = "<Q"
_SIZE = struct.calcsize(_FORMAT)


def map_file(path: Path, size: int) -> mmap.mmap:
    """``size`` bytes of ``path`` (created owner-only, grown with zeros if shorter), shared by every
    process that maps it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_size < size:
            os.ftruncate(fd, size)
        return mmap.mmap(fd, size)
    finally:
        os.close(fd)


class GenerationCounter:
    def __init__(self, path: Path) -> None:
        self._map = map_file(path, _SIZE)
        self._path = path

    def read(self) -> int:
        return int(struct.unpack_from(_FORMAT, self._map, 0)[0])

    def bump(self) -> int:
        with open(self._path, "rb") as lock:  # serialise bumps across processes
            fcntl.flock(lock, fcntl.LOCK_EX)
            value = self.read() + 1
            struct.pack_into(_FORMAT, self._map, 0, value)
            return value

    def close(self) -> None:
        self._map.close()

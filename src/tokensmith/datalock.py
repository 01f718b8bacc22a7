"""One running node per data directory.

Two ``tokensmith serve`` processes on the same data directory (say, a second one started on other
ports by mistake) would share ``tokens.db`` and each rotate the centralized signing keys, which
works but is never what the operator meant, and used to happen silently. The supervisor therefore
holds an exclusive ``flock`` on ``node.lock`` in the data directory for as long as it runs. The
kernel drops the lock when the process dies, even by ``kill -9``, so a crash never leaves a stale
lock behind. The file records the holder's pid and ports so the refusal can say who holds it.

``tokensmith export`` / ``import`` / ``admin`` deliberately do not take the lock: they are meant to
work beside a running node, which picks their changes up like any admin change.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from tokensmith.errors import ConfigurationError

LOCK_NAME = "node.lock"


class DataDirLock:
    """The held lock; keep the object alive for as long as the node runs."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def release(self) -> None:
        self._handle.close()


def holder(data_dir: Path) -> str | None:
    """What the lock file says about its holder, or ``None`` when nobody holds the lock."""
    path = data_dir / LOCK_NAME
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "another process"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def acquire(data_dir: Path, description: str) -> DataDirLock:
    """Take the data directory's lock or refuse to start with who holds it and what to do."""
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held_by = handle.read().strip() or "another process"
        handle.close()
        raise ConfigurationError(
            f"data directory {data_dir} is in use by {held_by}. Stop that node first, or give this one "
            "its own --data-dir (every node of a cluster has its own data directory).") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"tokensmith pid {os.getpid()} ({description})\n")
    handle.flush()
    return DataDirLock(handle)

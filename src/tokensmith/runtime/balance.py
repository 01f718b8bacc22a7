"""Even shares of runtime connections across a node's workers.

Each worker listens on its own ``SO_REUSEPORT`` socket, and the kernel picks the socket for a new
connection by hashing its addresses. With a few dozen long-lived keep-alive connections that is
often uneven (12 and 20 out of 32 is common), and the busier worker then caps the node's
throughput while the other idles. So the workers publish how many runtime connections each holds,
in a small memory-mapped file in the data directory (one 8-byte slot per worker, each written
only by its owner), and a worker holding more than its fair share plus one answers its next
request(s) with ``Connection: close``. HTTP clients reconnect, the kernel hashes the new
connection afresh, and within a few reconnects the shares are even. Nothing is closed while the
shares are even, so a balanced node never pays for it.
"""

from __future__ import annotations

import math
import struct
import time
from pathlib import Path

from tokensmith.config.generation import map_file

_SLOT = struct.Struct("<q")
SLACK = 1  # connections above the fair share a worker keeps before it sheds one
RECHECK = 0.02  # seconds between reads of the other workers' counts (not on every answer)


class ConnectionBalance:
    def __init__(self, path: Path, index: int, workers: int) -> None:
        self.index = index
        self.workers = workers
        self._map = map_file(path, _SLOT.size * max(workers, 1))
        self.mine = 0
        self.shedding = 0  # connections told to close that have not closed yet
        self._excess = 0  # connections above the fair share (plus slack), as of the last check
        self._recheck_at = 0.0
        self._publish()

    def _publish(self) -> None:
        _SLOT.pack_into(self._map, _SLOT.size * self.index, self.mine)

    def opened(self) -> None:
        self.mine += 1
        self._publish()
        self._recheck_at = 0.0

    def closed(self, was_shed: bool) -> None:
        self.mine -= 1
        if was_shed:
            self.shedding -= 1
        self._publish()
        self._recheck_at = 0.0

    def counts(self) -> list[int]:
        return [max(0, _SLOT.unpack_from(self._map, _SLOT.size * i)[0]) for i in range(self.workers)]

    def should_shed(self) -> bool:
        """True when this worker holds more than its fair share (plus slack) of the node's connections;
        the caller then closes one connection after its answer, and :meth:`closed` is told so."""
        if self.workers < 2:
            return False
        now = time.monotonic()
        if now >= self._recheck_at:  # the other workers' counts are read at most every RECHECK seconds
            self._recheck_at = now + RECHECK
            total = sum(self.counts())
            self._excess = self.mine - self.shedding - (math.ceil(total / self.workers) + SLACK)
        if self._excess > 0:
            self._excess -= 1
            self.shedding += 1
            return True
        return False

    def close(self) -> None:
        self.mine = 0
        self._publish()
        self._map.close()

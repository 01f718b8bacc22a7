"""How new connections spread across the server's worker processes.

Every worker binds its own SO_REUSEPORT socket and the kernel picks one for each new connection
(by a hash of the connection's addresses and ports). This opens N separate keep-alive
connections at once, asks each for the heartbeat (whose ``X-Tokensmith-Worker`` header names the
worker, ``node-1/<index>``), asks again on the same connection to confirm it stays with its
worker, and counts.
"""

from __future__ import annotations

import contextlib
import http.client
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tsserver import HEARTBEAT, WORKER_HEADER


@dataclass
class Spread:
    connections: int
    per_worker: dict[str, int]
    switched: int  # connections whose second answer came from another worker (should be 0)
    failed: int

    @property
    def imbalance(self) -> float:
        """Largest share over the fair share (1.0 = perfectly even)."""
        if not self.per_worker:
            return 0.0
        answered = sum(self.per_worker.values())
        return max(self.per_worker.values()) / (answered / len(self.per_worker)) if answered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"connections": self.connections, "per_worker": self.per_worker, "switched": self.switched,
                "failed": self.failed, "max_over_fair_share": round(self.imbalance, 3)}

    def describe(self) -> str:
        parts = ", ".join(f"{worker}: {count}" for worker, count in sorted(self.per_worker.items()))
        extra = ""
        if self.failed:
            extra += f"; {self.failed} failed"
        if self.switched:
            extra += f"; {self.switched} changed worker between two requests on one connection"
        return f"{self.connections} connections -> {parts} (max/fair share {self.imbalance:.2f}){extra}"


def _ask(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", HEARTBEAT)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise http.client.HTTPException(f"heartbeat answered {response.status}")
    return response.getheader(WORKER_HEADER) or "(no worker header)"


def measure_spread(host: str, port: int, connections: int, expected_workers: int | None = None) -> Spread:
    conns = [http.client.HTTPConnection(host, port, timeout=5.0) for _ in range(connections)]
    first: list[str | None] = []
    switched = 0
    try:
        for conn in conns:  # all stay open, so the kernel sees `connections` distinct connections
            try:
                first.append(_ask(conn))
            except (OSError, http.client.HTTPException):
                first.append(None)
        for conn, worker in zip(conns, first, strict=True):
            if worker is None:
                continue
            try:
                if _ask(conn) != worker:
                    switched += 1
            except (OSError, http.client.HTTPException):
                switched += 1
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()
    counts = Counter(w for w in first if w is not None)
    if expected_workers:  # show idle workers as 0 (labels are node-id/index; index from 0)
        node = next(iter(counts), "node-1/0").rsplit("/", 1)[0]
        for index in range(expected_workers):
            counts.setdefault(f"{node}/{index}", 0)
    return Spread(connections, dict(sorted(counts.items())), switched, sum(1 for w in first if w is None))

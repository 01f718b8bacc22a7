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
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tsserver import HEARTBEAT, WORKER_HEADER


@dataclass
class Spread:
    connections: int
    per_worker: dict[str, int]
    switched: int  # connections the node closed to even out its workers, answered again by another worker
    failed: int
    worker_pids: dict[str, int] = field(default_factory=dict)  # label -> pid, when the pids are known

    @property
    def imbalance(self) -> float:
        """Largest share over the fair share (1.0 = perfectly even)."""
        if not self.per_worker:
            return 0.0
        answered = sum(self.per_worker.values())
        return max(self.per_worker.values()) / (answered / len(self.per_worker)) if answered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"connections": self.connections, "per_worker": self.per_worker, "switched": self.switched,
                "failed": self.failed, "max_over_fair_share": round(self.imbalance, 3),
                "worker_pids": self.worker_pids}

    def describe(self) -> str:
        parts = ", ".join(f"{worker}{self._pid(worker)}: {count}"
                          for worker, count in sorted(self.per_worker.items()))
        extra = ""
        if self.failed:
            extra += f"; {self.failed} failed"
        if self.switched:
            extra += (f"; {self.switched} reconnected to another worker after the node closed them to even out "
                      "its workers")
        return f"{self.connections} connections -> {parts} (max/fair share {self.imbalance:.2f}){extra}"

    def _pid(self, worker: str) -> str:
        pid = self.worker_pids.get(worker)
        return f" (pid {pid})" if pid is not None else ""


def _ask(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", HEARTBEAT)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise http.client.HTTPException(f"heartbeat answered {response.status}")
    return response.getheader(WORKER_HEADER) or "(no worker header)"


def measure_spread(host: str, port: int, connections: int, expected_workers: int | None = None,
                   server_pids: list[int] | None = None) -> Spread:
    conns = [http.client.HTTPConnection(host, port, timeout=5.0) for _ in range(connections)]
    first: list[str | None] = []
    switched = 0
    labels: dict[str, int] = {}
    try:
        for conn in conns:  # all stay open, so the kernel sees `connections` distinct connections
            try:
                first.append(_ask(conn))
            except (OSError, http.client.HTTPException):
                first.append(None)
        if server_pids:  # which pid answers as which worker label: match our client ports
            owners = server_connections(server_pids, port)
            for conn, worker in zip(conns, first, strict=True):
                if worker is not None and conn.sock is not None:
                    pid = owners.get(int(conn.sock.getsockname()[1]))
                    if pid is not None:
                        labels[worker] = pid
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
    return Spread(connections, dict(sorted(counts.items())), switched, sum(1 for w in first if w is None),
                  dict(sorted(labels.items())))


def server_connections(pids: list[int], port: int) -> dict[int, int]:
    """For each established TCP connection on local ``port`` held by one of ``pids``: the peer's port
    mapped to the pid holding it (Linux /proc; loopback clients, so peer ports are distinct)."""
    owner: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        owner[int(target[8:-1])] = pid
    found: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) < 10 or fields[3] != "01":  # 01 = ESTABLISHED
                    continue
                if int(fields[1].rsplit(":", 1)[1], 16) != port:
                    continue
                holder = owner.get(int(fields[9]))
                if holder is not None:
                    found[int(fields[2].rsplit(":", 1)[1], 16)] = holder
    return found


def established_connections(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections on local ``port`` each of ``pids`` holds right now.

    Sampled while wrk runs: its connections carry the load, and which worker holds each one is
    the kernel's choice at connect time.
    """
    counts = dict.fromkeys(pids, 0)
    for pid in server_connections(pids, port).values():
        counts[pid] += 1
    return counts

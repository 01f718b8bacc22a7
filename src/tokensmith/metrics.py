"""Node metrics shared by every worker process, rendered in the Prometheus text format.

Workers share no memory, yet ``/metrics`` may be answered by any of them. So each worker claims
a slot in ``metrics.bin`` in the data directory (a byte-range lock on ``metrics.lock``, held while
the process lives) and updates only its own slot with plain memory writes; a scrape adds the
counters of every slot up and takes the largest value of each gauge. A restarted worker takes a
free slot over and keeps counting from its values, so counters never go backwards while the
data directory stays.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SLOTS = 64
OPERATIONS = ("issue", "refresh", "extend", "revoke", "revoke_jti", "shared")
# kinds of guessed secrets (tokensmith.state.throttle.KINDS); user_code: the device flow's activation codes
SECRETS = ("client", "admin", "sts", "password", "user_code")
MALFORMED = ("jose", "scope", "xml")  # inputs refused by strict parsing


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # "counter" or "gauge"
    help: str
    label: str | None = None
    values: tuple[str, ...] = ("",)


FAMILIES = (
    Family("tokensmith_replication_waits_total", "counter",
           "Token state writes that waited for replica acknowledgements (Redis WAIT).", "operation", OPERATIONS),
    Family("tokensmith_replication_timeouts_total", "counter",
           "Writes whose required replica acknowledgements did not arrive within RPC Timeout.",
           "operation", OPERATIONS),
    Family("tokensmith_token_state_errors_total", "counter",
           "Token state calls that failed because the store was unreachable (answered 503)."),
    Family("tokensmith_replica_reads_total", "counter",
           "Token lookups on this region's replica: hit, miss (then asked the primary) or error "
           "(replica unusable, the primary answered).", "result", ("hit", "miss", "error")),
    Family("tokensmith_token_extensions_total", "counter",
           "Reference token lifetime extensions written by validation."),
    Family("tokensmith_config_reloads_total", "counter",
           "Configuration snapshots rebuilt after a change: made on this node (local) or announced by "
           "the configuration store (cluster).", "source", ("local", "cluster")),
    Family("tokensmith_http_refusals_total", "counter",
           "Runtime requests refused by the HTTP/1.1 listener before any endpoint saw them (RFC 9112 framing, "
           "limits), by status.", "status", ("400", "413", "414", "421", "431", "501", "505")),
    Family("tokensmith_auth_failures_total", "counter",
           "Failed checks of a client secret, administrator, UsernameToken or password-grant password.",
           "secret", SECRETS),
    Family("tokensmith_lockouts_total", "counter",
           "Failures that locked a key (an identity at an address, or an address) for a while.", "secret", SECRETS),
    Family("tokensmith_throttled_total", "counter",
           "Attempts refused with 429 while their identity or address was locked (the secret was not checked).",
           "secret", SECRETS),
    Family("tokensmith_malformed_input_total", "counter",
           "Inputs refused by strict parsing: a JWT part that is not canonical unpadded base64url (jose), a "
           "scope outside RFC 6749's syntax (scope), malformed XML or text in a token position (xml).",
           "input", MALFORMED),
    Family("tokensmith_config_version", "gauge", "Configuration version served by this node."),
    Family("tokensmith_redis_replicas_connected", "gauge",
           "Replicas connected to the Redis primary at the last check."),
    Family("tokensmith_redis_replicas_expected", "gauge",
           "Replicas the synchronous replication modes count on (replicas= or the most seen)."),
)


def _layout() -> list[tuple[Family, str]]:
    return [(family, value) for family in FAMILIES for value in family.values]


SERIES = _layout()
INDEX = {(family.name, value): i for i, (family, value) in enumerate(SERIES)}
_CELL = struct.Struct("<d")
_HEADER = 16
_LAYOUT_ID = hashlib.sha256(repr([(f.name, v) for f, v in SERIES]).encode()).digest()[:_HEADER]


class Metrics:
    """One process's handle on the node's metrics (``path=None``: private to this process)."""

    def __init__(self, path: Path | None = None) -> None:
        width = len(SERIES) * _CELL.size
        self._width = width
        self._lock_fd: int | None = None
        if path is None:
            self._map: mmap.mmap | bytearray = bytearray(_HEADER + width * SLOTS)
            self._slot = 0
            return
        lock_fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        size = _HEADER + width * SLOTS
        fcntl.lockf(lock_fd, fcntl.LOCK_EX, 1, SLOTS)  # layout check, one process at a time
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size != size or os.pread(fd, _HEADER, 0) != _LAYOUT_ID:
                    os.ftruncate(fd, 0)  # new or from another version: start from zero
                    os.ftruncate(fd, size)
                    os.pwrite(fd, _LAYOUT_ID, 0)
                self._map = mmap.mmap(fd, size)
            finally:
                os.close(fd)
        finally:
            fcntl.lockf(lock_fd, fcntl.LOCK_UN, 1, SLOTS)
        for slot in range(SLOTS):
            try:
                fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
            except OSError:
                continue
            self._slot = slot
            self._lock_fd = lock_fd
            return
        os.close(lock_fd)  # more live processes than slots: count privately
        self._map = bytearray(_HEADER + width * SLOTS)
        self._slot = 0

    def _offset(self, name: str, value: str) -> int:
        return _HEADER + self._slot * self._width + INDEX[(name, value)] * _CELL.size

    def inc(self, name: str, value: str = "", amount: float = 1.0) -> None:
        offset = self._offset(name, value)
        _CELL.pack_into(self._map, offset, _CELL.unpack_from(self._map, offset)[0] + amount)

    def set(self, name: str, value: float, label: str = "") -> None:
        _CELL.pack_into(self._map, self._offset(name, label), float(value))

    def collect(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for i, (family, value) in enumerate(SERIES):
            cells = [_CELL.unpack_from(self._map, _HEADER + slot * self._width + i * _CELL.size)[0]
                     for slot in range(SLOTS)]
            out[(family.name, value)] = sum(cells) if family.kind == "counter" else max(cells)
        return out

    def value(self, name: str, label: str = "") -> float:
        return self.collect()[(name, label)]

    def render(self, info: Iterable[tuple[str, str]] = ()) -> bytes:
        values = self.collect()
        lines: list[str] = []
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in info)
        lines += ["# HELP tokensmith_node_info This node's identity.", "# TYPE tokensmith_node_info gauge",
                  f"tokensmith_node_info{{{labels}}} 1"]
        for family in FAMILIES:
            lines.append(f"# HELP {family.name} {family.help}")
            lines.append(f"# TYPE {family.name} {family.kind}")
            for value in family.values:
                suffix = f'{{{family.label}="{value}"}}' if family.label else ""
                lines.append(f"{family.name}{suffix} {_number(values[(family.name, value)])}")
        return ("\n".join(lines) + "\n").encode()

    def close(self) -> None:
        if isinstance(self._map, mmap.mmap):
            self._map.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the slot
            self._lock_fd = None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)

"""Brings configuration changes made on other nodes into this worker, off the request path.

Workers of one node learn about each other's admin writes through the memory-mapped counter of
:mod:`tokensmith.config.generation`; that file does not cross machines. For a cluster on
PostgreSQL, each worker runs one :class:`ConfigWatcher` thread:

* it keeps a connection that ``LISTEN``\\ s on ``tokensmith_config``, where every committed admin
  write announces its version, and
* it also polls the stored version every ``interval`` seconds, so a notification lost while the
  connection was down delays a change by at most one interval.

When the stored version is ahead of the worker's snapshot, the thread loads the configuration and
builds the new snapshot itself, then swaps it in; request handlers never wait for the database.
The version in the store is the source of truth; notifications only make it quick.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import psycopg

from tokensmith.config.store import CHANNEL, ConfigStore

log = logging.getLogger("tokensmith.config")
POLL_INTERVAL = 1.0
WAKE_INTERVAL = 0.25  # how often the thread looks at its stop flag while waiting
RECONNECT_DELAY = 1.0


class ConfigWatcher(threading.Thread):
    def __init__(self, store: ConfigStore, current: Callable[[], int], refresh: Callable[[], None],
                 interval: float = POLL_INTERVAL) -> None:
        super().__init__(name="tokensmith-config-watcher", daemon=True)
        self._store = store
        self._current = current
        self._refresh = refresh
        self._interval = interval
        self._halt = threading.Event()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def run(self) -> None:
        next_poll = 0.0
        while not self._halt.is_set():
            notified = self._wait()
            if not notified and time.monotonic() < next_poll:
                continue
            next_poll = time.monotonic() + self._interval
            try:
                if self._store.version() > self._current():
                    self._refresh()
            except Exception:  # the database may be briefly away: try again on the next round
                log.exception("checking the configuration version failed")
                self._halt.wait(RECONNECT_DELAY)
        self._close()

    def _wait(self) -> bool:
        """Wait up to WAKE_INTERVAL for a notification; True when one arrived."""
        url = self._store.listen_url()
        if url is None:
            self._halt.wait(WAKE_INTERVAL)
            return False
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
                self._conn.execute(f"LISTEN {CHANNEL}")
                return True  # (re)connected: look at the version now, a notification may have been missed
            return any(True for _ in self._conn.notifies(timeout=WAKE_INTERVAL, stop_after=1))
        except psycopg.Error as exc:
            log.warning("configuration change listener: %s; polling every %.0fs until it reconnects",
                        exc, self._interval)
            self._close()
            self._halt.wait(RECONNECT_DELAY)
            return False

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=WAKE_INTERVAL * 4 + 1)

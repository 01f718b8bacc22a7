"""Group commit for the SQLite token state.

Statements queued during one event-loop turn share one ``BEGIN IMMEDIATE … COMMIT`` on the
writer connection; each caller resumes only after its statement is committed, so a token is
visible to every other worker (and survives a restart) before its response is sent.

Another worker process may hold the database's write lock. The writer never blocks the event
loop waiting for it: the connection has no busy timeout, and a busy ``BEGIN`` is retried on a
later loop turn (SQLite's own busy handler sleeps in steps of milliseconds, which showed up as
p99 latency). After ``LOCK_PATIENCE`` seconds without the lock, the waiting statements fail.

A statement can be marked ``invalidates``: it changes or removes existing token rows. After a
batch with such a statement commits, and before any of its callers resume, the shared change
counter is bumped, so every worker drops the token records it has cached. A statement can also
name its own ``after`` callback, run the same way (the guess counters use their own change counter,
so a guessing attack does not empty the token caches).

A statement may be a function of the connection instead of SQL text: it runs inside the batch's
transaction (holding the write lock), for read-modify-write steps that SQL alone cannot express.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("tokensmith.state")
RETRY_DELAY = 0.0001  # seconds; uvloop rounds this to "next loop turn"
LOCK_PATIENCE = 10.0


Step = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class Pending:
    sql: str | Step
    params: tuple[Any, ...]
    future: asyncio.Future[Any]
    invalidates: bool
    after: Callable[[], object] | None = None


class StateBusyError(sqlite3.OperationalError):
    """The token database stayed locked by another process for too long."""


class GroupCommitter:
    def __init__(self, conn: sqlite3.Connection, on_invalidate: Callable[[], object]) -> None:
        self._conn = conn
        self._on_invalidate = on_invalidate
        self._pending: list[Pending] = []
        self._scheduled = False
        self._waiting_since: float | None = None
        self.writes = 0  # statements committed (tests and diagnostics)

    def submit(self, sql: str, params: tuple[Any, ...], invalidates: bool = False,
               after: Callable[[], object] | None = None) -> asyncio.Future[int]:
        return self._queue(Pending(sql, params, asyncio.get_running_loop().create_future(), invalidates, after))

    def submit_step(self, step: Step, after: Callable[[], object] | None = None) -> asyncio.Future[Any]:
        """Run ``step(connection)`` in the next group commit; the future gets its result."""
        return self._queue(Pending(step, (), asyncio.get_running_loop().create_future(), False, after))

    def _queue(self, item: Pending) -> asyncio.Future[Any]:
        self._pending.append(item)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)
        return item.future

    def flush(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if _busy(exc) and not self._out_of_patience():
                self._scheduled = True
                asyncio.get_running_loop().call_later(RETRY_DELAY, self.flush)
                return
            self._waiting_since = None
            batch, self._pending = self._pending, []
            failure = StateBusyError("the token database is locked") if _busy(exc) else exc
            log.error("token state write failed: %s", failure)
            _fail(batch, failure)
            return
        self._waiting_since = None
        batch, self._pending = self._pending, []
        self._run(batch)

    def _out_of_patience(self) -> bool:
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        return now - self._waiting_since > LOCK_PATIENCE

    def _run(self, batch: list[Pending]) -> None:
        conn = self._conn
        results: list[Any] = []
        try:
            for item in batch:
                try:
                    if isinstance(item.sql, str):
                        results.append(conn.execute(item.sql, item.params).rowcount)
                    else:
                        results.append(item.sql(conn))
                except sqlite3.Error as exc:  # that statement had no effect; the rest go on
                    results.append(exc)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.error("token state commit failed: %s", exc)
            _fail(batch, exc)
            return
        self.writes += len(batch)
        if any(item.invalidates for item in batch):
            self._on_invalidate()
        for callback in {item.after for item in batch if item.after is not None}:
            callback()
        for item, result in zip(batch, results, strict=True):
            if item.future.done():
                continue
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)

    def drain(self) -> None:
        """Commit whatever is queued now (used when closing)."""
        while self._pending:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                if _busy(exc) and not self._out_of_patience():
                    time.sleep(RETRY_DELAY)
                    continue
                batch, self._pending = self._pending, []
                _fail(batch, exc)
                return
            batch, self._pending = self._pending, []
            self._run(batch)


    def close(self) -> None:
        self._conn.close()


def _busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or one of its extended codes: another connection holds the lock."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _fail(batch: list[Pending], exc: BaseException) -> None:
    for item in batch:
        if not item.future.done():
            item.future.set_exception(exc)

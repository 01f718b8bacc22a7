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
counter is bumped, so every worker drops the token records it has cached.
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


@dataclass(slots=True)
class Pending:
    sql: str
    params: tuple[Any, ...]
    future: asyncio.Future[int]
    invalidates: bool


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

    def submit(self, sql: str, params: tuple[Any, ...], invalidates: bool = False) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._pending.append(Pending(sql, params, future, invalidates))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self.flush)
        return future

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
        results: list[int | BaseException] = []
        try:
            for item in batch:
                try:
                    results.append(conn.execute(item.sql, item.params).rowcount)
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

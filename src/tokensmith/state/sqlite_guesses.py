"""Failed-guess counters of the SQLite token state (see :mod:`tokensmith.state.throttle`).

Every client authentication asks for the counters of its keys, so a database read per request
would be a noticeable cost on the token and introspection hot paths. Each worker therefore keeps
the counters it has read (including "none") in memory, exactly as it keeps token records: every
change of a counter bumps a second change counter shared by the node's workers (``.guesses``
next to the database) after it commits and before its caller resumes, and a worker that sees it
move drops what it has kept. While nobody guesses wrong, the check costs a memory read; a guessing
attack moves only this counter, so it never empties the token cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tokensmith.config.generation import GenerationCounter
from tokensmith.state.base import NO_GUESSES, GuessCount, GuessRule
from tokensmith.state.sqlite_writer import GroupCommitter

SCHEMA = """
CREATE TABLE IF NOT EXISTS guesses (
    key          TEXT PRIMARY KEY,
    grp          TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    expires_at   REAL NOT NULL,
    locked_until REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guesses_group ON guesses (grp);
CREATE INDEX IF NOT EXISTS guesses_expiry ON guesses (expires_at);
"""
CACHE_LIMIT = 50_000
_Row = tuple[int, float, float]  # failures, expires_at, locked_until


class SqliteGuesses:
    def __init__(self, conn: sqlite3.Connection, writer: GroupCommitter, path: Path) -> None:
        conn.executescript(SCHEMA)
        self._reader = conn
        self._committer = writer
        self._guess_changes = GenerationCounter(path.with_name(path.name + ".guesses"))
        self._guess_generation = self._guess_changes.read()
        self._guess_cache: dict[str, _Row | None] = {}

    def _row(self, key: str) -> _Row | None:
        """The stored counter of ``key`` (the caller has checked the change counter)."""
        if key in self._guess_cache:
            return self._guess_cache[key]
        found = self._reader.execute("SELECT failures, expires_at, locked_until FROM guesses WHERE key = ?",
                                     (key,)).fetchone()
        row: _Row | None = (int(found[0]), float(found[1]), float(found[2])) if found is not None else None
        if len(self._guess_cache) >= CACHE_LIMIT:
            self._guess_cache.clear()
        self._guess_cache[key] = row
        return row

    async def guess_counts(self, keys: Sequence[str], now: float) -> list[GuessCount]:
        generation = self._guess_changes.read()
        if generation != self._guess_generation:
            self._guess_cache.clear()
            self._guess_generation = generation
        out = []
        for key in keys:
            row = self._row(key)
            out.append(NO_GUESSES if row is None or row[1] <= now else GuessCount(row[0], row[2]))
        return out

    async def add_guess_failure(self, key: str, group: str, rule: GuessRule, now: float) -> float:
        def step(conn: sqlite3.Connection) -> float:
            found = conn.execute("SELECT failures, expires_at, locked_until FROM guesses WHERE key = ?",
                                 (key,)).fetchone()
            alive = found is not None and found[1] > now
            failures = int(found[0]) + 1 if alive else 1
            lock = rule.lock_for(failures)
            locked_until = max(float(found[2]) if alive else 0.0, now + lock if lock else 0.0)
            expires_at = max(now, locked_until) + rule.window
            conn.execute("INSERT INTO guesses (key, grp, failures, expires_at, locked_until) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET grp = excluded.grp, failures = excluded.failures, "
                         "expires_at = excluded.expires_at, locked_until = excluded.locked_until",
                         (key, group, failures, expires_at, locked_until))
            return locked_until

        result: float = await self._committer.submit_step(step, after=self._guess_changes.bump)
        return result

    async def clear_guesses(self, key: str) -> None:
        await self._committer.submit("DELETE FROM guesses WHERE key = ?", (key,), after=self._guess_changes.bump)

    async def unlock_guesses(self, group: str) -> int:
        return await self._committer.submit("DELETE FROM guesses WHERE grp = ?", (group,),
                                            after=self._guess_changes.bump)

    async def purge_guesses(self, now: float, limit: int) -> int:
        return await self._committer.submit(
            "DELETE FROM guesses WHERE key IN (SELECT key FROM guesses WHERE expires_at <= ? LIMIT ?)",
            (now, limit), after=self._guess_changes.bump)

    def close_guesses(self) -> None:
        self._guess_changes.close()

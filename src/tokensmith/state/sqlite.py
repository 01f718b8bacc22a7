"""SQLite token state: the single-node default, shared by every worker process of a node.

Writes are group-committed (:mod:`tokensmith.state.sqlite_writer`). The database runs in WAL
mode, so readers never wait for the writer.

Each worker keeps the access-token records it has read in memory: a resource server introspects
the same token over and over, and a cached record saves a database read. The cache is exact, not
approximate: every statement that changes or deletes an existing token row (extension,
revocation, grant revocation, purge) bumps a counter shared by all workers of the node (a
memory-mapped file next to the database) after it commits and before its caller resumes, and a
worker that sees the counter move drops its whole cache. Records never change otherwise.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from tokensmith.config.generation import GenerationCounter
from tokensmith.state.base import AccessTokenRecord, GrantRecord, SharedValue
from tokensmith.state.locator import TokenLocator
from tokensmith.state.sqlite_codes import SqliteCodes
from tokensmith.state.sqlite_device import SqliteDevices
from tokensmith.state.sqlite_guesses import SqliteGuesses
from tokensmith.state.sqlite_par import SqlitePushed
from tokensmith.state.sqlite_writer import GroupCommitter

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash BLOB PRIMARY KEY,
    atm_id     TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    attributes BLOB NOT NULL,
    issued_at  REAL NOT NULL,
    expires_at REAL NOT NULL,
    grant_id   TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS access_tokens_expiry ON access_tokens (expires_at);
CREATE INDEX IF NOT EXISTS access_tokens_grant ON access_tokens (grant_id) WHERE grant_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS grants (
    grant_id     TEXT PRIMARY KEY,
    refresh_hash BLOB NOT NULL UNIQUE,
    client_id    TEXT NOT NULL,
    atm_id       TEXT NOT NULL,
    user_key     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    attributes   BLOB NOT NULL,
    created_at   REAL NOT NULL,
    expires_at   REAL,
    grant_type   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS grants_expiry ON grants (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS grants_user ON grants (user_key, created_at);
CREATE INDEX IF NOT EXISTS grants_client ON grants (client_id, created_at);
CREATE TABLE IF NOT EXISTS denied_jtis (
    jti_key    TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS denied_jtis_expiry ON denied_jtis (expires_at);
CREATE TABLE IF NOT EXISTS wal_restart (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT OR IGNORE INTO wal_restart (id, n) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS shared_values (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    value   BLOB NOT NULL
);
"""

_TOKEN_COLUMNS = "token_hash, atm_id, client_id, scope, attributes, issued_at, expires_at, grant_id"
_GRANT_COLUMNS = ("grant_id, refresh_hash, client_id, atm_id, user_key, scope, attributes, "
                  "created_at, expires_at, grant_type")
PURGE_BATCH = 5000
# WAL checkpoints copy committed pages into the database file. Doing that inside a commit would
# stall the event loop, so a background thread checkpoints every CHECKPOINT_INTERVAL seconds and
# SQLite's own automatic checkpoint is only a safety net far above the usual WAL size. Two more
# syncs used to land in token commits, on the event loop, measured at 20-40 ms each on this kind
# of disk: SQLite syncs the WAL when a writer starts reusing it after a complete checkpoint, and
# that sync had to flush everything written since the last one. So the same thread syncs the WAL
# every FLUSH_INTERVAL seconds (no SQLite lock held), and after a complete checkpoint makes a tiny
# write itself, so that the WAL restart and its sync happen there. Issuance p99 on two workers
# went from 18-46 ms to 9-11 ms.
CHECKPOINT_INTERVAL = 0.5
FLUSH_INTERVAL = 0.05  # seconds between background syncs of the WAL (see _Checkpointer._flush_wal)
AUTOCHECKPOINT_PAGES = 50_000
CACHE_LIMIT = 100_000  # token records kept per worker; the cache is emptied when it is full
log = logging.getLogger("tokensmith.state")


def connect(path: Path) -> sqlite3.Connection:
    if not path.exists():  # create it owner-only before SQLite opens it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    conn.execute("PRAGMA cache_size=-32768")
    if _has_table(conn, "grants") and "grant_type" not in _columns(conn, "grants"):
        # a database written before grants recorded their grant type: add the column in place
        conn.execute("ALTER TABLE grants ADD COLUMN grant_type TEXT NOT NULL DEFAULT ''")
    conn.executescript(SCHEMA)
    return conn


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


class _Checkpointer(threading.Thread):
    """Checkpoints the WAL from its own connection, off the event loop (SQLite drops the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="tokensmith-checkpoint", daemon=True)
        self._path = path
        self._halt = threading.Event()

    def _flush_wal(self) -> None:
        """Push the WAL's written pages to disk without holding any SQLite lock, so that the syncs
        SQLite itself makes (while it holds the write lock) find little left to do."""
        wal = self._path.with_name(self._path.name + "-wal")
        try:
            fd = os.open(wal, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fdatasync(fd)
        except OSError as exc:
            log.debug("WAL flush skipped: %s", exc)
        finally:
            os.close(fd)

    def run(self) -> None:
        conn = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=100")
        rounds = 0
        try:
            while not self._halt.wait(FLUSH_INTERVAL):
                self._flush_wal()
                rounds += 1
                if rounds * FLUSH_INTERVAL < CHECKPOINT_INTERVAL:
                    continue
                rounds = 0
                try:
                    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if not busy and frames > 0 and frames == copied:
                        # Everything is in the database file: restart the WAL from this thread (SQLite
                        # syncs the WAL when it starts reusing it) rather than in the next token commit.
                        conn.execute("UPDATE wal_restart SET n = n + 1 WHERE id = 1")
                except sqlite3.Error as exc:  # busy or locked: try again next round
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def _token(row: Sequence[Any]) -> AccessTokenRecord:
    return AccessTokenRecord(row[0], row[1], row[2], row[3], orjson.loads(row[4]), row[5], row[6], row[7])


def _grant(row: Sequence[Any]) -> GrantRecord:
    return GrantRecord(row[0], row[1], row[2], row[3], row[4], row[5], orjson.loads(row[6]), row[7], row[8], row[9])


class SqliteTokenState(SqliteGuesses, SqliteCodes, SqliteDevices, SqlitePushed):
    """Access tokens are keyed by :class:`tokensmith.state.locator.TokenLocator` keys (an issue-order
    sequence, then the value's digest), so new rows land at the end of the tree; ``locator_key`` is
    the node's key for it (derived from the master key: every worker and restart must share it)."""

    def __init__(self, path: Path, checkpoint: bool = True, locator_key: bytes | None = None) -> None:
        self._locator = TokenLocator(locator_key if locator_key is not None else secrets.token_bytes(16), -1)
        self.token_key = self._locator.key
        self.new_token = self._locator.new_token
        self._conn = connect(path)
        writer = connect(path)
        writer.execute("PRAGMA busy_timeout=0")
        self._changes = GenerationCounter(path.with_name(path.name + ".changes"))
        self._writer = GroupCommitter(writer, self._changes.bump)
        self._write = self._writer.submit
        self._cache: dict[bytes, AccessTokenRecord] = {}
        self._cache_generation = self._changes.read()
        SqliteGuesses.__init__(self, self._conn, self._writer, path)
        SqliteCodes.__init__(self, self._conn, self._writer)  # authorization codes (sqlite_codes.py)
        SqliteDevices.__init__(self, self._conn, self._writer)  # device authorizations (sqlite_device.py)
        SqlitePushed.__init__(self, self._conn, self._writer)  # pushed authorization requests (sqlite_par.py)
        self._checkpointer = _Checkpointer(path) if checkpoint else None
        if self._checkpointer is not None:
            self._checkpointer.start()

    @property
    def writes(self) -> int:
        """Statements committed by this worker (tests and diagnostics)."""
        return self._writer.writes

    # ----------------------------------------------------------------- access tokens

    async def put_token(self, record: AccessTokenRecord) -> None:
        await self._write(
            f"INSERT INTO access_tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.token_hash, record.atm_id, record.client_id, record.scope,
             orjson.dumps(record.attributes), record.issued_at, record.expires_at, record.grant_id),
        )

    async def get_token(self, token_hash: bytes) -> AccessTokenRecord | None:
        """The stored record. It is shared with this worker's cache: callers must not change it."""
        generation = self._changes.read()
        if generation != self._cache_generation:
            self._cache.clear()
            self._cache_generation = generation
        record = self._cache.get(token_hash)
        if record is not None:
            return record
        row = self._conn.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM access_tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        if row is None:
            return None
        record = _token(row)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[token_hash] = record
        return record

    async def extend_token(self, token_hash: bytes, new_expires_at: float) -> bool:
        changed = await self._write(
            "UPDATE access_tokens SET expires_at = ? WHERE token_hash = ? AND expires_at < ?",
            (new_expires_at, token_hash, new_expires_at), invalidates=True,
        )
        return changed > 0

    async def delete_token(self, token_hash: bytes) -> bool:
        return await self._write("DELETE FROM access_tokens WHERE token_hash = ?", (token_hash,),
                                 invalidates=True) > 0

    # ----------------------------------------------------------------- grants

    async def put_grant(self, grant: GrantRecord) -> None:
        await self._write(
            f"INSERT INTO grants ({_GRANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (grant.grant_id, grant.refresh_hash, grant.client_id, grant.atm_id, grant.user_key,
             grant.scope, orjson.dumps(grant.attributes), grant.created_at, grant.expires_at, grant.grant_type),
        )

    async def get_grant(self, grant_id: str) -> GrantRecord | None:
        row = self._conn.execute(
            f"SELECT {_GRANT_COLUMNS} FROM grants WHERE grant_id = ?", (grant_id,)
        ).fetchone()
        return _grant(row) if row is not None else None

    async def get_grant_by_refresh(self, refresh_hash: bytes) -> GrantRecord | None:
        row = self._conn.execute(
            f"SELECT {_GRANT_COLUMNS} FROM grants WHERE refresh_hash = ?", (refresh_hash,)
        ).fetchone()
        return _grant(row) if row is not None else None

    async def replace_refresh(self, grant_id: str, old_hash: bytes, new_hash: bytes) -> bool:
        changed = await self._write(
            "UPDATE grants SET refresh_hash = ? WHERE grant_id = ? AND refresh_hash = ?",
            (new_hash, grant_id, old_hash),
        )
        return changed > 0

    async def revoke_grant(self, grant_id: str) -> int:
        # Both statements join the same group commit, so they land in one transaction.
        removed = self._write("DELETE FROM access_tokens WHERE grant_id = ?", (grant_id,), invalidates=True)
        grant = self._write("DELETE FROM grants WHERE grant_id = ?", (grant_id,))
        count = await removed
        await grant
        return count

    # ----------------------------------------------------------------- JWT denylist

    async def revoke_jti(self, jti_key: str, expires_at: float) -> None:
        await self._write(
            "INSERT INTO denied_jtis (jti_key, expires_at) VALUES (?, ?) ON CONFLICT (jti_key) "
            "DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
            (jti_key, expires_at),
        )

    async def is_jti_revoked(self, jti_key: str, now: float) -> bool:
        row = self._conn.execute("SELECT expires_at FROM denied_jtis WHERE jti_key = ?", (jti_key,)).fetchone()
        return row is not None and row[0] > now

    # ----------------------------------------------------------------- shared values

    async def get_shared(self, name: str) -> SharedValue | None:
        row = self._conn.execute("SELECT version, value FROM shared_values WHERE name = ?", (name,)).fetchone()
        return SharedValue(int(row[0]), bytes(row[1])) if row is not None else None

    async def put_shared(self, name: str, expected_version: int, value: bytes) -> bool:
        if expected_version == 0:
            sql = ("INSERT INTO shared_values (name, version, value) VALUES (?, 1, ?) "
                   "ON CONFLICT (name) DO NOTHING")
            params: tuple[Any, ...] = (name, value)
        else:
            sql = "UPDATE shared_values SET version = version + 1, value = ? WHERE name = ? AND version = ?"
            params = (value, name, expected_version)
        return await self._write(sql, params) > 0

    async def list_grants(self, now: float, *, user_key: str | None = None,
                          client_id: str | None = None) -> list[GrantRecord]:
        column, value = ("user_key", user_key) if user_key is not None else ("client_id", client_id)
        rows = self._conn.execute(
            f"SELECT {_GRANT_COLUMNS} FROM grants WHERE {column} = ? AND (expires_at IS NULL OR expires_at > ?) "
            "ORDER BY created_at, grant_id", (value, now),
        ).fetchall()
        return [_grant(row) for row in rows]

    # ----------------------------------------------------------------- housekeeping

    async def purge_expired(self, now: float) -> int:
        await self.purge_guesses(now, PURGE_BATCH)
        await self.purge_codes(now, PURGE_BATCH)
        await self.purge_devices(now, PURGE_BATCH)
        await self.purge_pushed(now, PURGE_BATCH)
        await self._write("DELETE FROM denied_jtis WHERE jti_key IN "
                          "(SELECT jti_key FROM denied_jtis WHERE expires_at <= ? LIMIT ?)", (now, PURGE_BATCH))
        tokens = await self._write(
            "DELETE FROM access_tokens WHERE token_hash IN "
            "(SELECT token_hash FROM access_tokens WHERE expires_at <= ? LIMIT ?)",
            (now, PURGE_BATCH), invalidates=True,
        )
        expired = [r[0] for r in self._conn.execute(
            "SELECT grant_id FROM grants WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
            (now, PURGE_BATCH),
        )]
        for grant_id in expired:
            tokens += await self.revoke_grant(grant_id)
        return tokens + len(expired)

    async def close(self) -> None:
        self._writer.drain()
        self._writer.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._conn.close()
        self._changes.close()
        self.close_guesses()

    # ----------------------------------------------------------------- diagnostics

    def count_tokens(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM access_tokens").fetchone()[0])

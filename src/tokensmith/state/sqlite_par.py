"""Pushed authorization requests (RFC 9126) in the SQLite token state.

A request is taken by one read-and-delete step inside the group commit (which holds the database's
write lock), so of two workers presenting the same ``request_uri`` at once exactly one gets it. Rows
are keyed by the digest of the reference and purged once expired: unlike a code, a reference that is
used again needs no memory of its first use, since nothing was issued under it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from tokensmith.state.base import PushedRequestRecord
from tokensmith.state.sqlite_writer import GroupCommitter

SCHEMA = """
CREATE TABLE IF NOT EXISTS pushed_requests (
    ref_hash   BLOB PRIMARY KEY,
    body       BLOB NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pushed_requests_expiry ON pushed_requests (expires_at);
"""


class SqlitePushed:
    def __init__(self, conn: sqlite3.Connection, writer: GroupCommitter) -> None:
        conn.executescript(SCHEMA)
        self._pushed_writer = writer

    async def put_pushed(self, record: PushedRequestRecord) -> None:
        await self._pushed_writer.submit(
            "INSERT INTO pushed_requests (ref_hash, body, expires_at) VALUES (?, ?, ?)",
            (record.ref_hash, orjson.dumps(record.to_json()), record.expires_at))

    async def take_pushed(self, ref_hash: bytes) -> PushedRequestRecord | None:
        def step(conn: sqlite3.Connection) -> PushedRequestRecord | None:
            row = conn.execute("SELECT body FROM pushed_requests WHERE ref_hash = ?", (ref_hash,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM pushed_requests WHERE ref_hash = ?", (ref_hash,))
            body: dict[str, Any] = orjson.loads(row[0])
            return PushedRequestRecord.from_json(ref_hash, body)

        result: PushedRequestRecord | None = await self._pushed_writer.submit_step(step)
        return result

    async def purge_pushed(self, now: float, limit: int) -> int:
        return await self._pushed_writer.submit(
            "DELETE FROM pushed_requests WHERE ref_hash IN "
            "(SELECT ref_hash FROM pushed_requests WHERE expires_at <= ? LIMIT ?)", (now, limit))

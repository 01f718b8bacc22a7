"""Authorization codes in the SQLite token state.

A code is redeemed by one read-modify-write step inside the group commit (which holds the
database's write lock), so two workers redeeming the same code at once see it taken exactly once.
Redeemed codes stay for ``CODE_MEMORY`` seconds after their expiry, so that a replay is recognised
as such (and what the first exchange issued revoked) instead of being answered as an unknown code.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from tokensmith.state.base import CODE_MEMORY, CodeRecord
from tokensmith.state.sqlite_writer import GroupCommitter

SCHEMA = """
CREATE TABLE IF NOT EXISTS authorization_codes (
    code_hash  BLOB PRIMARY KEY,
    body       BLOB NOT NULL,
    forget_at  REAL NOT NULL,
    taken      INTEGER NOT NULL DEFAULT 0,
    grant_id   TEXT,
    token_key  BLOB
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS authorization_codes_forget ON authorization_codes (forget_at);
"""


class SqliteCodes:
    def __init__(self, conn: sqlite3.Connection, writer: GroupCommitter) -> None:
        conn.executescript(SCHEMA)
        self._code_writer = writer

    async def put_code(self, record: CodeRecord) -> None:
        await self._code_writer.submit(
            "INSERT INTO authorization_codes (code_hash, body, forget_at) VALUES (?, ?, ?)",
            (record.code_hash, orjson.dumps(record.to_json()), record.expires_at + CODE_MEMORY))

    async def take_code(self, code_hash: bytes) -> CodeRecord | None:
        def step(conn: sqlite3.Connection) -> CodeRecord | None:
            row = conn.execute("SELECT body, taken, grant_id, token_key FROM authorization_codes "
                               "WHERE code_hash = ?", (code_hash,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE authorization_codes SET taken = taken + 1 WHERE code_hash = ?", (code_hash,))
            body: dict[str, Any] = orjson.loads(row[0])
            return CodeRecord.from_json(code_hash, body, row[2], bytes(row[3]) if row[3] is not None else None,
                                        int(row[1]) > 0)

        result: CodeRecord | None = await self._code_writer.submit_step(step)
        return result

    async def record_code_issue(self, code_hash: bytes, grant_id: str | None, token_key: bytes | None) -> bool:
        changed = await self._code_writer.submit(
            "UPDATE authorization_codes SET grant_id = ?, token_key = ? WHERE code_hash = ? AND taken = 1",
            (grant_id, token_key, code_hash))
        if changed:
            return True
        await self._code_writer.submit(  # taken again meanwhile: still leave the record for later replays
            "UPDATE authorization_codes SET grant_id = ?, token_key = ? WHERE code_hash = ?",
            (grant_id, token_key, code_hash))
        return False

    async def purge_codes(self, now: float, limit: int) -> int:
        return await self._code_writer.submit(
            "DELETE FROM authorization_codes WHERE code_hash IN "
            "(SELECT code_hash FROM authorization_codes WHERE forget_at <= ? LIMIT ?)", (now, limit))

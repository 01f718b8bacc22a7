"""Device authorizations (RFC 8628) in the SQLite token state.

Every change is one read-modify-write step inside the group commit, which holds the database's write
lock, so the rules of :func:`tokensmith.state.base.device_poll` and
:func:`~tokensmith.state.base.device_decision` apply atomically across the node's workers: two polls
never both redeem one approval, and a user's decision cannot race another. Records stay for
``CODE_MEMORY`` seconds after they expire, so a reused device code is told apart from an unknown one.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from tokensmith.state.base import CODE_MEMORY, DeviceRecord, device_decision, device_poll
from tokensmith.state.sqlite_writer import GroupCommitter

SCHEMA = """
CREATE TABLE IF NOT EXISTS device_authorizations (
    device_hash BLOB PRIMARY KEY,
    user_hash   BLOB NOT NULL UNIQUE,
    body        BLOB NOT NULL,
    forget_at   REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS device_authorizations_forget ON device_authorizations (forget_at);
"""


_SELECT = {column: f"SELECT device_hash, user_hash, body FROM device_authorizations WHERE {column} = ?"  # noqa: S608
           for column in ("device_hash", "user_hash")}  # fixed column names only


def _row(conn: sqlite3.Connection, column: str, digest: bytes) -> DeviceRecord | None:
    row = conn.execute(_SELECT[column], (digest,)).fetchone()
    return DeviceRecord.from_json(bytes(row[0]), bytes(row[1]), orjson.loads(row[2])) if row else None


def _store(conn: sqlite3.Connection, record: DeviceRecord) -> None:
    conn.execute("UPDATE device_authorizations SET body = ? WHERE device_hash = ?",
                 (orjson.dumps(record.to_json()), record.device_hash))


class SqliteDevices:
    def __init__(self, conn: sqlite3.Connection, writer: GroupCommitter) -> None:
        conn.executescript(SCHEMA)
        self._device_writer = writer

    async def put_device(self, record: DeviceRecord) -> None:
        try:
            await self._device_writer.submit(
                "INSERT INTO device_authorizations (device_hash, user_hash, body, forget_at) VALUES (?, ?, ?, ?)",
                (record.device_hash, record.user_hash, orjson.dumps(record.to_json()), record.expires_at + CODE_MEMORY))
        except sqlite3.IntegrityError as exc:
            raise ValueError("a device authorization with this device or user code already exists") from exc

    async def get_device(self, user_hash: bytes) -> DeviceRecord | None:
        found: DeviceRecord | None = await self._device_writer.submit_step(
            lambda conn: _row(conn, "user_hash", user_hash))
        return found

    async def decide_device(self, user_hash: bytes, now: float, approved: bool, user_key: str, validator_id: str,
                            user_attributes: dict[str, Any]) -> bool:
        def step(conn: sqlite3.Connection) -> bool:
            record = _row(conn, "user_hash", user_hash)
            if record is None:
                return False
            decided = device_decision(record, now, approved, user_key, validator_id, user_attributes)
            if decided is None:
                return False
            _store(conn, decided)
            return True

        done: bool = await self._device_writer.submit_step(step)
        return done

    async def poll_device(self, device_hash: bytes, client_id: str, now: float) -> tuple[str, DeviceRecord] | None:
        def step(conn: sqlite3.Connection) -> tuple[str, DeviceRecord] | None:
            record = _row(conn, "device_hash", device_hash)
            if record is None:
                return None
            outcome, changed = device_poll(record, client_id, now)
            if changed is not None:
                _store(conn, changed)
            return outcome, record

        result: tuple[str, DeviceRecord] | None = await self._device_writer.submit_step(step)
        return result

    async def purge_devices(self, now: float, limit: int) -> int:
        return await self._device_writer.submit(
            "DELETE FROM device_authorizations WHERE device_hash IN "
            "(SELECT device_hash FROM device_authorizations WHERE forget_at <= ? LIMIT ?)", (now, limit))

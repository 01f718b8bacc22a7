"""Console sessions, kept in the configuration database (sign-ins are throttled by the token
state's shared throttle, :mod:`tokensmith.state.throttle`, together with the admin API's).

A node runs several worker processes that share nothing in memory, and a cluster runs several
nodes on one configuration database, so sessions live in that database: every worker and node
sees a sign-in, a sign-out and an expiry at once, and a sign-out really ends the session (a
stateless signed cookie would stay valid until it expires). The cookie carries a random 256-bit
session id; the table keeps only its SHA-256 digest, so a copy of the database does not hand out
live sessions. Each session has its own random CSRF token.

The tables use their own SQLAlchemy metadata on the configuration store's engine, so they do not
change the configuration documents, their version or the snapshot.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import orjson
from sqlalchemy import Column, Float, MetaData, String, Table, Text, delete, insert, or_, select, update

from tokensmith.clock import Clock
from tokensmith.config.store import ConfigStore

IDLE_TIMEOUT = 30 * 60.0        # seconds without a request before a session ends
ABSOLUTE_TIMEOUT = 8 * 3600.0   # seconds after sign-in when a session ends regardless
TOUCH_INTERVAL = 60.0           # last-seen is written at most this often per session

metadata = MetaData()
sessions = Table(
    "console_sessions", metadata,
    Column("id_digest", String(64), primary_key=True),
    Column("username", String(255), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("flash", Text, nullable=True),
)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Session:
    id_digest: str
    username: str
    csrf: str
    created: float
    last_seen: float

    def csrf_ok(self, submitted: str) -> bool:
        return secrets.compare_digest(self.csrf.encode(), submitted.encode("utf-8", "surrogatepass"))


class SessionStore:
    def __init__(self, store: ConfigStore, clock: Clock, idle: float = IDLE_TIMEOUT,
                 absolute: float = ABSOLUTE_TIMEOUT) -> None:
        self.store = store
        self.engine = store.engine
        self.clock = clock
        self.idle = idle
        self.absolute = absolute
        metadata.create_all(self.engine)

    def create(self, username: str) -> tuple[str, Session]:
        """A new session (a new id every sign-in, so a planted id is never promoted)."""
        now = self.clock.now()
        session_id = secrets.token_urlsafe(32)
        session = Session(_digest(session_id), username, secrets.token_urlsafe(32), now, now)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(or_(sessions.c.last_seen < now - self.idle,
                                                    sessions.c.created < now - self.absolute)))
            conn.execute(insert(sessions).values(id_digest=session.id_digest, username=username,
                                                 csrf=session.csrf, created=now, last_seen=now))
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session for a cookie value, or None (unknown, idle too long, or too old)."""
        if not session_id or len(session_id) > 128:
            return None
        digest = _digest(session_id)
        with self.store.reading() as conn:
            row = conn.execute(select(sessions.c.username, sessions.c.csrf, sessions.c.created,
                                      sessions.c.last_seen).where(sessions.c.id_digest == digest)).first()
        if row is None:
            return None
        now = self.clock.now()
        username, csrf, created, last_seen = row
        if now - last_seen > self.idle or now - created > self.absolute:
            self.end(session_id)
            return None
        if now - last_seen >= TOUCH_INTERVAL:
            with self.engine.begin() as conn:
                conn.execute(update(sessions).where(sessions.c.id_digest == digest).values(last_seen=now))
            last_seen = now
        return Session(digest, username, csrf, created, last_seen)

    def end(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_digest == _digest(session_id)))

    def end_all(self, username: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.username == username))

    # ----------------------------------------------------------------- one-time messages

    def flash(self, session: Session, kind: str, text: str) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(sessions.c.flash).where(sessions.c.id_digest == session.id_digest)).first()
            if row is None:
                return
            messages = orjson.loads(row[0]) if row[0] else []
            messages.append({"kind": kind, "text": text})
            conn.execute(update(sessions).where(sessions.c.id_digest == session.id_digest)
                         .values(flash=orjson.dumps(messages[-10:]).decode()))

    def take_flash(self, session: Session) -> list[dict[str, str]]:
        with self.store.reading() as conn:
            row = conn.execute(select(sessions.c.flash).where(sessions.c.id_digest == session.id_digest)).first()
        if row is None or not row[0]:
            return []
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.id_digest == session.id_digest).values(flash=None))
        messages: list[dict[str, str]] = orjson.loads(row[0])
        return messages

"""The configuration store: JSON documents by (kind, id) in SQL, behind SQLAlchemy.

Every admin write runs :meth:`ConfigStore.mutate`: it loads the whole configuration inside one
write transaction, lets the caller validate and change it, writes back only the documents that
changed, bumps the version and commits. Either everything lands or nothing does.

Two databases are supported: SQLite (one node; the default) and PostgreSQL (``--database-url``,
shared by every node of a cluster). On PostgreSQL, writers serialise on a transaction-scoped
advisory lock, readers see one consistent snapshot (REPEATABLE READ), and every committed write
sends ``NOTIFY tokensmith_config, '<version>'`` so other nodes reload at once (see
:mod:`tokensmith.config.watcher`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url

from tokensmith.config.model import ConfigModel
from tokensmith.errors import FieldError, ValidationFailed

metadata = MetaData()

documents = Table(
    "config_documents", metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(255), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
)
meta = Table(
    "config_meta", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)
admin_users = Table(
    "admin_users", metadata,
    Column("username", String(255), primary_key=True),
    Column("password_hash", String(255), nullable=False),
)

T = TypeVar("T")
READ_ONLY = "tokensmith_read_only"
CHANNEL = "tokensmith_config"
WRITE_LOCK = 0x746F6B656E  # PostgreSQL advisory lock key of admin writes ("token")
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def postgres_url(url: str) -> str:
    """``url`` as SQLAlchemy's psycopg 3 URL (``postgresql+psycopg://``)."""
    parsed = make_url(url)
    if parsed.drivername not in POSTGRES_SCHEMES:
        raise ValueError(f"not a PostgreSQL URL (scheme {parsed.drivername}://)")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _sqlite_engine(path: Path) -> Engine:
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let BEGIN IMMEDIATE below take the write lock up front
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front (no lock upgrade deadlocks); readers never do.
        conn.exec_driver_sql("BEGIN" if conn.info.get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


class ConfigStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:  # nodes starting together must not create the tables twice
            self._lock(conn)
            metadata.create_all(conn)

    @classmethod
    def sqlite(cls, path: Path) -> ConfigStore:
        return cls(_sqlite_engine(path))

    @classmethod
    def postgresql(cls, url: str) -> ConfigStore:
        return cls(create_engine(postgres_url(url), pool_pre_ping=True, pool_size=4, max_overflow=8))

    def listen_url(self) -> str | None:
        """A libpq URL for a LISTEN connection (PostgreSQL only)."""
        if not self.postgres:
            return None
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _lock(self, conn: Connection) -> None:
        """Serialise writers (SQLite already did, with BEGIN IMMEDIATE)."""
        if self.postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})

    # ----------------------------------------------------------------- documents

    @staticmethod
    def _version(conn: Connection) -> int:
        row = conn.execute(select(meta.c.value).where(meta.c.name == "version")).first()
        return int(row[0]) if row else 0

    @staticmethod
    def _load(conn: Connection) -> ConfigModel:
        model = ConfigModel()
        rows = conn.execute(select(documents.c.kind, documents.c.id, documents.c.body)
                            .order_by(documents.c.seq))
        for kind, doc_id, body in rows:
            model.load(kind, doc_id, orjson.loads(body))
        model.version = ConfigStore._version(conn)
        model.mark_clean()
        return model

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A consistent read-only view (a deferred transaction: it never blocks writers)."""
        with self.engine.connect() as conn:
            if self.postgres:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.info[READ_ONLY] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop(READ_ONLY, None)

    def load(self) -> ConfigModel:
        with self.reading() as conn:
            return self._load(conn)

    def version(self) -> int:
        with self.reading() as conn:
            return self._version(conn)

    def mutate(self, change: Callable[[ConfigModel], T]) -> tuple[T, ConfigModel]:
        """Run ``change`` on the current configuration and persist what it touched, atomically.

        If ``change`` raises, nothing is written.
        """
        with self.engine.begin() as conn:
            self._lock(conn)
            model = self._load(conn)
            result = change(model)
            if model.dirty:
                self._write(conn, model)
                if self.postgres:  # delivered to listeners when (and only if) the transaction commits
                    conn.execute(text("SELECT pg_notify(:channel, :version)"),
                                 {"channel": CHANNEL, "version": str(model.version)})
            return result, model

    def _write(self, conn: Connection, model: ConfigModel) -> None:
        seq_row = conn.execute(select(documents.c.seq).order_by(documents.c.seq.desc()).limit(1)).first()
        seq = seq_row[0] if seq_row else 0
        for kind, doc_id in sorted(model.deleted):
            conn.execute(delete(documents).where(documents.c.kind == kind, documents.c.id == doc_id))
        for kind, doc_id in model.changed:
            try:
                body = orjson.dumps(model.get(kind, doc_id))
            except orjson.JSONEncodeError as exc:  # e.g. an integer past 64 bits in a free-form member
                raise ValidationFailed([FieldError("", f"The {kind} cannot be stored: {exc} (JSON numbers must "
                                                       "fit in 64 bits)")]) from exc
            result = conn.execute(update(documents).where(documents.c.kind == kind, documents.c.id == doc_id)
                                  .values(body=body))
            if result.rowcount == 0:
                seq += 1
                conn.execute(insert(documents).values(kind=kind, id=doc_id, seq=seq, body=body))
        model.version += 1
        if conn.execute(update(meta).where(meta.c.name == "version")
                        .values(value=str(model.version))).rowcount == 0:
            conn.execute(insert(meta).values(name="version", value=str(model.version)))
        model.mark_clean()

    # ----------------------------------------------------------------- administrators

    def admin_password_hash(self, username: str) -> str | None:
        with self.reading() as conn:
            row = conn.execute(select(admin_users.c.password_hash)
                               .where(admin_users.c.username == username)).first()
            return row[0] if row else None

    def has_admins(self) -> bool:
        with self.reading() as conn:
            return conn.execute(select(admin_users.c.username).limit(1)).first() is not None

    def set_admin(self, username: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            self._lock(conn)
            if conn.execute(update(admin_users).where(admin_users.c.username == username)
                            .values(password_hash=password_hash)).rowcount == 0:
                conn.execute(insert(admin_users).values(username=username, password_hash=password_hash))

    def add_first_admin(self, username: str, password_hash: str) -> bool:
        """Create ``username`` only if there is no administrator yet (atomic across nodes)."""
        with self.engine.begin() as conn:
            self._lock(conn)
            if conn.execute(select(admin_users.c.username).limit(1)).first() is not None:
                return False
            conn.execute(insert(admin_users).values(username=username, password_hash=password_hash))
            return True

    # ----------------------------------------------------------------- metadata

    def claim_meta(self, name: str, value: str) -> str:
        """Store ``value`` under ``name`` unless something is stored already; return what is stored."""
        with self.engine.begin() as conn:
            self._lock(conn)
            row = conn.execute(select(meta.c.value).where(meta.c.name == name)).first()
            if row is not None:
                return str(row[0])
            conn.execute(insert(meta).values(name=name, value=value))
            return value

    def meta_value(self, name: str) -> str | None:
        with self.reading() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.name == name)).first()
            return str(row[0]) if row else None

    def close(self) -> None:
        self.engine.dispose()


def open_store(database_url: str | None, sqlite_path: Path) -> ConfigStore:
    """The cluster's PostgreSQL store when ``database_url`` is set, else the node's SQLite file."""
    return ConfigStore.postgresql(database_url) if database_url else ConfigStore.sqlite(sqlite_path)

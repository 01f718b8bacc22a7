"""The admin API and runtime tests run twice: configuration in SQLite (one node) and in PostgreSQL
(the configuration store of a cluster), against a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.services import PostgresServer
from tokensmith.datadir import initialise
from tokensmith.settings import Settings


def _empty(server: PostgresServer) -> None:
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS config_documents, config_meta, admin_users")


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    database_url = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        _empty(server)
        database_url = server.url
    s = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999, database_url=database_url)
    initialise(s, admin_password=ADMIN_PASSWORD)
    return s

"""The admin API and runtime tests run twice: configuration in SQLite (one node) and in PostgreSQL
(the configuration store of a cluster), against a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD
from tokensmith.datadir import initialise
from tokensmith.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    database_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    s = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999, database_url=database_url)
    initialise(s, admin_password=ADMIN_PASSWORD)
    return s

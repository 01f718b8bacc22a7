"""Configuration shared by the nodes of a cluster through PostgreSQL (a real server)."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ADMIN_PASSWORD
from tokensmith.clock import FakeClock
from tokensmith.config.model import CLIENT
from tokensmith.config.store import ConfigStore
from tokensmith.datadir import initialise
from tokensmith.errors import ConfigurationError
from tokensmith.node import Node
from tokensmith.settings import Settings


def _node_settings(tmp_path: Path, name: str, database_url: str, copy_key_from: Settings | None = None) -> Settings:
    settings = Settings(data_dir=tmp_path / name, database_url=database_url, node_id=name)
    if copy_key_from is not None:
        settings.data_dir.mkdir(mode=0o700)
        shutil.copy(copy_key_from.master_key_file, settings.master_key_file)
    return settings


def test_concurrent_writers_on_two_nodes_serialise(postgres_url: str) -> None:
    stores = [ConfigStore.postgresql(postgres_url), ConfigStore.postgresql(postgres_url)]
    try:
        def write(store: ConfigStore, start: int) -> None:
            for i in range(start, start + 15):
                store.mutate(lambda m, i=i: m.put(CLIENT, f"c{i}", {"clientId": f"c{i}"}))

        threads = [threading.Thread(target=write, args=(store, n * 100)) for n, store in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        model = stores[0].load()
        assert len(model.ids(CLIENT)) == 30 and model.version == 30  # no lost update, one version per write
    finally:
        for store in stores:
            store.close()


async def test_a_change_on_one_node_is_live_on_the_other_within_a_second(tmp_path: Path, postgres_url: str) -> None:
    first = _node_settings(tmp_path, "a", postgres_url)
    initialise(first, admin_password=ADMIN_PASSWORD)
    second = _node_settings(tmp_path, "b", postgres_url, copy_key_from=first)
    assert initialise(second).admin_password is None  # the cluster's administrator already exists
    a, b = Node(first, clock=FakeClock()), Node(second, clock=FakeClock())
    await a.start()
    await b.start()
    try:
        delays = []
        for i in range(3):
            a.change(lambda m, i=i: m.put(CLIENT, f"c{i}", {"clientId": f"c{i}"}))
            started = time.monotonic()  # from the commit
            while b.snapshot().version != a.snapshot().version:  # b's own thread swaps the snapshot in
                assert time.monotonic() - started < 1.0, "the change did not reach the other node in 1 s"
                await asyncio.sleep(0.002)
            delays.append(time.monotonic() - started)
            assert f"c{i}" in b.snapshot().clients  # built from the new version
        assert b.metrics.value("tokensmith_config_reloads_total", "cluster") >= 3
        print(f"\nNOTIFY: change live on the other node after {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")

        # Without a notification (written behind the nodes' backs) the version poll still finds it.
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("UPDATE config_meta SET value = (value::int + 1)::text WHERE name = 'version'")
        target = a.store.version()
        started = time.monotonic()
        while b.snapshot().version != target:
            assert time.monotonic() - started < 2.5, "the version poll did not pick the change up"
            await asyncio.sleep(0.02)
        print(f"poll: unannounced change live after {(time.monotonic() - started) * 1000:.0f} ms")
    finally:
        await a.stop()
        await b.stop()


def test_a_node_with_another_master_key_refuses_to_start(tmp_path: Path, postgres_url: str) -> None:
    first = _node_settings(tmp_path, "a", postgres_url)
    initialise(first, admin_password=ADMIN_PASSWORD)
    stranger = _node_settings(tmp_path, "b", postgres_url)
    stranger.data_dir.mkdir(mode=0o700)
    stranger.master_key_file.write_bytes(b"\x01" * 32)
    with pytest.raises(ConfigurationError, match=r"same master\.key"):
        initialise(stranger)
    newcomer = _node_settings(tmp_path, "c", postgres_url)
    with pytest.raises(ConfigurationError, match=r"Copy master\.key from another node"):
        initialise(newcomer)
    assert not newcomer.master_key_file.exists()  # no new key was made up


def test_nodes_starting_together_create_one_administrator(tmp_path: Path, postgres_url: str) -> None:
    first = _node_settings(tmp_path, "a", postgres_url)
    initialise(first, admin_password=ADMIN_PASSWORD)  # creates the key; drop the admin to race for it
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM admin_users")
    others = [_node_settings(tmp_path, n, postgres_url, copy_key_from=first) for n in ("b", "c", "d")]
    printed: list[str | None] = []
    threads = [threading.Thread(target=lambda s=s: printed.append(initialise(s).admin_password)) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([p for p in printed if p]) == 1  # exactly one node announces the password it created
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM admin_users").fetchone() == (1,)

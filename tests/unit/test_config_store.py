"""The configuration store: atomic changes, non-blocking reads, the cross-process change counter."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tokensmith.config.generation import GenerationCounter
from tokensmith.config.model import CLIENT
from tokensmith.config.store import ConfigStore


def test_a_failing_change_writes_nothing(tmp_path: Path) -> None:
    store = ConfigStore.sqlite(tmp_path / "c.db")
    store.mutate(lambda m: m.put(CLIENT, "a", {"clientId": "a"}))
    version = store.version()

    def half_then_fail(model: object) -> None:
        model.put(CLIENT, "b", {"clientId": "b"})  # type: ignore[attr-defined]
        model.delete(CLIENT, "a")  # type: ignore[attr-defined]
        raise RuntimeError("validation failed half way")

    with pytest.raises(RuntimeError):
        store.mutate(half_then_fail)
    model = store.load()
    assert model.ids(CLIENT) == ["a"] and model.version == version
    store.close()


def test_versions_and_order(tmp_path: Path) -> None:
    store = ConfigStore.sqlite(tmp_path / "c.db")
    for name in ("z", "a", "m"):
        store.mutate(lambda m, n=name: m.put(CLIENT, n, {"clientId": n}))  # type: ignore[misc]
    store.mutate(lambda m: m.put(CLIENT, "a", {"clientId": "a", "changed": True}))
    model = store.load()
    assert model.ids(CLIENT) == ["z", "a", "m"]  # creation order survives updates
    assert model.version == 4
    store.close()


def test_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    store = ConfigStore.sqlite(tmp_path / "c.db")
    store.mutate(lambda m: m.put(CLIENT, "a", {"clientId": "a"}))
    writer = sqlite3.connect(str(tmp_path / "c.db"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert store.load().ids(CLIENT) == ["a"]
        assert store.admin_password_hash("nobody") is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def test_generation_counter_is_shared(tmp_path: Path) -> None:
    first, second = GenerationCounter(tmp_path / "gen"), GenerationCounter(tmp_path / "gen")
    assert first.read() == second.read() == 0
    first.bump()
    assert second.read() == 1
    second.bump()
    assert first.read() == 2
    first.close()
    second.close()

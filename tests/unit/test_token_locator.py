"""Reference token values that order their rows in the SQLite token state (state/locator.py)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import Counter
from pathlib import Path

import pytest

from tokensmith.state.base import AccessTokenRecord
from tokensmith.state.locator import MIN_LENGTH, TokenLocator
from tokensmith.state.sqlite import SqliteTokenState

ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
KEY = bytes(range(32))


@pytest.mark.parametrize("length", [22, 23, 28, 57, 256])
def test_values_have_the_configured_length_and_alphabet(length: int) -> None:
    locator = TokenLocator(KEY)
    values = [locator.new_value(length) for _ in range(200)]
    assert all(len(v) == length and set(v) <= ALPHABET for v in values)
    assert len(set(values)) == 200


def test_keys_grow_in_issue_order_and_end_with_the_digest() -> None:
    locator = TokenLocator(KEY)
    values = [locator.new_value(28) for _ in range(5000)]
    keys = [locator.key(v) for v in values]
    assert keys == sorted(keys)  # new rows go to the end of the tree
    assert all(k[8:] == hashlib.sha256(v.encode()).digest() for k, v in zip(keys, values, strict=True))


def test_the_value_reveals_nothing_of_the_sequence() -> None:
    """Consecutive values share no prefix: every character position of the block looks uniform."""
    locator = TokenLocator(KEY)
    values = [locator.new_value(22) for _ in range(4000)]
    for position in range(21):  # the 22nd character carries only 2 bits of the block (+ 4 random)
        counts = Counter(v[position] for v in values)
        assert len(counts) == 64 and max(counts.values()) < 4000 / 64 * 1.8


def test_another_worker_or_restart_with_the_same_key_finds_the_same_row() -> None:
    value = TokenLocator(KEY, worker=3).new_value(40)
    assert TokenLocator(KEY, worker=7).key(value) == TokenLocator(KEY).key(value)
    assert TokenLocator(bytes(32)).key(value) != TokenLocator(KEY).key(value)  # another node's key


@pytest.mark.parametrize("value", ["", "short", "!" * 30, "a" * (MIN_LENGTH - 1), "é" * 30])
def test_foreign_or_malformed_values_get_a_key_no_row_has(value: str) -> None:
    key = TokenLocator(KEY).key(value)
    assert key[8:] == hashlib.sha256(value.encode()).digest()


def test_a_tampered_value_does_not_find_the_row() -> None:
    locator = TokenLocator(KEY)
    value = locator.new_value(28)
    raw = bytearray(base64.urlsafe_b64decode(value[:22] + "AA"))
    raw[3] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()[:22] + value[22:]
    assert locator.key(forged) != locator.key(value)
    assert locator.key(value[:-1] + ("A" if value[-1] != "A" else "B")) != locator.key(value)


async def test_sqlite_state_finds_its_own_tokens_across_instances(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    a = SqliteTokenState(tmp_path / "t.db", locator_key=key)
    b = SqliteTokenState(tmp_path / "t.db", locator_key=key)
    try:
        value, key = a.new_token(28)
        assert key == b.token_key(value)
        await a.put_token(AccessTokenRecord(a.token_key(value), "atm", "c", "", {}, 1.0, 9e9))
        found = await b.get_token(b.token_key(value))
        assert found is not None and found.client_id == "c"
        assert await b.get_token(b.token_key(value[:-1] + ("x" if value[-1] != "x" else "y"))) is None
    finally:
        await a.close()
        await b.close()

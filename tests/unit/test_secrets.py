"""Secrets at rest: encrypted values, client-secret digests, passwords, the master key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tokensmith.crypto.masterkey import MasterKey, write_new_master_key
from tokensmith.crypto.passwords import hash_password, verify_password
from tokensmith.crypto.secretbox import SecretBox, SecretBoxError
from tokensmith.errors import ConfigurationError


def _box() -> SecretBox:
    return SecretBox(MasterKey.from_bytes(os.urandom(32)))


def test_encrypt_round_trip_and_format() -> None:
    box = _box()
    value = box.encrypt("s3cret")
    assert value.startswith("OBF:JWE:") and "s3cret" not in value
    assert box.decrypt(value) == "s3cret"
    assert box.encrypt("s3cret") != value  # fresh IV each time


def test_tampered_foreign_or_plain_values_are_refused() -> None:
    box = _box()
    value = box.encrypt("s3cret")
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    for bad in (tampered, _box().encrypt("s3cret"), "s3cret", "OBF:JWE:nonsense"):
        with pytest.raises(SecretBoxError):
            box.decrypt(bad)


def test_digests_are_keyed() -> None:
    box, other = _box(), _box()
    digest = box.digest("secret")
    assert box.verify("secret", digest) and not box.verify("Secret", digest)
    assert other.digest("secret") != digest


def test_password_hashes() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not-a-hash", "x")


def test_master_key_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_new_master_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert MasterKey.load(path) == MasterKey.load(path)
    with pytest.raises(FileExistsError):
        write_new_master_key(path)
    with pytest.raises(ConfigurationError):
        MasterKey.load(tmp_path / "missing")
    (tmp_path / "short").write_bytes(b"x")
    with pytest.raises(ConfigurationError):
        MasterKey.load(tmp_path / "short")


def test_random_token_values_have_the_requested_length_and_do_not_repeat() -> None:
    from tokensmith.crypto.randomness import urlsafe_token

    values = {urlsafe_token(22) for _ in range(5000)}
    assert len(values) == 5000
    assert all(len(v) == 22 and set(v) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for v in values)
    assert len(urlsafe_token(256)) == 256

"""The node's master key: 32 random bytes in the data directory, readable only by the owner.

Two keys are derived from it with HKDF so that the encryption key and the secret-hashing key
are never the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tokensmith.errors import ConfigurationError

KEY_BYTES = 32


def write_new_master_key(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(KEY_BYTES))


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class MasterKey:
    encryption_key: bytes
    hashing_key: bytes
    key_id: str
    locator_key: bytes = b""  # orders reference tokens in the SQLite token state (state/locator.py)

    @classmethod
    def from_bytes(cls, master: bytes) -> MasterKey:
        if len(master) != KEY_BYTES:
            raise ConfigurationError(f"master key must be {KEY_BYTES} bytes, found {len(master)}")
        kid = hashlib.sha256(b"tokensmith-kid" + master).hexdigest()[:10]
        return cls(_derive(master, b"tokensmith secrets at rest"),
                   _derive(master, b"tokensmith secret digests"), kid,
                   _derive(master, b"tokensmith token locator"))

    @classmethod
    def load(cls, path: Path) -> MasterKey:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError(f"master key not found at {path}") from exc
        return cls.from_bytes(data)

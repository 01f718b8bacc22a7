"""Slow hashes for human passwords (administrators, users of the simple credential validator)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106 "second recommended option" memory cost is 64 MiB; 19 MiB with t=2 is OWASP's floor
# and keeps admin API calls responsive on a 2-core machine.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def looks_like_hash(value: str) -> bool:
    return value.startswith("$argon2")

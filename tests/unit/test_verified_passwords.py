"""The verified-credential cache: after one slow check, the same username and password are accepted
from a keyed digest; nothing else is."""

from __future__ import annotations

import pytest

from tokensmith.crypto.passwords import hash_password
from tokensmith.pcv.simple import SimpleValidator
from tokensmith.pcv.verified import VerifiedPasswords

NOW = 1_800_000_000.0
PASSWORD = "alice-password-1"
HASH = hash_password(PASSWORD)


def _validator(password_hash: str = HASH, instance: str = "simple") -> SimpleValidator:
    return SimpleValidator(instance, {"alice": password_hash})


async def test_a_success_is_answered_from_the_cache_until_it_expires() -> None:
    cache, validator = VerifiedPasswords(60), _validator()
    assert await cache.validate(validator, "alice", PASSWORD, NOW) == {"username": "alice"}
    assert cache.hits == 0
    assert await cache.validate(validator, "alice", PASSWORD, NOW + 30) == {"username": "alice"}
    assert cache.hits == 1
    assert await cache.validate(validator, "alice", PASSWORD, NOW + 61) == {"username": "alice"}
    assert cache.hits == 1  # expired: checked the slow way again (and remembered anew)
    assert await cache.validate(validator, "alice", PASSWORD, NOW + 62) == {"username": "alice"}
    assert cache.hits == 2


async def test_a_wrong_password_after_a_cached_success_is_refused() -> None:
    cache, validator = VerifiedPasswords(60), _validator()
    assert await cache.validate(validator, "alice", PASSWORD, NOW) is not None
    for wrong in ("alice-password-2", PASSWORD + " ", PASSWORD[:-1], "", PASSWORD.upper()):
        assert await cache.validate(validator, "alice", wrong, NOW + 1) is None
    assert cache.hits == 0
    assert await cache.validate(validator, "alice", PASSWORD, NOW + 2) is not None  # still cached
    assert cache.hits == 1


async def test_a_wrong_password_never_enters_the_cache() -> None:
    cache, validator = VerifiedPasswords(60), _validator()
    for _ in range(2):
        assert await cache.validate(validator, "alice", "not-the-password", NOW) is None
        assert await cache.validate(validator, "mallory", "anything", NOW) is None
    assert cache.hits == 0


async def test_a_new_validator_object_or_a_changed_password_misses() -> None:
    cache, old = VerifiedPasswords(60), _validator()
    assert await cache.validate(old, "alice", PASSWORD, NOW) is not None
    changed = _validator(hash_password("alice-new-password"))  # the password was changed: a new snapshot
    assert await cache.validate(changed, "alice", PASSWORD, NOW + 1) is None
    assert await cache.validate(changed, "alice", "alice-new-password", NOW + 1) is not None
    same_config = _validator()  # any configuration change compiles new validator objects
    assert cache.lookup(same_config, "alice", PASSWORD, NOW + 1) is None
    other_instance = _validator(instance="other")
    assert cache.lookup(other_instance, "alice", PASSWORD, NOW + 1) is None
    removed = SimpleValidator("simple", {})
    assert await cache.validate(removed, "alice", PASSWORD, NOW + 1) is None
    assert cache.hits == 0


async def test_switched_off_every_request_takes_the_slow_check() -> None:
    cache, validator = VerifiedPasswords(60), _validator()
    assert await cache.validate(validator, "alice", PASSWORD, NOW) is not None
    cache.configure(0)
    for _ in range(2):
        assert await cache.validate(validator, "alice", PASSWORD, NOW + 1) is not None
        assert await cache.validate(validator, "alice", "wrong-password", NOW + 1) is None
    assert cache.hits == 0


def test_the_cache_time_is_bounded() -> None:
    cache = VerifiedPasswords()
    for bad in (-1, 3601):
        with pytest.raises(ValueError, match="between 0 and 3600"):
            cache.configure(bad)

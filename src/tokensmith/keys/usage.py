"""Who uses a signing key pair: an explicit registry of checks, consulted before a delete.

Each consumer of key pairs (JWT token managers, SAML token generators, ...) provides a function
``(model, key_pair_id) -> [FieldError, ...]`` naming every place that refers to the key pair. The
registry is assembled in :func:`tokensmith.admin.kinds.key_pair_users`, so this package never
imports its consumers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tokensmith.config.model import ConfigModel
from tokensmith.errors import FieldError

UsageCheck = Callable[[ConfigModel, str], list[FieldError]]
# (model, old key pair id, new key pair id) -> one line per place switched; used by key rotation.
Replacer = Callable[[ConfigModel, str, str], list[str]]


class KeyPairUsage:
    def __init__(self, checks: Iterable[UsageCheck] = (), replacers: Iterable[Replacer] = ()) -> None:
        self._checks: list[UsageCheck] = []
        self._replacers: list[Replacer] = []
        for check in checks:
            self.register(check)
        for replacer in replacers:
            self.register_replacer(replacer)

    def register(self, check: UsageCheck) -> None:
        if check in self._checks:
            raise ValueError(f"key pair usage check {check!r} registered twice")
        self._checks.append(check)

    def register_replacer(self, replacer: Replacer) -> None:
        if replacer in self._replacers:
            raise ValueError(f"key pair replacer {replacer!r} registered twice")
        self._replacers.append(replacer)

    def users(self, model: ConfigModel, key_pair_id: str) -> list[FieldError]:
        found: list[FieldError] = []
        for check in self._checks:
            found.extend(check(model, key_pair_id))
        return found

    def replace(self, model: ConfigModel, old_id: str, new_id: str) -> list[str]:
        """Switch every consumer of ``old_id`` to ``new_id`` (a rotated key pair's successor)."""
        switched: list[str] = []
        for replacer in self._replacers:
            switched.extend(replacer(model, old_id, new_id))
        return switched


def in_use(description: str) -> FieldError:
    """The error a usage check returns for one user, e.g. ``in_use("Access token manager 'jwt' ...")``."""
    return FieldError("", description, "resource_in_use")

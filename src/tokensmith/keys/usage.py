"""Who uses a signing key pair: an explicit registry of checks, consulted before a delete.

Each consumer of key pairs (JWT token managers, SAML token generators, ...) provides a function
``(model, key_pair_id) -> [FieldError, ...]`` naming every place that refers to the key pair. The
registry is assembled in :func:`tokensmith.plugins.registry.key_pair_users`, so this package never
imports its consumers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tokensmith.config.model import ConfigModel
from tokensmith.errors import FieldError

UsageCheck = Callable[[ConfigModel, str], list[FieldError]]


class KeyPairUsage:
    def __init__(self, checks: Iterable[UsageCheck] = ()) -> None:
        self._checks: list[UsageCheck] = []
        for check in checks:
            self.register(check)

    def register(self, check: UsageCheck) -> None:
        if check in self._checks:
            raise ValueError(f"key pair usage check {check!r} registered twice")
        self._checks.append(check)

    def users(self, model: ConfigModel, key_pair_id: str) -> list[FieldError]:
        found: list[FieldError] = []
        for check in self._checks:
            found.extend(check(model, key_pair_id))
        return found


def in_use(description: str) -> FieldError:
    """The error a usage check returns for one user, e.g. ``in_use("Access token manager 'jwt' ...")``."""
    return FieldError("", description, "resource_in_use")

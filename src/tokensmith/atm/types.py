"""The registry of access token manager types, by descriptor id (see :mod:`tokensmith.atm.base`)."""

from __future__ import annotations

from tokensmith.atm.base import AtmType


def atm_types() -> dict[str, AtmType]:
    """Every access token manager type, in the order the admin API lists them."""
    from tokensmith.atm import reference
    from tokensmith.atm.jwt import plugin as jwt

    types: list[AtmType] = [reference.TYPE, jwt.TYPE]
    return {t.descriptor.id: t for t in types}

"""The access token manager kind: every manager type, bundled or add-on, by descriptor id.

Types are loaded from the entry-point group ``tokensmith.access_token_managers`` (see
:mod:`tokensmith.plugins.kind`); Tokensmith's own reference and JWT types are declared there in its
``pyproject.toml`` like any add-on. Each entry point names an object implementing
:class:`tokensmith.atm.base.AtmType`.
"""

from __future__ import annotations

from tokensmith.atm.base import AtmType
from tokensmith.plugins.kind import PluginKind

ACCESS_TOKEN_MANAGERS: PluginKind[AtmType] = PluginKind(
    "access token manager", "tokensmith.access_token_managers", AtmType, lambda t: t.descriptor)


def atm_types() -> dict[str, AtmType]:
    """Every access token manager type, in the order the admin API lists them."""
    return ACCESS_TOKEN_MANAGERS.types()

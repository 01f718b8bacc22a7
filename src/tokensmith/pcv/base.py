"""The password credential validator kind: every validator type, bundled or add-on, by descriptor id.

A validator type is a :class:`PcvType` declared in the entry-point group
``tokensmith.password_credential_validators`` (see :mod:`tokensmith.plugins.kind`). The admin API
checks an instance against the type's descriptor (and its ``precheck``, which sees the submitted
configuration while ``HASHED_TEXT`` values are still plaintext); each configuration snapshot then
compiles every instance once with the type's ``build`` into a :class:`CredentialValidator`, which
the password grant and the Username Token Processor call off the event loop through the
verified-credential cache (:mod:`tokensmith.pcv.verified`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tokensmith.errors import ErrorCollector
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.plugins.kind import PluginKind

log = logging.getLogger("tokensmith.pcv")


class CredentialValidator(Protocol):
    """One validator instance, compiled for the request path."""

    @property
    def id(self) -> str: ...

    def stored_hash(self, username: str) -> str | None:
        """What the user's password is checked against (a hash, or any string that changes when the
        password does), or None for an unknown user. The verified-credential cache keys on it, so a
        changed password misses the cache."""
        ...

    def validate(self, username: str, password: str) -> dict[str, Any] | None:
        """The validator's attributes (its attribute contract) when the pair is right, else None.
        Slow on purpose and blocking: callers run it in a worker thread."""
        ...


class PcvBuildError(ValueError):
    """A stored instance that cannot be compiled now (for example its users file cannot be read)."""


def _no_precheck(_raw: Any, _errors: ErrorCollector, _path: str) -> None:
    return None


@dataclass(frozen=True)
class PcvType:
    descriptor: PluginDescriptor
    build: Callable[[str, NormalizedConfig], CredentialValidator]  # (instance id, configuration)
    # checks of the submitted (raw) configuration that need plaintext values, made before normalising
    precheck: Callable[[Any, ErrorCollector, str], None] = _no_precheck


CREDENTIAL_VALIDATORS: PluginKind[PcvType] = PluginKind(
    "password credential validator", "tokensmith.password_credential_validators", PcvType,
    lambda t: t.descriptor)


def pcv_types() -> dict[str, PcvType]:
    """Every validator type (bundled and add-on) by descriptor id."""
    return CREDENTIAL_VALIDATORS.types()


def build_validator(doc: Mapping[str, Any]) -> CredentialValidator | None:
    """The stored instance ``doc`` compiled, or None (logged) when its type is not installed or it
    cannot be built now: the other validators keep working."""
    pcv_type = pcv_types().get(doc["pluginDescriptorRef"]["id"])
    if pcv_type is None:
        log.error("password credential validator %r: type %s is not installed", doc["id"],
                  doc["pluginDescriptorRef"]["id"])
        return None
    try:
        return pcv_type.build(doc["id"], NormalizedConfig(doc["configuration"]))
    except PcvBuildError as exc:
        log.error("password credential validator %r is unavailable: %s", doc["id"], exc)
        return None

"""The token generator plugin type and its registry.

A generator type is a :class:`GeneratorType`: its descriptor (fields the admin API accepts), the
token types it produces, a ``check`` for rules that need the rest of the configuration (the key
pair exists and matches the algorithm, ...) and ``compile``, which turns an instance's effective
configuration into a :class:`RuntimeGenerator` for the snapshot.

Add-ons are Python distributions that declare an entry point in the ``tokensmith.token_generators``
group whose object is a :class:`GeneratorType`::

    [project.entry-points."tokensmith.token_generators"]
    jwt = "tokensmith_addons.jwt_generator:GENERATOR"
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Protocol

from tokensmith.config.model import ConfigModel
from tokensmith.keys.ring import KeyRing
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.sts.tokens import IssuedToken, IssueRequest

ENTRY_POINT_GROUP = "tokensmith.token_generators"
log = logging.getLogger("tokensmith.sts")


class RuntimeGenerator(Protocol):
    @property
    def id(self) -> str: ...

    def issue(self, request: IssueRequest) -> IssuedToken: ...


@dataclass(frozen=True)
class CompileInput:
    instance_id: str
    values: dict[str, str]  # effective field values (parent's where inherited)
    tables: dict[str, list[dict[str, str]]]
    extended_attributes: tuple[str, ...]
    keys: KeyRing


@dataclass(frozen=True)
class GeneratorType:
    descriptor: PluginDescriptor
    token_types: tuple[str, ...]  # WS-Trust TokenType URIs it answers (first = canonical)
    exchange_type: str  # RFC 8693 token type it issues
    compile: Callable[[CompileInput], RuntimeGenerator]
    # (model, field values) -> [(field name, message)] for rules that read other configuration
    check: Callable[[ConfigModel, dict[str, str]], list[tuple[str, str]]] = lambda _m, _v: []
    key_pair_fields: tuple[str, ...] = ()  # fields whose value is a signing key pair id


@cache
def generator_types() -> dict[str, GeneratorType]:
    """Bundled generator types plus every add-on found in the entry-point group, by descriptor id."""
    from tokensmith.sts.generators.saml import SAML11_GENERATOR, SAML20_GENERATOR

    found: dict[str, GeneratorType] = {t.descriptor.id: t for t in (SAML20_GENERATOR, SAML11_GENERATOR)}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception:  # a broken add-on must not stop the server
            log.exception("token generator add-on %r cannot be loaded", entry.name)
            continue
        if not isinstance(loaded, GeneratorType):
            log.error("token generator add-on %r is not a GeneratorType", entry.name)
            continue
        if loaded.descriptor.id in found:
            log.error("token generator add-on %r reuses descriptor id %s", entry.name, loaded.descriptor.id)
            continue
        found[loaded.descriptor.id] = loaded
    return found

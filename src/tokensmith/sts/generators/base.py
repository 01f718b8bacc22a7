"""The token generator plugin type and its registry.

A generator type is a :class:`GeneratorType`: its descriptor (fields the admin API accepts), the
token types it produces, a ``check`` for rules that need the rest of the configuration (the key
pair exists and matches the algorithm, ...) and ``compile``, which turns an instance's effective
configuration into a :class:`RuntimeGenerator` for the snapshot.

Every generator type, bundled or add-on, is an entry point in the ``tokensmith.token_generators``
group whose object is a :class:`GeneratorType` (:class:`tokensmith.plugins.kind.PluginKind`)::

    [project.entry-points."tokensmith.token_generators"]
    jwt = "tokensmith_addons.jwt_generator:GENERATOR"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tokensmith.config.model import ConfigModel
from tokensmith.keys.ring import KeyRing
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.plugins.kind import PluginKind
from tokensmith.sts.tokens import IssuedToken, IssueRequest


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


GENERATORS: PluginKind[GeneratorType] = PluginKind(
    "token generator", "tokensmith.token_generators", GeneratorType, lambda t: t.descriptor)


def generator_types() -> dict[str, GeneratorType]:
    """Every generator type (bundled and add-on) by descriptor id."""
    return GENERATORS.types()

"""The token processor plugin kind: what a processor type declares and what its compiled form does.

A processor type is one module (:mod:`.username`, :mod:`.saml`, :mod:`.jwt`, :mod:`.pfjwt`) that
declares a :class:`ProcessorType`: its descriptor (fields the admin API accepts), ``check`` for
rules that read the rest of the configuration (validators, managers, JWK sets), and ``compile``,
which turns an instance's effective configuration into a :class:`RuntimeProcessor` for the snapshot.
A compiled processor turns an :class:`Incoming` token into an :class:`Identity` or raises
:class:`TokenRefused`.

Every processor type, bundled or add-on, is an entry point in the ``tokensmith.token_processors``
group (:class:`tokensmith.plugins.kind.PluginKind`)::

    [project.entry-points."tokensmith.token_processors"]
    jwt = "tokensmith.sts.processors.jwt:PROCESSOR"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from lxml import etree

from tokensmith.config.model import ConfigModel
from tokensmith.keys.remote import RemoteJwks
from tokensmith.keys.ring import KeyRing
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.plugins.kind import PluginKind
from tokensmith.state.throttle import Attempt
from tokensmith.sts.tokens import Identity


class ManagerCheck(Protocol):
    """What a processor may ask of the running node.

    Called: the claims of a current, unrevoked token one of this server's access token managers
    issued (``(manager id, token, now)``), else None. ``remote_jwks``: the node's one fetcher of
    partners' JWK sets (:mod:`tokensmith.keys.remote`, honours Cache-Control), None without one.
    """

    @property
    def remote_jwks(self) -> RemoteJwks | None: ...

    def __call__(self, atm_id: str, token: str, now: float) -> Awaitable[dict[str, Any] | None]: ...


# (username, failures allowed) -> the throttle's go-ahead for one password check (raises Throttled)
PasswordGuard = Callable[[str, int], Awaitable[Attempt]]


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Incoming:
    """A token taken from a request."""

    kind: str  # "username", "saml2", "saml1" or "jwt"
    username: str = ""
    password: str = ""
    element: etree._Element | None = None
    value: str = ""


class RuntimeProcessor(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def kinds(self) -> tuple[str, ...]: ...  # the Incoming kinds it accepts

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity: ...


@dataclass(frozen=True)
class CompileInput:
    instance_id: str
    values: dict[str, str]  # effective field values (parent's where inherited)
    tables: dict[str, list[dict[str, str]]]
    model: ConfigModel
    keys: KeyRing
    identifiers: tuple[str, ...]  # this STS's own ids (default audiences)
    anchors: tuple[x509.Certificate, ...]  # trusted CAs


def _no_rules(_model: ConfigModel, _config: NormalizedConfig) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class ProcessorType:
    descriptor: PluginDescriptor
    compile: Callable[[CompileInput], RuntimeProcessor]
    # (model, normalised configuration) -> [(fieldPath, message)] for rules that read other configuration
    check: Callable[[ConfigModel, NormalizedConfig], list[tuple[str, str]]] = _no_rules
    # RFC 8693 token types its instances validate in token exchange processor policies (None: any)
    exchange_types: tuple[str, ...] | None = None


PROCESSORS: PluginKind[ProcessorType] = PluginKind(
    "token processor", "tokensmith.token_processors", ProcessorType, lambda t: t.descriptor)


def processor_types() -> dict[str, ProcessorType]:
    """Every processor type (bundled and add-on) by descriptor id."""
    return PROCESSORS.types()


__all__ = ["PROCESSORS", "CompileInput", "Incoming", "ManagerCheck", "PasswordGuard", "ProcessorType",
           "RuntimeProcessor", "processor_types"]

"""What the OAuth endpoints need from an access token manager, whatever its token format.

Each access token manager *type* (descriptor id) provides an :class:`AtmType`: it compiles an
instance's configuration into an :class:`AtmRuntime` once per snapshot, and it recognises,
introspects and revokes tokens of its format. The token, introspection and revocation endpoints
work only through these two protocols (see :mod:`tokensmith.atm.types` for the kind, loaded from entry points).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import PluginDescriptor

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot
    from tokensmith.crypto.secretbox import SecretBox
    from tokensmith.keys.ring import KeyRing
    from tokensmith.worker import Runtime


@dataclass(frozen=True)
class AtmCommon:
    """The parts of an access token manager instance that do not depend on its type."""

    id: str
    attributes: Mapping[str, bool]  # contract attribute name -> multiValued
    resource_uris: tuple[str, ...] = ()
    restrict_clients: bool = False
    allowed_clients: frozenset[str] = frozenset()
    # Token endpoint attribute contract: name -> (multiValued, mappedScopes); an attribute with
    # mapped scopes is returned only when one of them is granted.
    token_endpoint: Mapping[str, tuple[bool, frozenset[str]]] = field(default_factory=dict)

    def allows(self, client_id: str) -> bool:
        return not self.restrict_clients or client_id in self.allowed_clients

    def token_endpoint_multi_valued(self, granted: tuple[str, ...] | list[str]) -> dict[str, bool]:
        """The token endpoint attributes to return for these granted scopes, with their multiValued."""
        scopes = set(granted)
        return {name: multi for name, (multi, mapped) in self.token_endpoint.items()
                if not mapped or mapped & scopes}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AtmCommon:
        contract = doc["attributeContract"]
        attrs = {a["name"]: bool(a.get("multiValued")) for a in contract["coreAttributes"]}
        attrs.update({a["name"]: bool(a.get("multiValued")) for a in contract["extendedAttributes"]})
        acs = doc["accessControlSettings"]
        token_endpoint = {a["name"]: (bool(a.get("multiValued")), frozenset(a.get("mappedScopes") or ()))
                          for a in (doc.get("tokenEndpointAttributeContract") or {}).get("attributes") or []}
        return cls(
            id=doc["id"], attributes=attrs,
            resource_uris=tuple(doc["selectionSettings"]["resourceUris"]),
            restrict_clients=bool(acs.get("restrictClients")),
            allowed_clients=frozenset(c["id"] for c in acs.get("allowedClients", [])),
            token_endpoint=token_endpoint,
        )


@dataclass(frozen=True)
class BuildContext:
    """What compiling a manager may read besides its own configuration."""

    keys: KeyRing
    mappings: Mapping[str, Any] = field(default_factory=dict)  # mapping id -> CompiledMapping
    box: SecretBox | None = None  # decrypts secret plugin fields (symmetric keys)


@dataclass(frozen=True)
class AccessTokenRequest:
    client_id: str
    scopes: tuple[str, ...]  # granted scope names, groups already expanded when the manager asks for it
    attributes: Mapping[str, Any]  # contract attribute values from the access token mapping
    now: float
    grant_id: str | None = None  # the persistent grant behind the token, if any


@dataclass(frozen=True)
class IssuedAccessToken:
    value: str
    expires_at: float


class RevokeOutcome(Enum):
    NOT_FOUND = "not_found"  # not a token of this type (or not a valid one): look elsewhere
    REVOKED = "revoked"
    NOT_YOURS = "not_yours"  # a valid token issued to another client
    UNSUPPORTED = "unsupported"  # a valid token its manager cannot revoke


class AtmBuildError(ValueError):
    """A stored configuration that cannot be compiled (for example a key pair that cannot be loaded)."""


class AtmRuntime(Protocol):
    """One access token manager instance, compiled for the hot path."""

    @property
    def id(self) -> str: ...

    @property
    def common(self) -> AtmCommon: ...

    @property
    def attributes(self) -> Mapping[str, bool]: ...

    @property
    def resource_uris(self) -> tuple[str, ...]: ...

    @property
    def expand_scope_groups(self) -> bool: ...

    def allows(self, client_id: str) -> bool: ...

    async def issue(self, rt: Runtime, request: AccessTokenRequest) -> IssuedAccessToken: ...


@runtime_checkable
class AtmType(Protocol):
    """One access token manager type, registered by its descriptor id."""

    @property
    def descriptor(self) -> PluginDescriptor: ...

    def build(self, common: AtmCommon, config: NormalizedConfig, context: BuildContext) -> AtmRuntime: ...

    def could_be(self, token: str) -> bool:
        """A cheap look at the token's shape: could this type have issued it?"""
        ...

    async def introspect(self, rt: Runtime, snapshot: Snapshot, token: str, now: float,
                         caller: str) -> dict[str, Any] | None:
        """The RFC 7662 response for an active token the caller may see, else None."""
        ...

    async def revoke(self, rt: Runtime, snapshot: Snapshot, token: str, client_id: str,
                     now: float) -> RevokeOutcome: ...


class ManagedAtm:
    """Base for :class:`AtmRuntime` implementations: the common instance parts."""

    def __init__(self, common: AtmCommon) -> None:
        self.common = common

    @property
    def id(self) -> str:
        return self.common.id

    @property
    def attributes(self) -> Mapping[str, bool]:
        return self.common.attributes

    @property
    def resource_uris(self) -> tuple[str, ...]:
        return self.common.resource_uris

    def allows(self, client_id: str) -> bool:
        return self.common.allows(client_id)

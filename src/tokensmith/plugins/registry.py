"""Explicit registries of plugin types, keyed by descriptor id."""

from __future__ import annotations

from collections.abc import Iterable

from tokensmith.keys.usage import KeyPairUsage
from tokensmith.plugins.descriptors import PluginDescriptor


class PluginRegistry:
    def __init__(self, kind: str, descriptors: Iterable[PluginDescriptor] = ()) -> None:
        self.kind = kind
        self._by_id: dict[str, PluginDescriptor] = {}
        for d in descriptors:
            self.register(d)

    def register(self, descriptor: PluginDescriptor) -> None:
        if descriptor.id in self._by_id:
            raise ValueError(f"{self.kind} plugin {descriptor.id} registered twice")
        self._by_id[descriptor.id] = descriptor

    def get(self, descriptor_id: str) -> PluginDescriptor | None:
        return self._by_id.get(descriptor_id)

    def all(self) -> list[PluginDescriptor]:
        return list(self._by_id.values())


def access_token_managers() -> PluginRegistry:
    from tokensmith.atm.types import ACCESS_TOKEN_MANAGERS

    return PluginRegistry(ACCESS_TOKEN_MANAGERS.label, ACCESS_TOKEN_MANAGERS.descriptors().values())


def credential_validators() -> PluginRegistry:
    from tokensmith.pcv.base import CREDENTIAL_VALIDATORS

    return PluginRegistry(CREDENTIAL_VALIDATORS.label, CREDENTIAL_VALIDATORS.descriptors().values())


def key_pair_users() -> KeyPairUsage:
    """Every consumer of signing key pairs: asked before a key pair is deleted, and switched to its
    successor when a rotation activates one."""
    from tokensmith.atm.jwt import rules as jwt_rules
    from tokensmith.sts import keypairs as sts_keypairs

    return KeyPairUsage([jwt_rules.key_pair_users, sts_keypairs.key_pair_users],
                        [jwt_rules.replace_key_pair, sts_keypairs.replace_key_pair])

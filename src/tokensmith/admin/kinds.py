"""The plugin kinds as the admin services see them: each kind's descriptors, and every consumer of
signing key pairs. Built here, in the services layer, because each asks protocol cores (atm, pcv,
sts) that the base :mod:`tokensmith.plugins` package must not import."""

from __future__ import annotations

from tokensmith.atm.jwt import rules as jwt_rules
from tokensmith.atm.types import ACCESS_TOKEN_MANAGERS
from tokensmith.keys.usage import KeyPairUsage
from tokensmith.pcv.base import CREDENTIAL_VALIDATORS
from tokensmith.plugins.registry import PluginRegistry
from tokensmith.sts import keypairs as sts_keypairs


def access_token_managers() -> PluginRegistry:
    return PluginRegistry(ACCESS_TOKEN_MANAGERS.label, ACCESS_TOKEN_MANAGERS.descriptors().values())


def credential_validators() -> PluginRegistry:
    return PluginRegistry(CREDENTIAL_VALIDATORS.label, CREDENTIAL_VALIDATORS.descriptors().values())


def key_pair_users() -> KeyPairUsage:
    """Every consumer of signing key pairs: asked before a key pair is deleted, and switched to its
    successor when a rotation activates one."""
    return KeyPairUsage([jwt_rules.key_pair_users, sts_keypairs.key_pair_users],
                        [jwt_rules.replace_key_pair, sts_keypairs.replace_key_pair])

"""Signing key pairs used by token generators (consulted before a key pair is deleted)."""

from __future__ import annotations

from tokensmith.config.model import TOKEN_GENERATOR, ConfigModel
from tokensmith.errors import FieldError
from tokensmith.keys.usage import in_use
from tokensmith.sts.generators.base import generator_types
from tokensmith.sts.instances import effective_configuration, values


def key_pair_users(model: ConfigModel, key_pair_id: str) -> list[FieldError]:
    found: list[FieldError] = []
    types = generator_types()
    for doc in model.all(TOKEN_GENERATOR):
        kind = types.get(doc["pluginDescriptorRef"]["id"])
        if kind is None:
            continue
        config = values(effective_configuration(model, TOKEN_GENERATOR, doc))
        for name in kind.key_pair_fields:
            if config.get(name) == key_pair_id:
                found.append(in_use(f"Token generator '{doc['id']}' signs with it ({name})"))
    return found

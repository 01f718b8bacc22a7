"""Signing key pairs used by token generators and SP connections (consulted before a key pair is deleted)."""

from __future__ import annotations

from tokensmith.config.inheritance import effective_configuration
from tokensmith.config.model import SP_CONNECTION, TOKEN_GENERATOR, ConfigModel
from tokensmith.errors import FieldError
from tokensmith.keys.usage import in_use
from tokensmith.sts.generators.base import generator_types
from tokensmith.sts.instances import values


def key_pair_users(model: ConfigModel, key_pair_id: str) -> list[FieldError]:
    found: list[FieldError] = []
    types = generator_types()
    for doc in model.all(TOKEN_GENERATOR):
        kind = types.get(doc["pluginDescriptorRef"]["id"])
        if kind is None:
            continue
        config = values(effective_configuration(model, doc, TOKEN_GENERATOR))
        for name in kind.key_pair_fields:
            if config.get(name) == key_pair_id:
                found.append(in_use(f"Token generator '{doc['id']}' signs with it ({name})"))
    for doc in model.all(SP_CONNECTION):
        creds = doc.get("credentials") or {}
        signing = creds.get("signingSettings") or {}
        refs = [("signingSettings.signingKeyPairRef", signing.get("signingKeyPairRef")),
                *((f"signingSettings.alternativeSigningKeyPairRefs[{i}]", r)
                  for i, r in enumerate(signing.get("alternativeSigningKeyPairRefs") or [])),
                ("decryptionKeyPairRef", creds.get("decryptionKeyPairRef")),
                ("secondaryDecryptionKeyPairRef", creds.get("secondaryDecryptionKeyPairRef"))]
        for where, ref in refs:
            if isinstance(ref, dict) and ref.get("id") == key_pair_id:
                found.append(in_use(f"SP connection '{doc['id']}' uses it (credentials.{where})"))
    return found


def replace_key_pair(model: ConfigModel, old_id: str, new_id: str) -> list[str]:
    """Point every token generator's own key pair fields naming ``old_id`` at ``new_id`` (key rotation);
    a child that inherits the field follows its parent."""
    switched = []
    types = generator_types()
    for doc in model.all(TOKEN_GENERATOR):
        kind = types.get(doc["pluginDescriptorRef"]["id"])
        if kind is None:
            continue
        fields = [{**f, "value": new_id} if f["name"] in kind.key_pair_fields and f.get("value") == old_id
                  and not f.get("inherited") else f for f in doc["configuration"]["fields"]]
        if fields != doc["configuration"]["fields"]:
            model.put(TOKEN_GENERATOR, doc["id"], {**doc, "configuration": {**doc["configuration"], "fields": fields}})
            switched.append(f"token generator '{doc['id']}'")
    return switched

"""What a configuration export holds, resource type by resource type, and how each item is saved.

A :class:`BulkResource` names a PingFederate bulk ``resourceType`` (an admin API path), the
pydantic model its items must satisfy (the same model the admin API uses, so an item accepted by
the API is accepted here and the other way round), how to read its items for an export, and how
to save one item (create it, or update the item with the same id). Saving goes through the same
resource services as the admin API, so every rule applies.

The registry is explicit and ordered: items are saved in dependency order (key pairs before the
managers that sign with them, clients before the managers that list them...), whatever order the
file has.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from pydantic import BaseModel

from tokensmith.admin import atms, authserver, clients, keypairs, mappings, pcvs
from tokensmith.admin import keypair_models as km
from tokensmith.admin import models as m
from tokensmith.admin.context import AdminContext
from tokensmith.config.model import ATM, CLIENT, KEYPAIR, MAPPING, PCV, ConfigModel
from tokensmith.keys import material, stored

Exporter = Callable[[AdminContext, ConfigModel, "ExportOptions"], list[dict[str, Any]]]
Saver = Callable[[AdminContext, ConfigModel, dict[str, Any]], None]


@dataclass(frozen=True)
class ExportOptions:
    """``key_password``: protect exported private keys with this password (portable to any server).
    Without it, each key pair gets a random password carried as ``encryptedPassword`` under this
    server's master key: importable here and on nodes sharing the master key, nowhere else."""

    key_password: str | None = None


@dataclass(frozen=True)
class BulkResource:
    """``first`` saves an item in the main pass; ``second``, when set, saves it again after every
    first pass, for references that go both ways (a manager lists the clients allowed to use it,
    a client names its default manager)."""

    path: str
    model: type[BaseModel]
    export: Exporter
    save: Saver
    second: Saver | None = None


def _without_location(value: Any) -> Any:
    """Rendered documents carry ``location`` links; an export keeps ids only (as PF's does not need them)."""
    if isinstance(value, dict):
        return {k: _without_location(v) for k, v in value.items() if k != "location"}
    if isinstance(value, list):
        return [_without_location(v) for v in value]
    return value


def _upsert(kind: str, key: str, create: Callable[[AdminContext, ConfigModel, dict[str, Any]], Any],
            update: Callable[[AdminContext, ConfigModel, str, dict[str, Any]], Any]) -> Saver:
    def save(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
        item_id = item.get(key)
        if isinstance(item_id, str) and model.get(kind, item_id) is not None:
            update(ctx, model, item_id, item)
        else:
            create(ctx, model, item)

    return save


def _documents(kind: str, render: Callable[[AdminContext, dict[str, Any]], dict[str, Any]]) -> Exporter:
    def export(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
        return [_without_location(render(ctx, doc)) for doc in model.all(kind)]

    return export


# --------------------------------------------------------------------------- key pairs


def _export_key_pairs(ctx: AdminContext, model: ConfigModel, options: ExportOptions) -> list[dict[str, Any]]:
    items = []
    for doc in model.all(KEYPAIR):
        password = options.key_password or secrets.token_urlsafe(24)
        data = material.pkcs12_file(stored.load(doc, ctx.box), doc["id"], password)
        item: dict[str, Any] = {"id": doc["id"], "fileData": base64.b64encode(data).decode("ascii"), "format": "PKCS12"}
        if options.key_password:
            item["password"] = password
        else:
            item["encryptedPassword"] = ctx.box.encrypt(password)
        items.append(item)
    return items


def _save_key_pair(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
    key_pair_id = item.get("id")
    existing = model.get(KEYPAIR, key_pair_id) if isinstance(key_pair_id, str) else None
    body = dict(item)
    if existing is not None:
        body.pop("id")  # read the file as if new, then put it under the existing id
    prepared = keypairs.prepare_import(ctx, model, body)
    if existing is None:
        keypairs.add(ctx, model, prepared)
        return
    assert isinstance(key_pair_id, str)
    same = (stored.certificate(existing).fingerprint(hashes.SHA256())
            == prepared.material.certificate.fingerprint(hashes.SHA256()))
    if not same:  # an import replaces what the id names, as PingFederate's does
        model.put(KEYPAIR, key_pair_id, stored.to_doc(key_pair_id, prepared.material, ctx.box, ctx.timestamp()))


# --------------------------------------------------------------------------- singletons


def _atm_settings(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
    current = atms.get_settings(ctx, model)
    return [_without_location(current)] if current else []


def _auth_server(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
    return [authserver.current(model)]


def _atm_without_clients(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
    acs = item.get("accessControlSettings")
    if isinstance(acs, dict) and acs.get("allowedClients"):
        item = {**item, "accessControlSettings": {**acs, "restrictClients": False, "allowedClients": []}}
    _save_atm(ctx, model, item)


def _atm_clients(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
    acs = item.get("accessControlSettings")
    if isinstance(acs, dict) and acs.get("allowedClients"):
        _save_atm(ctx, model, item)


_save_atm = _upsert(ATM, "id", atms.create, atms.update)


def registry() -> list[BulkResource]:
    """Every resource type an export holds, in the order an import saves them."""
    from tokensmith.bulk import exchange
    from tokensmith.bulk import sts as sts_bulk

    return [
        BulkResource("/keyPairs/signing", km.KeyPairFile, _export_key_pairs, _save_key_pair),
        BulkResource("/passwordCredentialValidators", m.PasswordCredentialValidator,
                     _documents(PCV, pcvs.render), _upsert(PCV, "id", pcvs.create, pcvs.update)),
        BulkResource("/oauth/accessTokenManagers", m.AccessTokenManager, _documents(ATM, atms.render),
                     _atm_without_clients, _atm_clients),
        BulkResource("/oauth/accessTokenManagers/settings", m.AccessTokenManagementSettings, _atm_settings,
                     lambda ctx, model, item: _ignore(atms.put_settings(ctx, model, item))),
        BulkResource("/oauth/authServerSettings", m.AuthorizationServerSettings, _auth_server,
                     lambda ctx, model, item: _ignore(authserver.put(model, item))),
        BulkResource("/oauth/clients", m.Client, _documents(CLIENT, clients.render),
                     lambda ctx, model, item: _save_client(ctx, model, _without(item, POLICY_REF)),
                     lambda ctx, model, item: _save_client(ctx, model, item) if POLICY_REF in item else None),
        BulkResource("/oauth/accessTokenMappings", m.AccessTokenMapping, _documents(MAPPING, mappings.render),
                     lambda ctx, model, item: None if _exchange_context(item) else _save_mapping(ctx, model, item),
                     lambda ctx, model, item: _save_mapping(ctx, model, item) if _exchange_context(item) else None),
        *sts_bulk.resources(),  # WS-Trust STS: trusted CAs, settings, generators, processors, mappings, connections
        *exchange.resources(),  # OAuth token exchange: policies, groups, their settings, policy-to-generator mappings
    ]


# Saved in the second pass: they name token exchange processor policies, saved after the STS resources.
POLICY_REF = "tokenExchangeProcessorPolicyRef"
_save_client = _upsert(CLIENT, "clientId", clients.create, clients.update)
_save_mapping = _upsert(MAPPING, "id", lambda ctx, model, item: mappings.create(model, item),
                        lambda ctx, model, key, item: mappings.update(model, key, item))


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _exchange_context(item: dict[str, Any]) -> bool:
    return bool((item.get("context") or {}).get("type") == "TOKEN_EXCHANGE_PROCESSOR_POLICY")


def _ignore(_: object) -> None:
    return None


def by_path(resources: Iterable[BulkResource]) -> dict[str, BulkResource]:
    return {r.path: r for r in resources}

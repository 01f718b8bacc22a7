"""``/idp/spConnections/{id}/credentials/...``: one part of an SP connection's credentials read or
replaced on its own (signing settings, certificates, decryption keys), as PingFederate has them.

Each write replaces that part of the stored connection and saves the whole connection through
:func:`tokensmith.admin.spconnections.update`, so every rule of the connection applies (a 422 names
the member as in the connection, e.g. ``credentials.signingSettings.algorithm``) and a refused
write changes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from tokensmith.admin import spconnections
from tokensmith.admin.context import AdminContext, public
from tokensmith.config.model import ConfigModel


def _credentials(ctx: AdminContext, model: ConfigModel, connection_id: str) -> dict[str, Any]:
    rendered = spconnections.render(ctx, model, spconnections.get(model, connection_id))
    return dict(rendered.get("credentials") or {})


def _save(ctx: AdminContext, model: ConfigModel, connection_id: str, change: dict[str, Any],
          drop: tuple[str, ...] = ()) -> dict[str, Any]:
    doc = copy.deepcopy(public(spconnections.get(model, connection_id)))
    creds = {k: v for k, v in (doc.get("credentials") or {}).items() if k not in drop}
    creds.update(change)
    doc["credentials"] = creds
    spconnections.update(ctx, model, connection_id, doc)
    return _credentials(ctx, model, connection_id)


def signing_settings(ctx: AdminContext, model: ConfigModel, connection_id: str) -> dict[str, Any]:
    return dict(_credentials(ctx, model, connection_id).get("signingSettings") or {})


def put_signing_settings(ctx: AdminContext, model: ConfigModel, connection_id: str,
                         body: dict[str, Any]) -> dict[str, Any]:
    return dict(_save(ctx, model, connection_id, {"signingSettings": body}).get("signingSettings") or {})


def certs(ctx: AdminContext, model: ConfigModel, connection_id: str) -> dict[str, Any]:
    return {"items": list(_credentials(ctx, model, connection_id).get("certs") or [])}


def put_certs(ctx: AdminContext, model: ConfigModel, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(_save(ctx, model, connection_id, {"certs": body.get("items") or []}).get("certs") or [])}


def add_cert(ctx: AdminContext, model: ConfigModel, connection_id: str, cert: dict[str, Any]) -> dict[str, Any]:
    """Append one certificate; the answer is that certificate as stored (with its ``x509File.id``)."""
    current = (spconnections.get(model, connection_id).get("credentials") or {}).get("certs") or []
    saved = _save(ctx, model, connection_id, {"certs": [*copy.deepcopy(current), cert]})
    return dict(saved["certs"][-1])


def decryption_keys(ctx: AdminContext, model: ConfigModel, connection_id: str) -> dict[str, Any]:
    creds = _credentials(ctx, model, connection_id)
    out: dict[str, Any] = {}
    for key, member in (("primaryKeyRef", "decryptionKeyPairRef"), ("secondaryKeyPairRef",
                                                                    "secondaryDecryptionKeyPairRef")):
        if isinstance(creds.get(member), dict):
            out[key] = ctx.link("/keyPairs/signing", creds[member]["id"])
    return out


def put_decryption_keys(ctx: AdminContext, model: ConfigModel, connection_id: str,
                        body: dict[str, Any]) -> dict[str, Any]:
    change = {member: {"id": body[key]["id"]} for key, member in (
        ("primaryKeyRef", "decryptionKeyPairRef"), ("secondaryKeyPairRef", "secondaryDecryptionKeyPairRef"))
        if isinstance(body.get(key), dict)}
    _save(ctx, model, connection_id, change, drop=("decryptionKeyPairRef", "secondaryDecryptionKeyPairRef"))
    return decryption_keys(ctx, model, connection_id)

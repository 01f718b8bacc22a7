"""The STS resources in configuration export and import (PingFederate's bulk format).

Saved after key pairs, validators and access token managers (which they reference), in this
order: trusted CAs, server settings, token generators, token processors, token-to-token mappings,
IdP connections. Items go through the admin services, so every rule of the admin API applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from tokensmith.admin import idpconnections, spconnections, stssettings, t2tmappings
from tokensmith.admin import sts_instances as instances
from tokensmith.admin import sts_models as m
from tokensmith.admin.context import AdminContext
from tokensmith.bulk.resources import BulkResource, ExportOptions, _upsert, _without_location
from tokensmith.config.model import (
    IDP_CONNECTION,
    SETTINGS,
    SP_CONNECTION,
    T2T_MAPPING,
    TOKEN_GENERATOR,
    TOKEN_PROCESSOR,
    TRUSTED_CA,
    ConfigModel,
)
from tokensmith.sts.usage import GENERAL_SETTINGS

Render = Callable[[AdminContext, ConfigModel, dict[str, Any]], dict[str, Any]]
READ_ONLY = ("brokenReferences", "validationErrors", "lastModified", "creationDate", "modificationDate")


def _export(kind: str, render: Render) -> Callable[[AdminContext, ConfigModel, ExportOptions], list[dict[str, Any]]]:
    def export(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
        out = []
        for doc in model.all(kind):
            item = _without_location(render(ctx, model, doc))
            out.append({k: v for k, v in item.items() if k not in READ_ONLY})
        return out

    return export


def _singleton(name: str, read: Callable[[AdminContext, ConfigModel], dict[str, Any]]) -> Callable[
        [AdminContext, ConfigModel, ExportOptions], list[dict[str, Any]]]:
    def export(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
        return [_without_location(read(ctx, model))] if model.get(SETTINGS, name) is not None else []

    return export


def _instance_saver(kind: instances.InstanceKind) -> Callable[[AdminContext, ConfigModel, dict[str, Any]], None]:
    return _upsert(kind.kind, "id", lambda ctx, model, item: instances.create(ctx, kind, model, item),
                   lambda ctx, model, key, item: instances.update(ctx, kind, model, key, item))


def _export_cas(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
    return [{"id": c["id"], "fileData": c["fileData"]} for c in model.all(TRUSTED_CA)]


def _save_ca(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
    if item.get("id") and model.get(TRUSTED_CA, item["id"]) is not None:
        model.delete(TRUSTED_CA, item["id"])
    stssettings.import_ca(ctx, model, item)


def _sp_render(ctx: AdminContext, model: ConfigModel, doc: dict[str, Any]) -> dict[str, Any]:
    out = spconnections.render(ctx, model, doc)
    for cert in (out.get("credentials") or {}).get("certs") or []:
        cert.pop("certView", None)  # read-only, derived from the certificate
    return out


def _ignore(_: object) -> None:
    return None


def resources() -> list[BulkResource]:
    models: dict[str, type[BaseModel]] = {"generator": m.TokenGenerator, "processor": m.TokenProcessor}
    return [
        BulkResource("/certificates/ca", m.X509File, _export_cas, _save_ca),
        BulkResource("/serverSettings", m.ServerSettings,
                     _singleton("serverSettings", lambda ctx, model: stssettings.get_server(model)),
                     lambda ctx, model, item: _ignore(stssettings.put_server(model, item))),
        BulkResource("/serverSettings/generalSettings", m.GeneralSettings,
                     _singleton(GENERAL_SETTINGS, lambda ctx, model: stssettings.get_general(model)),
                     lambda ctx, model, item: _ignore(stssettings.put_general(model, item))),
        BulkResource("/serverSettings/wsTrustStsSettings", m.WsTrustStsSettings,
                     _singleton(stssettings.WS_TRUST, stssettings.get_ws_trust),
                     lambda ctx, model, item: _ignore(stssettings.put_ws_trust(ctx, model, item))),
        BulkResource(instances.GENERATORS.path, models["generator"],
                     _export(TOKEN_GENERATOR, lambda ctx, model, doc: instances.render(ctx, instances.GENERATORS,
                                                                                     model, doc)),
                     _instance_saver(instances.GENERATORS)),
        BulkResource(instances.PROCESSORS.path, models["processor"],
                     _export(TOKEN_PROCESSOR, lambda ctx, model, doc: instances.render(ctx, instances.PROCESSORS,
                                                                                     model, doc)),
                     _instance_saver(instances.PROCESSORS)),
        BulkResource(t2tmappings.PATH, m.TokenToTokenMapping, _export(T2T_MAPPING, t2tmappings.render),
                     _upsert(T2T_MAPPING, "id", lambda ctx, model, item: t2tmappings.create(model, item),
                             lambda ctx, model, key, item: t2tmappings.update(model, key, item))),
        BulkResource(idpconnections.PATH, m.IdpConnection, _export(IDP_CONNECTION, idpconnections.render),
                     _upsert(IDP_CONNECTION, "id", idpconnections.create, idpconnections.update)),
        BulkResource(spconnections.PATH, m.SpConnection, _export(SP_CONNECTION, _sp_render),
                     _upsert(SP_CONNECTION, "id", spconnections.create, spconnections.update)),
    ]

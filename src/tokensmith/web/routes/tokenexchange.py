"""``/oauth/tokenExchange/...``: processor policies, generator groups, their settings, and the
processor-policy-to-generator mappings (PingFederate 13 paths and shapes)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request

from tokensmith.admin import tokenexchange as svc
from tokensmith.admin import tx_mappings
from tokensmith.admin import tx_models as m
from tokensmith.config.model import TX_GROUP, TX_MAPPING, TX_POLICY
from tokensmith.sts import exchange_usage as tx
from tokensmith.web.routes.collection import CollectionService, register_collection
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict

SERVICES = (
    CollectionService(tx.POLICIES_PATH, "TokenExchangeProcessorPolicy", m.TokenExchangeProcessorPolicy,
                      svc.create_policy, svc.update_policy, svc.POLICIES.get, svc.delete_policy,
                      svc.render_policy, TX_POLICY),
    CollectionService(tx.GROUPS_PATH, "TokenExchangeGeneratorGroup", m.TokenExchangeGeneratorGroup,
                      svc.create_group, svc.update_group, svc.GROUPS.get, svc.delete_group, svc.render_group,
                      TX_GROUP),
    CollectionService(tx.TX_MAPPINGS_PATH, "ProcessorPolicyToGeneratorMapping", m.ProcessorPolicyToGeneratorMapping,
                      lambda ctx, model, body: tx_mappings.create(model, body),
                      lambda ctx, model, key, body: tx_mappings.update(model, key, body),
                      tx_mappings.get, tx_mappings.delete, tx_mappings.render, TX_MAPPING),
)


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    for service in SERVICES:
        register_collection(app, deps, service)

    ptag: list[str | Enum] = ["/oauth/tokenExchange/processor/settings"]
    ppath = BASE + "/oauth/tokenExchange/processor/settings"

    @app.get(ppath, tags=ptag, responses=ERRORS)
    def processor_settings(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.get_settings(c, model, tx.PROCESSOR_SETTINGS))

    @app.put(ppath, tags=ptag, responses=ERRORS)
    def put_processor_settings(request: Request, body: m.TokenExchangeProcessorSettings) -> dict[str, Any]:
        c, sent = ctx(request), as_dict(body)
        return node.change(lambda model: svc.put_settings(c, model, tx.PROCESSOR_SETTINGS, sent))

    gtag: list[str | Enum] = ["/oauth/tokenExchange/generator/settings"]
    gpath = BASE + "/oauth/tokenExchange/generator/settings"

    @app.get(gpath, tags=gtag, responses=ERRORS)
    def generator_settings(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.get_settings(c, model, tx.GENERATOR_SETTINGS))

    @app.put(gpath, tags=gtag, responses=ERRORS)
    def put_generator_settings(request: Request, body: m.TokenExchangeGeneratorSettings) -> dict[str, Any]:
        c, sent = ctx(request), as_dict(body)
        return node.change(lambda model: svc.put_settings(c, model, tx.GENERATOR_SETTINGS, sent))

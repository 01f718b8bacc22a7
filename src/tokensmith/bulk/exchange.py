"""The OAuth token exchange resources in configuration export and import.

Saved after the STS resources (policies name token processors, groups and mappings name token
generators), in this order: processor policies, processor settings, generator groups, generator
settings, processor-policy-to-generator mappings. Clients naming a policy
(``tokenExchangeProcessorPolicyRef``) and access token mappings of the
``TOKEN_EXCHANGE_PROCESSOR_POLICY`` context are saved before the policies exist, so
:mod:`tokensmith.bulk.resources` saves those parts in its second pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tokensmith.admin import tokenexchange as svc
from tokensmith.admin import tx_mappings
from tokensmith.admin import tx_models as m
from tokensmith.admin.context import AdminContext
from tokensmith.bulk.resources import BulkResource, ExportOptions, _upsert, _without_location
from tokensmith.config.model import SETTINGS, TX_GROUP, TX_MAPPING, TX_POLICY, ConfigModel
from tokensmith.sts import exchange_usage as tx

Render = Callable[[AdminContext, ConfigModel, dict[str, Any]], dict[str, Any]]
Export = Callable[[AdminContext, ConfigModel, ExportOptions], list[dict[str, Any]]]


def _export(kind: str, render: Render) -> Export:
    def export(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
        items = [_without_location(render(ctx, model, doc)) for doc in model.all(kind)]
        return [{k: v for k, v in item.items() if k != "validationErrors"} for item in items]

    return export


def _settings(name: str) -> Export:
    def export(ctx: AdminContext, model: ConfigModel, _: ExportOptions) -> list[dict[str, Any]]:
        return [_without_location(svc.get_settings(ctx, model, name))] if model.get(SETTINGS, name) else []

    return export


def _put_settings(name: str) -> Callable[[AdminContext, ConfigModel, dict[str, Any]], None]:
    def save(ctx: AdminContext, model: ConfigModel, item: dict[str, Any]) -> None:
        svc.put_settings(ctx, model, name, item)

    return save


def resources() -> list[BulkResource]:
    return [
        BulkResource(tx.POLICIES_PATH, m.TokenExchangeProcessorPolicy, _export(TX_POLICY, svc.render_policy),
                     _upsert(TX_POLICY, "id", svc.create_policy, svc.update_policy)),
        BulkResource("/oauth/tokenExchange/processor/settings", m.TokenExchangeProcessorSettings,
                     _settings(tx.PROCESSOR_SETTINGS), _put_settings(tx.PROCESSOR_SETTINGS)),
        BulkResource(tx.GROUPS_PATH, m.TokenExchangeGeneratorGroup, _export(TX_GROUP, svc.render_group),
                     _upsert(TX_GROUP, "id", svc.create_group, svc.update_group)),
        BulkResource("/oauth/tokenExchange/generator/settings", m.TokenExchangeGeneratorSettings,
                     _settings(tx.GENERATOR_SETTINGS), _put_settings(tx.GENERATOR_SETTINGS)),
        BulkResource(tx_mappings.PATH, m.ProcessorPolicyToGeneratorMapping,
                     _export(TX_MAPPING, tx_mappings.render),
                     _upsert(TX_MAPPING, "id", lambda ctx, model, item: tx_mappings.create(model, item),
                             lambda ctx, model, key, item: tx_mappings.update(model, key, item))),
    ]

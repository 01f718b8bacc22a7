"""``/oauth/tokenExchange/tokenGeneratorMappings``: how a token generator's contract is filled from a
token exchange processor policy's contract when that policy's exchange is issued by that generator.
Ids are ``<policy id>|<generator id>`` (``sourceId`` is the policy, ``targetId`` the generator), as
PingFederate's; the list answers ``{"items": [...]}``.

A mapping is checked against the current policy and generator when it is saved, opened or listed;
a broken one comes back with ``validationErrors`` naming what no longer fits.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.context import AdminContext, criteria_as_sent
from tokensmith.config.model import TX_MAPPING, ConfigModel
from tokensmith.errors import ErrorCollector, NotFound
from tokensmith.sts import exchange_usage as tx

PATH = tx.TX_MAPPINGS_PATH
Doc = dict[str, Any]


def get(model: ConfigModel, mapping_id: str) -> Doc:
    doc = model.get(TX_MAPPING, mapping_id)
    if doc is None:
        raise NotFound(f"Processor policy to token generator mapping '{mapping_id}' does not exist.")
    return doc


def render(ctx: AdminContext, model: ConfigModel, doc: Doc) -> Doc:
    out = dict(doc)
    problems = tx.tx_mapping_problems(model, doc)
    if problems:
        out["validationErrors"] = [e.to_json() for e in problems]
    return out


def listing(ctx: AdminContext, model: ConfigModel) -> Doc:
    return {"items": [render(ctx, model, d) for d in model.all(TX_MAPPING)]}


def _build(model: ConfigModel, body: Doc, errors: ErrorCollector) -> Doc:
    source, target = body.get("sourceId") or "", body.get("targetId") or ""
    if not source:
        errors.add("sourceId", "A mapping needs a processor policy (sourceId)", "required_field_missing")
    if not target:
        errors.add("targetId", "A mapping needs a token generator (targetId)", "required_field_missing")
    doc: Doc = {
        "id": f"{source}|{target}", "sourceId": source, "targetId": target,
        "attributeSources": list(body.get("attributeSources") or []),
        "attributeContractFulfillment": {
            name: {"source": {k: v for k, v in spec["source"].items() if v is not None},
                   "value": spec.get("value", "")}
            for name, spec in (body.get("attributeContractFulfillment") or {}).items()},
        "issuanceCriteria": criteria_as_sent(body),
    }
    if "licenseConnectionGroupAssignment" in body:
        doc["licenseConnectionGroupAssignment"] = body["licenseConnectionGroupAssignment"]
    if body.get("id") not in (None, "", doc["id"]):
        errors.add("id", f"The id of a mapping is '<sourceId>|<targetId>' ('{doc['id']}'), not '{body['id']}'")
    if source and target:
        errors.errors.extend(tx.tx_mapping_problems(model, doc))
    return doc


def create(model: ConfigModel, body: Doc) -> Doc:
    errors = ErrorCollector()
    doc = _build(model, body, errors)
    if model.get(TX_MAPPING, doc["id"]) is not None:
        errors.add("sourceId", f"A mapping from '{doc['sourceId']}' to '{doc['targetId']}' already exists",
                   "duplicate_id")
    errors.raise_if_any()
    model.put(TX_MAPPING, doc["id"], doc)
    return doc


def update(model: ConfigModel, mapping_id: str, body: Doc) -> Doc:
    get(model, mapping_id)
    errors = ErrorCollector()
    doc = _build(model, {**body, "id": body.get("id") or mapping_id}, errors)
    if doc["id"] != mapping_id and not errors:
        errors.add("sourceId", f"sourceId and targetId give id '{doc['id']}', not '{mapping_id}'; delete this "
                   "mapping and create another to change them")
    errors.raise_if_any()
    model.put(TX_MAPPING, mapping_id, doc)
    return doc


def delete(model: ConfigModel, mapping_id: str) -> None:
    get(model, mapping_id)
    model.delete(TX_MAPPING, mapping_id)

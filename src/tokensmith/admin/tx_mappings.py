"""``/oauth/tokenExchange/tokenGeneratorMappings``: how a token generator's contract is filled from a
token exchange processor policy's contract when that policy's exchange is issued by that generator.
Ids are ``<policy id>|<generator id>`` (``sourceId`` is the policy, ``targetId`` the generator), as
PingFederate's; the list answers ``{"items": [...]}``.

A mapping is checked against the current policy and generator when it is saved, opened or listed;
a broken one comes back with ``validationErrors`` naming what no longer fits.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, criteria_as_sent
from tokensmith.config.model import TX_MAPPING, ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.sts import exchange_usage as tx

PATH = tx.TX_MAPPINGS_PATH
Doc = dict[str, Any]


# at create, formatted with the new mapping
DUPLICATE = "A mapping from '{sourceId}' to '{targetId}' already exists"
CHANGED = (  # at update, when the new contents give another id
    "sourceId and targetId give id '{new}', not '{old}'; delete this mapping and create another to change them")
COLLECTION = Collection(TX_MAPPING, "processor policy to token generator mapping")


def get(model: ConfigModel, mapping_id: str) -> Doc:
    return COLLECTION.get(model, mapping_id)


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
    return COLLECTION.create_derived(model, body, lambda b, errors, _existing: _build(model, b, errors),
                                     "sourceId", DUPLICATE)


def update(model: ConfigModel, mapping_id: str, body: Doc) -> Doc:
    return COLLECTION.update_derived(model, mapping_id, {**body, "id": body.get("id") or mapping_id},
                                     lambda b, errors, _existing: _build(model, b, errors), "sourceId", CHANGED)


def delete(model: ConfigModel, mapping_id: str) -> None:
    COLLECTION.delete(model, mapping_id)

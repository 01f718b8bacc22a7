"""``/tokenProcessorToTokenGeneratorMappings``: which generator a processor's tokens are
translated into, and how each generator attribute is filled. Ids are ``<processor>|<generator>``.

A mapping is always checked against the current processor and generator when it is saved, opened
or listed; a broken one comes back with ``validationErrors`` naming what no longer fits.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, criteria_as_sent
from tokensmith.config.model import T2T_MAPPING, TOKEN_GENERATOR, ConfigModel
from tokensmith.errors import ErrorCollector, ValidationFailed
from tokensmith.sts import usage

PATH = usage.T2T_PATH


# at create, formatted with the new mapping
DUPLICATE = "A mapping from '{sourceId}' to '{targetId}' already exists"
CHANGED = (  # at update, when the new contents give another id
    "sourceId and targetId give id '{new}', not '{old}'; delete this mapping and create another to change them")
COLLECTION = Collection(T2T_MAPPING, "token processor to token generator mapping")


def get(model: ConfigModel, mapping_id: str) -> dict[str, Any]:
    return COLLECTION.get(model, mapping_id)


def render(ctx: AdminContext, model: ConfigModel, doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    problems = usage.mapping_problems(model, doc)
    if problems:
        out["validationErrors"] = [e.to_json() for e in problems]
    return out


def listing(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    return {"items": [render(ctx, model, d) for d in model.all(T2T_MAPPING)]}


def _build(model: ConfigModel, body: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    source, target = body.get("sourceId") or "", body.get("targetId") or ""
    if not target:
        errors.add("targetId", "A mapping needs a token generator (targetId)", "required_field_missing")
    if not source:
        errors.add("sourceId", "A mapping needs a token processor (sourceId)", "required_field_missing")
    if not model.all(TOKEN_GENERATOR):
        errors.add("targetId", "Create a token generator before mapping tokens to it")
    doc: dict[str, Any] = {
        "id": f"{source}|{target}",
        "sourceId": source,
        "targetId": target,
        "attributeSources": body.get("attributeSources") or [],
        "attributeContractFulfillment": {
            name: {"source": {k: v for k, v in spec["source"].items() if v is not None},
                   "value": spec.get("value", "")}
            for name, spec in (body.get("attributeContractFulfillment") or {}).items()},
        "issuanceCriteria": criteria_as_sent(body),
    }
    for key in ("defaultTargetResource", "licenseConnectionGroupAssignment"):
        if key in body:
            doc[key] = body[key]
    if source and target:
        for error in usage.mapping_problems(model, doc):
            errors.errors.append(error)
    return doc


def create(model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return COLLECTION.create_derived(model, body, lambda b, errors, _existing: _build(model, b, errors),
                                     "sourceId", DUPLICATE)


def update(model: ConfigModel, mapping_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return COLLECTION.update_derived(model, mapping_id, body,
                                     lambda b, errors, _existing: _build(model, b, errors), "sourceId", CHANGED)


def delete(model: ConfigModel, mapping_id: str) -> None:
    COLLECTION.delete(model, mapping_id)


__all__ = ["PATH", "ValidationFailed", "create", "delete", "get", "listing", "render", "update"]

"""Token generator and processor instances: parent/child inheritance (the shared rules of
:mod:`tokensmith.config.inheritance`) and their attribute contracts.

A child instance stores every field and table with an ``inherited`` flag. An inherited one always
takes the parent's *current* value, so a change to the parent reaches its children; an overridden
one keeps the child's own. The attribute contract is inherited as a whole when its ``inherited``
flag is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokensmith.config import inheritance
from tokensmith.config.inheritance import mark_inherited, merge_for_child, parent_id
from tokensmith.config.model import ConfigModel

MAX_DEPTH = inheritance.MAX_DEPTH
__all__ = ["ancestors", "children", "contract_names", "effective_configuration", "effective_contract",
           "mark_inherited", "merge_for_child", "parent_id", "tables", "values"]


def ancestors(model: ConfigModel, kind: str, doc: Mapping[str, Any]) -> list[str]:
    """Parent ids from the nearest up; stops at a missing parent or a cycle."""
    return inheritance.ancestors(model, doc, kind)


def effective_configuration(model: ConfigModel, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration in force: inherited fields and tables replaced by the parent's."""
    return inheritance.effective_configuration(model, doc, kind)


def values(config: Mapping[str, Any]) -> dict[str, str]:
    return {f["name"]: f.get("value", f.get("encryptedValue", "")) for f in config["fields"]}


def tables(config: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    return {t["name"]: [{f["name"]: f.get("value", f.get("encryptedValue", "")) for f in row["fields"]}
                        for row in t["rows"]] for t in config["tables"]}


def effective_contract(model: ConfigModel, kind: str, doc: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    contract: dict[str, Any] = doc.get("attributeContract") or {}
    pid = parent_id(doc)
    if contract.get("inherited") and pid is not None and depth < MAX_DEPTH:
        parent = model.get(kind, pid)
        if parent is not None:
            return {**effective_contract(model, kind, parent, depth + 1), "inherited": True}
    return contract


def contract_names(model: ConfigModel, kind: str, doc: Mapping[str, Any]) -> list[str]:
    """Every attribute name of the instance's effective contract, core first."""
    contract = effective_contract(model, kind, doc)
    return ([a["name"] for a in contract.get("coreAttributes", [])]
            + [a["name"] for a in contract.get("extendedAttributes", [])])


def children(model: ConfigModel, kind: str, instance_id: str) -> list[dict[str, Any]]:
    return [d for d in model.all(kind) if parent_id(d) == instance_id]

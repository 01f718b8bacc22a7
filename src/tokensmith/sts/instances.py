"""Token generator and processor instances: their field values and their attribute contracts, with
parent/child inheritance (configuration inheritance itself is :mod:`tokensmith.config.inheritance`).

A child instance stores every field and table with an ``inherited`` flag. An inherited one always
takes the parent's *current* value, so a change to the parent reaches its children; an overridden
one keeps the child's own. The attribute contract is inherited as a whole when its ``inherited``
flag is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokensmith.config.inheritance import MAX_DEPTH, parent_id
from tokensmith.config.model import ConfigModel


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

"""Token generator and processor instances: parent/child inheritance and their attribute contracts.

A child instance stores every field and table with an ``inherited`` flag. An inherited one always
takes the parent's *current* value, so a change to the parent reaches its children; an overridden
one keeps the child's own. The attribute contract is inherited as a whole when its ``inherited``
flag is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokensmith.config.model import ConfigModel

MAX_DEPTH = 8


def parent_id(doc: Mapping[str, Any]) -> str | None:
    ref = doc.get("parentRef")
    if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    return None


def ancestors(model: ConfigModel, kind: str, doc: Mapping[str, Any]) -> list[str]:
    """Parent ids from the nearest up; stops at a missing parent or a cycle."""
    chain: list[str] = []
    current: Mapping[str, Any] | None = doc
    while current is not None and len(chain) <= MAX_DEPTH:
        pid = parent_id(current)
        if pid is None or pid in chain or pid == doc.get("id"):
            if pid is not None:
                chain.append(pid)
            break
        chain.append(pid)
        current = model.get(kind, pid)
    return chain


def effective_configuration(model: ConfigModel, kind: str, doc: Mapping[str, Any],
                            depth: int = 0) -> dict[str, Any]:
    """The configuration in force: inherited fields and tables replaced by the parent's."""
    config: dict[str, Any] = doc["configuration"]
    pid = parent_id(doc)
    parent = model.get(kind, pid) if pid is not None else None
    if parent is None or depth >= MAX_DEPTH:
        return config
    base = effective_configuration(model, kind, parent, depth + 1)
    base_fields = {f["name"]: f for f in base["fields"]}
    base_tables = {t["name"]: t for t in base["tables"]}
    fields = []
    for f in config["fields"]:
        source = base_fields.get(f["name"]) if f.get("inherited") else None
        fields.append({**{k: v for k, v in source.items() if k != "inherited"}, "inherited": True}
                      if source is not None else f)
    tables = []
    for t in config["tables"]:
        source = base_tables.get(t["name"]) if t.get("inherited") else None
        tables.append({"name": t["name"], "rows": source["rows"], "inherited": True} if source is not None else t)
    return {"tables": tables, "fields": fields}


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


def merge_for_child(parent_config: Mapping[str, Any], raw: Any) -> tuple[dict[str, Any], set[str], set[str]]:
    """The configuration to validate for a child (the parent's with the request's overrides), and the
    names of the overridden fields and tables. A field or table left out, or sent with
    ``"inherited": true``, is inherited."""
    raw = raw if isinstance(raw, Mapping) else {}
    own_fields: dict[str, Any] = {}
    for item in raw.get("fields") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str) and not item.get("inherited"):
            own_fields[item["name"]] = {k: v for k, v in item.items() if k != "inherited"}
    own_tables: dict[str, Any] = {}
    for table in raw.get("tables") or []:
        if isinstance(table, Mapping) and isinstance(table.get("name"), str) and not table.get("inherited"):
            own_tables[table["name"]] = {k: v for k, v in table.items() if k != "inherited"}
    names = {f["name"] for f in parent_config["fields"]}
    fields = [own_fields.get(f["name"], {k: v for k, v in f.items() if k != "inherited"})
              for f in parent_config["fields"]]
    fields.extend(v for k, v in own_fields.items() if k not in names)
    table_names = {t["name"] for t in parent_config["tables"]}
    merged_tables = [own_tables.get(t["name"], {"name": t["name"], "rows": t["rows"]})
                     for t in parent_config["tables"]]
    merged_tables.extend(v for k, v in own_tables.items() if k not in table_names)
    return {"fields": fields, "tables": merged_tables}, set(own_fields), set(own_tables)


def mark_inherited(config: Mapping[str, Any], own_fields: set[str], own_tables: set[str]) -> dict[str, Any]:
    return {
        "tables": [{**t, "inherited": t["name"] not in own_tables} for t in config["tables"]],
        "fields": [{**f, "inherited": f["name"] not in own_fields} for f in config["fields"]],
    }


def children(model: ConfigModel, kind: str, instance_id: str) -> list[dict[str, Any]]:
    return [d for d in model.all(kind) if parent_id(d) == instance_id]

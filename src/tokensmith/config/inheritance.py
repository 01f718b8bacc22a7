"""Parent and child plugin instances: a child inherits its parent's configuration and may override
fields and whole tables.

A child's stored ``configuration`` holds every field and table with an ``inherited`` flag. An
inherited field or table always takes the parent's *current* value, so a change to the parent
reaches its children; an overridden one keeps the child's own value.

On write (:func:`merge_for_child`), a field or table the request leaves out, or sends with
``"inherited": true``, is inherited; one sent without that flag overrides the parent's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokensmith.config.model import ATM, ConfigModel

MAX_DEPTH = 8


def parent_id(doc: Mapping[str, Any]) -> str | None:
    ref = doc.get("parentRef")
    if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    return None


def ancestors(model: ConfigModel, doc: Mapping[str, Any], kind: str = ATM) -> list[str]:
    """Ids from the parent up; stops at a missing parent or a cycle (the cycle's id is listed last)."""
    chain: list[str] = []
    current: Mapping[str, Any] | None = doc
    while current is not None and len(chain) < MAX_DEPTH:
        pid = parent_id(current)
        if pid is None:
            break
        chain.append(pid)
        if pid == doc.get("id") or chain.count(pid) > 1:
            break
        current = model.get(kind, pid)
    return chain


def effective_configuration(model: ConfigModel, doc: Mapping[str, Any], kind: str = ATM,
                            depth: int = 0) -> dict[str, Any]:
    """The configuration in force: inherited fields and tables replaced by the parent's."""
    config: dict[str, Any] = doc["configuration"]
    pid = parent_id(doc)
    parent = model.get(kind, pid) if pid is not None else None
    if parent is None or depth >= MAX_DEPTH:
        return config
    base = effective_configuration(model, parent, kind, depth + 1)
    base_fields = {f["name"]: f for f in base["fields"]}
    base_tables = {t["name"]: t for t in base["tables"]}
    fields = []
    for f in config["fields"]:
        source = base_fields.get(f["name"]) if f.get("inherited") else None
        fields.append({**_plain(source), "inherited": True} if source is not None else f)
    tables = []
    for t in config["tables"]:
        source = base_tables.get(t["name"]) if t.get("inherited") else None
        tables.append({"name": t["name"], "rows": source["rows"], "inherited": True} if source is not None else t)
    return {"tables": tables, "fields": fields}


def _plain(field: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in field.items() if k != "inherited"}


def merge_for_child(parent_config: Mapping[str, Any], raw: Any) -> tuple[dict[str, Any], set[str], set[str]]:
    """The configuration to validate for a child (the parent's, with the request's overrides), and the
    names of the overridden fields and tables."""
    raw = raw if isinstance(raw, Mapping) else {}
    own_fields: dict[str, Any] = {}
    for item in raw.get("fields") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str) and not item.get("inherited"):
            own_fields[item["name"]] = {k: v for k, v in item.items() if k != "inherited"}
    own_tables: dict[str, Any] = {}
    for table in raw.get("tables") or []:
        if isinstance(table, Mapping) and isinstance(table.get("name"), str) and not table.get("inherited"):
            own_tables[table["name"]] = {k: v for k, v in table.items() if k != "inherited"}
    fields = [own_fields.get(f["name"], _plain(f)) for f in parent_config["fields"]]
    fields.extend(v for k, v in own_fields.items() if k not in {f["name"] for f in parent_config["fields"]})
    tables = [own_tables.get(t["name"], {"name": t["name"], "rows": t["rows"]}) for t in parent_config["tables"]]
    tables.extend(v for k, v in own_tables.items() if k not in {t["name"] for t in parent_config["tables"]})
    extra = {k: v for k, v in raw.items() if k not in ("fields", "tables")}
    return {**extra, "fields": fields, "tables": tables}, set(own_fields), set(own_tables)


def mark_inherited(config: Mapping[str, Any], own_fields: set[str], own_tables: set[str]) -> dict[str, Any]:
    return {
        "tables": [{**t, "inherited": t["name"] not in own_tables} for t in config["tables"]],
        "fields": [{**f, "inherited": f["name"] not in own_fields} for f in config["fields"]],
    }


def children(model: ConfigModel, instance_id: str, kind: str = ATM) -> list[dict[str, Any]]:
    return [d for d in model.all(kind) if parent_id(d) == instance_id]

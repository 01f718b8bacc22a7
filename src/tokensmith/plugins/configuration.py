"""Normalise a submitted ``PluginConfiguration`` against its descriptor.

What comes back is what the server stores and returns: every descriptor field in descriptor
order with defaults filled in, values as strings, secrets only as ``encryptedValue``. Problems
are reported all at once with a ``fieldPath`` each, for example
``configuration.fields[Token Length]`` or ``configuration.tables[Users].rows[0].fields[Password]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tokensmith.errors import ErrorCollector
from tokensmith.plugins.descriptors import (
    BOOLEAN_OPTIONS,
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    choice_values,
)


class SecretCodec(Protocol):
    """How secret field values are protected at rest."""

    def protect(self, field: FieldDescriptor, plaintext: str) -> str: ...

    def accept_protected(self, field: FieldDescriptor, protected: str) -> bool: ...


@dataclass(frozen=True)
class NormalizedConfig:
    """Stored form: ``{"tables": [...], "fields": [...]}`` in descriptor order."""

    doc: dict[str, Any]

    def values(self) -> dict[str, str]:
        return {f["name"]: f.get("value", f.get("encryptedValue", "")) for f in self.doc["fields"]}

    def table_rows(self, name: str) -> list[dict[str, str]]:
        for table in self.doc["tables"]:
            if table["name"] == name:
                return [
                    {f["name"]: f.get("value", f.get("encryptedValue", "")) for f in row["fields"]}
                    for row in table["rows"]
                ]
        return []


def _field_list(raw: Any, path: str, errors: ErrorCollector) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add(path, "must be a list")
        return []
    out: list[Mapping[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            errors.add(f"{path}[{i}]", "each entry needs a string 'name'")
            continue
        extra = set(item) - {"name", "value", "encryptedValue", "inherited"}
        if extra:
            errors.add(f"{path}[{i}]", f"unrecognized properties: {', '.join(sorted(extra))}",
                       "unrecognized_field")
        for key in ("value", "encryptedValue"):
            if key in item and item[key] is not None and not isinstance(item[key], str):
                errors.add(f"{path}[{item['name']}].{key}", "must be a string")
        out.append(item)
    return out


def _normalize_fields(
    descriptors: tuple[FieldDescriptor, ...],
    submitted: list[Mapping[str, Any]],
    path: str,
    errors: ErrorCollector,
    codec: SecretCodec,
    what: str,
) -> list[dict[str, str]]:
    by_name: dict[str, Mapping[str, Any]] = {}
    item: Mapping[str, Any] | None
    known = {d.name for d in descriptors}
    for item in submitted:
        name = item["name"]
        if name not in known:
            errors.add(f"{path}[{name}]", f"'{name}' is not a {what} of this plugin type", "unknown_field")
        elif name in by_name:
            errors.add(f"{path}[{name}]", f"'{name}' is given more than once", "duplicate_field")
        else:
            by_name[name] = item

    result: list[dict[str, str]] = []
    for desc in descriptors:
        fpath = f"{path}[{desc.name}]"
        item = by_name.get(desc.name)
        value = item.get("value") if item is not None else None
        protected = item.get("encryptedValue") if item is not None else None
        if not isinstance(value, str):
            value = None
        if not isinstance(protected, str):
            protected = None

        if desc.secret:
            if value not in (None, ""):
                assert value is not None
                message = _check_value(desc, value)
                if message:
                    errors.add(fpath, f"{desc.name}: {message}")
                    continue
                result.append({"name": desc.name, "encryptedValue": codec.protect(desc, value)})
            elif protected:
                if not codec.accept_protected(desc, protected):
                    errors.add(fpath, f"{desc.name}: the encryptedValue was not issued by this server",
                               "invalid_encrypted_value")
                    continue
                result.append({"name": desc.name, "encryptedValue": protected})
            else:
                if desc.required:
                    errors.add(fpath, f"{desc.name} is required", "required_field_missing")
                result.append({"name": desc.name, "value": ""})
            continue

        if value is None or (value == "" and desc.default != "" and desc.required):
            value = desc.default
        message = _check_value(desc, value)
        if message:
            errors.add(fpath, f"{desc.name}: {message}")
        result.append({"name": desc.name, "value": value})
    return result


def _check_value(desc: FieldDescriptor, value: str) -> str | None:
    if value == "":
        return "a value is required" if desc.required else None
    if desc.type is FieldType.CHECK_BOX and value not in choice_values(BOOLEAN_OPTIONS):
        return "must be 'true' or 'false'"
    if desc.type in (FieldType.SELECT, FieldType.RADIO_GROUP) and desc.options:
        allowed = choice_values(desc.options)
        if value not in allowed:
            return f"'{value}' is not one of: {', '.join(sorted(allowed))}"
    for rule in desc.rules:
        message = rule(value)
        if message:
            return message
    return None


def _normalize_table(
    desc: TableDescriptor, raw: Mapping[str, Any] | None, path: str, errors: ErrorCollector,
    codec: SecretCodec,
) -> dict[str, Any]:
    rows_out: list[dict[str, Any]] = []
    raw_rows = raw.get("rows") if raw is not None else None
    if raw_rows is not None and not isinstance(raw_rows, list):
        errors.add(f"{path}.rows", "must be a list")
        raw_rows = []
    for r, row in enumerate(raw_rows or []):
        rpath = f"{path}.rows[{r}]"
        if not isinstance(row, Mapping):
            errors.add(rpath, "each row must be an object")
            continue
        fields = _field_list(row.get("fields"), f"{rpath}.fields", errors)
        normalized = _normalize_fields(desc.columns, fields, f"{rpath}.fields", errors, codec, "column")
        rows_out.append({"defaultRow": bool(row.get("defaultRow", False)), "fields": normalized})
    plain_rows = [{f["name"]: f.get("value", f.get("encryptedValue", "")) for f in row["fields"]}
                  for row in rows_out]
    for rule in desc.rules:
        for index, column, message in rule(plain_rows):
            errors.add(f"{path}.rows[{index}].fields[{column}]", message)
    return {"name": desc.name, "rows": rows_out}


def normalize(
    descriptor: PluginDescriptor, raw: Any, errors: ErrorCollector, codec: SecretCodec,
    path: str = "configuration",
) -> NormalizedConfig:
    """Validate ``raw`` (the request's ``configuration`` object) and fill in defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errors.add(path, "must be an object")
        raw = {}
    extra = set(raw) - {"fields", "tables"}
    if extra:
        errors.add(path, f"unrecognized properties: {', '.join(sorted(extra))}", "unrecognized_field")

    fields = _field_list(raw.get("fields"), f"{path}.fields", errors)
    normalized_fields = _normalize_fields(descriptor.fields, fields, f"{path}.fields", errors, codec, "field")

    tables_raw: dict[str, Mapping[str, Any]] = {}
    raw_tables = raw.get("tables") or []
    if not isinstance(raw_tables, list):
        errors.add(f"{path}.tables", "must be a list")
        raw_tables = []
    for i, table in enumerate(raw_tables):
        if not isinstance(table, Mapping) or not isinstance(table.get("name"), str):
            errors.add(f"{path}.tables[{i}]", "each table needs a string 'name'")
            continue
        if descriptor.table(table["name"]) is None:
            errors.add(f"{path}.tables[{table['name']}]",
                       f"'{table['name']}' is not a table of this plugin type", "unknown_field")
            continue
        tables_raw[table["name"]] = table
    normalized_tables = [
        _normalize_table(t, tables_raw.get(t.name), f"{path}.tables[{t.name}]", errors, codec)
        for t in descriptor.tables
    ]

    config = NormalizedConfig({"tables": normalized_tables, "fields": normalized_fields})
    if not errors:
        values = config.values()
        for rule in descriptor.rules:
            for name, message in rule(values):
                errors.add(f"{path}.fields[{name}]", message)
    return config

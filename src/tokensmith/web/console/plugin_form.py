"""A form generated from a :class:`~tokensmith.plugins.descriptors.PluginDescriptor`.

It works for any plugin type: fields in descriptor order with their defaults and descriptions,
advanced fields folded away, tables with rows to add and remove, secrets as password inputs that
keep the stored value when left blank, and (for types that support parent instances) a per-field
choice to inherit the parent's value. Input names are the admin API's field paths, so the
``validationErrors`` of :func:`tokensmith.plugins.configuration.normalize` land on their inputs.

A *draft* is the ``configuration`` object in admin API shape, plus a private ``_orig`` on each table
row: the index of the stored row it came from, so a blank secret cell keeps that row's value even
after other rows were added or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tokensmith.plugins.descriptors import FieldDescriptor, FieldType, PluginDescriptor, TableDescriptor
from tokensmith.web.console.forms import RowAction, checked, field_id, row_indices
from tokensmith.web.console.references import Resolver
from tokensmith.web.console.web import FormInput

Config = dict[str, Any]
MAX_ROWS = 200


def field_path(name: str) -> str:
    return f"configuration.fields[{name}]"


def table_path(name: str) -> str:
    return f"configuration.tables[{name}]"


def rows_path(name: str) -> str:
    return f"configuration.tables[{name}].rows"


def cell_path(table: str, index: int, column: str) -> str:
    return f"{rows_path(table)}[{index}].fields[{column}]"


# --------------------------------------------------------------------------- drafts


def _blank_row(table: TableDescriptor) -> dict[str, Any]:
    return {"defaultRow": False, "fields": [{"name": c.name, "value": c.default} for c in table.columns]}


def blank(descriptor: PluginDescriptor) -> Config:
    """A new instance's configuration: every default, and tables without rows.

    A type whose only table is its substance (the credential validator's Users) starts with one
    empty row to fill in. A type with several tables, most of them optional for a given choice (the
    JWT manager's Symmetric Keys beside Certificates), starts with none: an empty row with required
    marks on an RS256 form reads as "this is required". Rows are added with "Add a row".
    """
    first_row = len(descriptor.tables) == 1
    return {"fields": [{"name": f.name, "value": f.default} for f in descriptor.fields],
            "tables": [{"name": t.name, "rows": [_blank_row(t)] if first_row else []} for t in descriptor.tables]}


def from_stored(config: Config) -> Config:
    """A stored configuration as a draft: each row remembers where it came from."""
    tables = [{**t, "rows": [{**row, "_orig": i} for i, row in enumerate(t.get("rows", []))]}
              for t in config.get("tables", [])]
    return {"fields": list(config.get("fields", [])), "tables": tables}


def to_api(draft: Config) -> Config:
    """The draft as the admin API's PluginConfiguration (private members removed)."""
    tables = [{**t, "rows": [{k: v for k, v in row.items() if k != "_orig"} for row in t["rows"]]}
              for t in draft["tables"]]
    return {"fields": draft["fields"], "tables": tables}


def _stored_secret(items: list[dict[str, Any]] | None, name: str) -> str | None:
    for item in items or []:
        if item.get("name") == name and item.get("encryptedValue"):
            return str(item["encryptedValue"])
    return None


def _cell(desc: FieldDescriptor, form: FormInput, name: str, stored_items: list[dict[str, Any]] | None,
          inherit: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": desc.name}
    if inherit:
        out["inherited"] = True
    if desc.type is FieldType.CHECK_BOX:
        out["value"] = "true" if checked(form, name) else "false"
    elif desc.secret:
        typed = form.get(name)
        kept = _stored_secret(stored_items, desc.name)
        if typed:
            out["value"] = typed
        elif kept is not None:
            out["encryptedValue"] = kept
        else:
            out["value"] = ""
    else:
        out["value"] = form.get(name) if form.has(name) else desc.default
    return out


def _untouched(table: TableDescriptor, row: dict[str, Any]) -> bool:
    """True when every cell is empty, its default, or an unticked box."""
    columns = {c.name: c for c in table.columns}

    def blank(cell: dict[str, Any]) -> bool:
        column = columns.get(cell["name"])
        value = cell.get("value", "")
        unticked = column is not None and column.type is FieldType.CHECK_BOX and value == "false"
        return not cell.get("encryptedValue") and (value in ("", column.default if column else "") or unticked)

    return all(blank(cell) for cell in row["fields"])


def parse(descriptor: PluginDescriptor, form: FormInput, stored: Config | None, has_parent: bool,
          action: RowAction | None = None) -> Config:
    """The draft a submitted form describes (``stored``: the instance's saved configuration)."""
    stored = stored or {"fields": [], "tables": []}
    fields = [_cell(f, form, field_path(f.name), stored.get("fields"),
                    has_parent and checked(form, field_path(f.name) + ".inherited"))
              for f in descriptor.fields]
    stored_tables = {t["name"]: t.get("rows", []) for t in stored.get("tables", [])}
    tables: list[dict[str, Any]] = []
    for table in descriptor.tables:
        prefix = rows_path(table.name)
        old_rows = stored_tables.get(table.name, [])
        rows: list[dict[str, Any]] = []
        for i in row_indices(form, prefix)[:MAX_ROWS]:
            orig_text = form.get(f"{prefix}[{i}]._orig")
            orig = int(orig_text) if orig_text.isdigit() and int(orig_text) < len(old_rows) else None
            old_cells = old_rows[orig]["fields"] if orig is not None else None
            cells = [_cell(c, form, cell_path(table.name, i, c.name), old_cells, False) for c in table.columns]
            row: dict[str, Any] = {"defaultRow": checked(form, f"{prefix}[{i}].defaultRow"), "fields": cells}
            if orig is not None:
                row["_orig"] = orig
            rows.append(row)
        if action is not None:
            action.apply(prefix, rows, lambda t=table: _blank_row(t))  # type: ignore[misc]
        else:  # saving: a new row nobody filled in is not a row (a form shows one empty row per table)
            rows = [r for r in rows if "_orig" in r or not _untouched(table, r)]
        entry: dict[str, Any] = {"name": table.name, "rows": rows}
        if has_parent and checked(form, table_path(table.name) + ".inherited"):
            entry["inherited"] = True
        tables.append(entry)
    return {"fields": fields, "tables": tables}


# --------------------------------------------------------------------------- the view a template renders


@dataclass
class Widget:
    name: str
    label: str
    kind: str  # text | password | textarea | select | radio | checkbox
    value: str
    description: str = ""
    required: bool = False
    advanced: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # a text box's datalist
    stored: bool = False  # a secret is stored: leaving the input blank keeps it
    retype: bool = False  # a secret was typed but is never sent back: it must be typed again
    inheritable: bool = False
    inherited: bool = False

    @property
    def id(self) -> str:
        return field_id(self.name)


@dataclass
class RowView:
    index: int
    orig: int | None
    cells: list[Widget]


@dataclass
class TableView:
    name: str
    description: str
    prefix: str
    path: str
    columns: list[FieldDescriptor]
    rows: list[RowView]
    inheritable: bool = False
    inherited: bool = False


@dataclass
class PluginFormView:
    descriptor: PluginDescriptor
    fields: list[Widget]
    advanced: list[Widget]
    tables: list[TableView]

    def names(self) -> list[str]:
        found = [w.name for w in self.fields + self.advanced]
        for table in self.tables:
            found.append(table.path)
            for row in table.rows:
                found.extend(c.name for c in row.cells)
        return found


_KINDS = {
    FieldType.TEXT: "text", FieldType.TEXT_AREA: "textarea", FieldType.SELECT: "select",
    FieldType.FILTERABLE_SELECT: "select", FieldType.RADIO_GROUP: "radio", FieldType.CHECK_BOX: "checkbox",
    FieldType.HASHED_TEXT: "password", FieldType.UPLOAD_FILE: "textarea",
}


def _widget(desc: FieldDescriptor, name: str, item: dict[str, Any] | None, inheritable: bool,
            choices: Resolver) -> Widget:
    kind = "password" if desc.secret else _KINDS.get(desc.type, "text")
    value = "" if desc.secret else str((item or {}).get("value", desc.default) or "")
    options = [(o.value, o.name) for o in desc.options]
    suggestions: list[str] = []
    if kind == "select" and not options:  # values are ids of other things: list them, or suggest them
        found = choices(desc)
        if found is None or not found.strict:
            kind, suggestions = "text", [v for v, _ in found.options] if found else []
        else:
            options = list(found.options)
    if kind in ("select", "radio") and value and value not in {v for v, _ in options}:
        options.append((value, value))
    return Widget(name, desc.label or desc.name, kind, value, desc.description, desc.required, desc.advanced,
                  options, suggestions, stored=desc.secret and bool((item or {}).get("encryptedValue")),
                  retype=desc.secret and bool((item or {}).get("value")),
                  inheritable=inheritable, inherited=bool((item or {}).get("inherited")))


def view(descriptor: PluginDescriptor, draft: Config, has_parent: bool = False,
         choices: Resolver = lambda _field: None) -> PluginFormView:
    """What the template renders; ``choices`` lists the values of fields that refer to other things."""
    items = {f["name"]: f for f in draft.get("fields", [])}
    widgets = [_widget(f, field_path(f.name), items.get(f.name), has_parent, choices) for f in descriptor.fields]
    tables_in = {t["name"]: t for t in draft.get("tables", [])}
    tables: list[TableView] = []
    for table in descriptor.tables:
        stored = tables_in.get(table.name, {"rows": []})
        rows = []
        for i, row in enumerate(stored.get("rows", [])):
            cells_in = {c["name"]: c for c in row.get("fields", [])}
            cells = [_widget(c, cell_path(table.name, i, c.name), cells_in.get(c.name), False, choices)
                     for c in table.columns]
            rows.append(RowView(i, row.get("_orig"), cells))
        tables.append(TableView(table.name, table.description, rows_path(table.name), table_path(table.name),
                                list(table.columns), rows, has_parent, bool(stored.get("inherited"))))
    return PluginFormView(descriptor, [w for w in widgets if not w.advanced], [w for w in widgets if w.advanced],
                          tables)

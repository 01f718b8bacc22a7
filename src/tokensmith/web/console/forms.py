"""Form helpers shared by every console page.

Form inputs are named after the admin API's ``fieldPath`` of the value they carry (``name``,
``clientAuth.secret``, ``configuration.fields[Token Length]``,
``configuration.tables[Users].rows[0].fields[Password]``), so a ``validationErrors`` entry from a
resource service lands next to its input without any per-page mapping. A path with no input of its
own (``restrictedScopes[2]``) is shown at the nearest enclosing input (``restrictedScopes``); one
with no input at all is listed at the top of the form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tokensmith.errors import ErrorCollector, FieldError
from tokensmith.web.console.web import FormInput, field_id

__all__ = ["FormErrors", "RowAction", "checked", "field_id", "lines", "row_indices", "to_int"]

_LAST_PART = re.compile(r"(\[[^\[\]]*\]|\.[^.\[\]]+)$")


def _parents(path: str) -> Iterable[str]:
    while path:
        yield path
        trimmed = _LAST_PART.sub("", path)
        if trimmed == path:
            return
        path = trimmed


@dataclass
class FormErrors:
    """Validation errors, each placed at the input it belongs to."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def place(cls, errors: Iterable[FieldError], fields: Iterable[str]) -> FormErrors:
        known = set(fields)
        placed = cls()
        for error in errors:
            target = next((p for p in _parents(error.field_path) if p in known), None)
            if target is None:
                placed.general.append(error.message)
            else:
                placed.by_field.setdefault(target, []).append(error.message)
        return placed

    @classmethod
    def none(cls) -> FormErrors:
        return cls()

    def at(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def any_at(self, names: Iterable[str]) -> bool:
        return any(name in self.by_field for name in names)

    @property
    def count(self) -> int:
        return len(self.general) + sum(len(v) for v in self.by_field.values())

    def __bool__(self) -> bool:
        return self.count > 0


# --------------------------------------------------------------------------- repeating rows


def row_indices(form: FormInput, prefix: str) -> list[int]:
    """Indices of the rows ``prefix[i]...`` present in the form, in order."""
    pattern = re.compile(re.escape(prefix) + r"\[(\d{1,4})\]")
    found: set[int] = set()
    for name in form.names():
        match = pattern.match(name)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


@dataclass(frozen=True)
class RowAction:
    """An "add row", "remove row" or "move row up" button press: ``add:<prefix>``,
    ``remove:<prefix>:<index>`` or ``up:<prefix>:<index>`` (for ordered lists, where the first match wins)."""

    kind: str
    prefix: str
    index: int = -1

    @classmethod
    def parse(cls, value: str) -> RowAction | None:
        if value.startswith("add:"):
            return cls("add", value[4:])
        for kind in ("remove", "up"):
            if value.startswith(kind + ":"):
                prefix, _, index = value[len(kind) + 1:].rpartition(":")
                if index.isdigit():
                    return cls(kind, prefix, int(index))
        return None

    def apply(self, prefix: str, rows: list[Any], blank: Callable[[], Any]) -> None:
        if self.prefix != prefix:
            return
        if self.kind == "add" and len(rows) < 200:
            rows.append(blank())
        elif self.kind == "remove" and 0 <= self.index < len(rows):
            del rows[self.index]
        elif self.kind == "up" and 0 < self.index < len(rows):
            rows[self.index - 1], rows[self.index] = rows[self.index], rows[self.index - 1]


def lines(value: str) -> list[str]:
    """The non-blank lines of a text area, trimmed."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def checked(form: FormInput, name: str) -> bool:
    return form.get(name) in ("true", "on")


def to_int(value: str, path: str, errors: ErrorCollector, label: str | None = None) -> int | None:
    """A whole number, or None after recording an error naming the field (the admin API's JSON
    schema does this check there; a form carries only text)."""
    text = value.strip()
    if re.fullmatch(r"-?\d{1,12}", text):
        return int(text)
    errors.add(path, f"{label or path} must be a whole number")
    return None

"""Plugin descriptors: the fields and tables a plugin type accepts, with defaults and rules.

A descriptor is data. It renders to the admin API's ``PluginDescriptor`` JSON and drives
:mod:`tokensmith.plugins.configuration`, which normalises and validates instance configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokensmith.config.model import ConfigModel
    from tokensmith.crypto.secretbox import SecretBox
    from tokensmith.errors import FieldError
    from tokensmith.plugins.configuration import NormalizedConfig

# A field rule returns an error message, or None when the value is acceptable.
FieldRule = Callable[[str], str | None]
# A cross-field rule receives {field name: value} and returns (field name, message) pairs.
ConfigRule = Callable[[dict[str, str]], list[tuple[str, str]]]


@dataclass(frozen=True)
class InstanceCheck:
    """What an instance rule may read: the whole configuration model and the instance's own
    (normalised, valid so far) configuration, with secrets still encrypted under ``box``."""

    model: ConfigModel
    instance_id: str
    config: NormalizedConfig
    box: SecretBox


# An instance rule checks what depends on other configuration (key pairs, other instances) and
# returns errors whose fieldPath starts at "configuration".
InstanceRule = Callable[[InstanceCheck], "list[FieldError]"]


class FieldType(StrEnum):
    TEXT = "TEXT"
    TEXT_AREA = "TEXT_AREA"
    SELECT = "SELECT"
    RADIO_GROUP = "RADIO_GROUP"
    CHECK_BOX = "CHECK_BOX"
    HASHED_TEXT = "HASHED_TEXT"
    FILTERABLE_SELECT = "FILTERABLE_SELECT"
    UPLOAD_FILE = "UPLOAD_FILE"


@dataclass(frozen=True)
class Option:
    value: str
    name: str


@dataclass(frozen=True)
class FieldDescriptor:
    name: str
    type: FieldType = FieldType.TEXT
    description: str = ""
    default: str = ""
    required: bool = False
    advanced: bool = False
    encrypted: bool = False
    options: tuple[Option, ...] = ()
    rules: tuple[FieldRule, ...] = ()
    label: str | None = None

    @property
    def secret(self) -> bool:
        return self.encrypted or self.type is FieldType.HASHED_TEXT

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type.value,
            "name": self.name,
            "label": self.label or self.name,
            "description": self.description,
            "defaultValue": self.default,
            "advanced": self.advanced,
            "required": self.required,
        }
        if self.options:
            out["optionValues"] = [{"name": o.name, "value": o.value} for o in self.options]
        if self.type is FieldType.TEXT:
            out["encrypted"] = self.encrypted
        return out


@dataclass(frozen=True)
class TableDescriptor:
    name: str
    columns: tuple[FieldDescriptor, ...]
    description: str = ""
    require_default_row: bool = False
    rules: tuple[Callable[[list[dict[str, str]]], list[tuple[int, str, str]]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.name,
            "description": self.description,
            "requireDefaultRow": self.require_default_row,
            "columns": [c.to_json() for c in self.columns],
        }


@dataclass(frozen=True)
class PluginDescriptor:
    id: str
    name: str
    description: str
    fields: tuple[FieldDescriptor, ...]
    tables: tuple[TableDescriptor, ...] = ()
    core_attributes: tuple[str, ...] = ()
    supports_extended_contract: bool = True
    rules: tuple[ConfigRule, ...] = ()
    supports_parent: bool = False
    instance_rules: tuple[InstanceRule, ...] = ()
    field_index: dict[str, FieldDescriptor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_index", {f.name: f for f in self.fields})

    def table(self, name: str) -> TableDescriptor | None:
        for t in self.tables:
            if t.name == name:
                return t
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "className": self.id,
            "attributeContract": list(self.core_attributes),
            "supportsExtendedContract": self.supports_extended_contract,
            "configDescriptor": {
                "description": self.description,
                "fields": [f.to_json() for f in self.fields],
                "tables": [t.to_json() for t in self.tables],
                "actionDescriptors": [],
            },
        }


# --------------------------------------------------------------------------- field rules


WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


def _as_int(value: str) -> int | None:
    """A whole number written plainly (digits, an optional minus); nothing else is converted:
    not ``" 30"``, ``"+30"``, ``"3_0"``, ``"30.0"`` or other scripts' digits."""
    return int(value) if WHOLE_NUMBER.fullmatch(value) else None


def integer(minimum: int | None = None, maximum: int | None = None) -> FieldRule:
    """Accept a whole number, optionally bounded (inclusive). Empty values are left to ``required``."""

    def rule(value: str) -> str | None:
        if value == "":
            return None
        number = _as_int(value)
        if number is None:
            return f"'{value}' is not a whole number"
        if minimum is not None and number < minimum:
            if maximum is not None:
                return f"must be between {minimum} and {maximum}"
            return f"must be at least {minimum}"
        if maximum is not None and number > maximum:
            if minimum is not None:
                return f"must be between {minimum} and {maximum}"
            return f"must be at most {maximum}"
        return None

    return rule


TableRule = Callable[[list[dict[str, str]]], list[tuple[int, str, str]]]


def unique_column(column: str, message: str = "'{value}' is listed more than once") -> TableRule:
    """A table rule: no two rows may hold the same value in ``column`` (``message`` names it)."""

    def rule(rows: list[dict[str, str]]) -> list[tuple[int, str, str]]:
        seen: set[str] = set()
        problems: list[tuple[int, str, str]] = []
        for i, row in enumerate(rows):
            value = row.get(column, "")
            if value in seen:
                problems.append((i, column, message.format(value=value)))
            seen.add(value)
        return problems

    return rule


def options_of(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(v, n) for v, n in pairs)


BOOLEAN_OPTIONS = options_of(("true", "true"), ("false", "false"))


def check_box(name: str, description: str = "", default: str = "false", advanced: bool = False) -> FieldDescriptor:
    return FieldDescriptor(name, FieldType.CHECK_BOX, description, default, advanced=advanced)


def choice_values(options: Sequence[Option]) -> set[str]:
    return {o.value for o in options}

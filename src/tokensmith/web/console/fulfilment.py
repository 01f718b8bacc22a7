"""Attribute contract fulfilment and issuance criteria: the two tables every mapping form has
(access token mappings, token-to-token mappings, a connection's token generator mappings).

Inputs are named after the admin API field paths under a base path, for example
``attributeContractFulfillment.cid.value`` or
``wsTrust.tokenGeneratorMappings[0].issuanceCriteria.conditionalCriteria[1].condition``.
"""

from __future__ import annotations

from typing import Any

from tokensmith.web.console.forms import RowAction, row_indices
from tokensmith.web.console.web import FormInput

NAMES = "._names"  # hidden inputs listing the attributes the form showed


def parse_fulfilment(form: FormInput, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in form.getlist(base + NAMES):
        out[name] = {"source": {"type": form.get(f"{base}.{name}.source.type") or "NO_MAPPING"},
                     "value": form.get(f"{base}.{name}.value")}
    return out


def parse_criteria(form: FormInput, prefix: str, action: RowAction | None, default_source: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in row_indices(form, prefix):
        row = f"{prefix}[{i}]"
        rows.append({"source": {"type": form.get(f"{row}.source.type") or default_source},
                     "attributeName": form.get(f"{row}.attributeName"),
                     "condition": form.get(f"{row}.condition") or "EQUALS",
                     "value": form.get(f"{row}.value"), "errorResult": form.get(f"{row}.errorResult")})
    if action is not None:
        action.apply(prefix, rows, lambda: {"source": {"type": default_source}, "attributeName": "",
                                            "condition": "EQUALS", "value": "", "errorResult": ""})
    return rows


def names(base: str, attributes: list[str], criteria_prefix: str, criteria_count: int) -> list[str]:
    """Every input the two tables render (for placing errors)."""
    found = [base, criteria_prefix, criteria_prefix.rsplit(".", 1)[0]]
    for a in attributes:
        found += [f"{base}.{a}", f"{base}.{a}.source.type", f"{base}.{a}.value"]
    for i in range(criteria_count):
        row = f"{criteria_prefix}[{i}]"
        found += [row, f"{row}.condition", f"{row}.value", f"{row}.source.type", f"{row}.attributeName"]
    return found

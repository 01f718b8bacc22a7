"""Form parts that several instance forms share: the attribute contract."""

from __future__ import annotations

from typing import Any

from tokensmith.errors import ErrorCollector
from tokensmith.web.console.forms import RowAction, checked, row_indices
from tokensmith.web.console.plugin_pages import Doc, FormPart
from tokensmith.web.console.web import FormInput

CONTRACT = "attributeContract.extendedAttributes"
CORE = "attributeContract.coreAttributes"
SUBJECT = "attributeContract.defaultSubjectAttribute"
# Yes/no properties an extended attribute may carry, by admin API name: a column of tick boxes each.
FLAGS = {"multiValued": "Multi-valued", "masked": "Masked in logs"}


def _contract_names(draft: Doc) -> list[str]:
    rows = (draft.get("attributeContract") or {}).get("extendedAttributes") or []
    names = [CONTRACT, SUBJECT, "attributeContract", CORE]
    core = (draft.get("attributeContract") or {}).get("coreAttributes") or []
    names += [f"{CORE}[{i}]" for i in range(len(core))] + [f"{CORE}[{i}].masked" for i in range(len(core))]
    for i in range(len(rows)):
        names += [f"{CONTRACT}[{i}].name", f"{CONTRACT}[{i}]", *(f"{CONTRACT}[{i}].{flag}" for flag in FLAGS)]
    return names


def _parse_contract(flags: tuple[str, ...], subject: bool) -> Any:
    def parse(form: FormInput, draft: Doc, _existing: Doc | None, action: RowAction | None,
              _errors: ErrorCollector) -> None:
        rows: list[dict[str, Any]] = []
        for i in row_indices(form, CONTRACT):
            row: dict[str, Any] = {"name": form.get(f"{CONTRACT}[{i}].name").strip()}
            row.update({flag: checked(form, f"{CONTRACT}[{i}].{flag}") for flag in flags})
            rows.append(row)
        if action is not None:
            action.apply(CONTRACT, rows, lambda: {"name": "", **dict.fromkeys(flags, False)})
        else:  # saving: a row left empty is not an attribute
            rows = [r for r in rows if r["name"]]
        contract: dict[str, Any] = {"extendedAttributes": rows}
        if "masked" in flags:  # the core attributes' own masked flags (their names are fixed by the type)
            contract["coreAttributes"] = [{"name": form.get(f"{CORE}[{i}].name"),
                                           "masked": checked(form, f"{CORE}[{i}].masked")}
                                          for i in row_indices(form, CORE)]
        if subject and form.get(SUBJECT):
            contract["defaultSubjectAttribute"] = form.get(SUBJECT)
        draft["attributeContract"] = contract

    return parse


def contract_part(multi_valued: bool = True, subject: bool = True, masked: bool = False) -> FormPart:
    """The extended attribute contract (rows of names, and the yes/no properties the resource's model
    has: ``multiValued`` for access token managers, ``masked`` for token processors), shown when the
    type allows extending it."""
    flags = tuple(name for name, wanted in (("multiValued", multi_valued), ("masked", masked)) if wanted)
    return FormPart("_contract.html", _contract_names, _parse_contract(flags, subject),
                    context=lambda _model, _draft: {"contract_flags": [(f, FLAGS[f]) for f in flags],
                                                    "contract_subject": subject},
                    applies=lambda d: d.supports_extended_contract or bool(d.core_attributes))

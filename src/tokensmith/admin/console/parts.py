"""Form parts that several instance forms share: the attribute contract."""

from __future__ import annotations

from typing import Any

from tokensmith.admin.console.forms import RowAction, checked, row_indices
from tokensmith.admin.console.plugin_pages import Doc, FormPart
from tokensmith.admin.console.web import FormInput
from tokensmith.errors import ErrorCollector

CONTRACT = "attributeContract.extendedAttributes"
SUBJECT = "attributeContract.defaultSubjectAttribute"


def _contract_names(draft: Doc) -> list[str]:
    rows = (draft.get("attributeContract") or {}).get("extendedAttributes") or []
    names = [CONTRACT, SUBJECT, "attributeContract"]
    for i in range(len(rows)):
        names += [f"{CONTRACT}[{i}].name", f"{CONTRACT}[{i}].multiValued", f"{CONTRACT}[{i}]"]
    return names


def _parse_contract(multi_valued: bool, subject: bool) -> Any:
    def parse(form: FormInput, draft: Doc, _existing: Doc | None, action: RowAction | None,
              _errors: ErrorCollector) -> None:
        rows: list[dict[str, Any]] = []
        for i in row_indices(form, CONTRACT):
            row: dict[str, Any] = {"name": form.get(f"{CONTRACT}[{i}].name").strip()}
            if multi_valued:
                row["multiValued"] = checked(form, f"{CONTRACT}[{i}].multiValued")
            rows.append(row)
        if action is not None:
            action.apply(CONTRACT, rows, lambda: {"name": "", "multiValued": False} if multi_valued else {"name": ""})
        else:  # saving: a row left empty is not an attribute
            rows = [r for r in rows if r["name"]]
        contract: dict[str, Any] = {"extendedAttributes": rows}
        if subject and form.get(SUBJECT):
            contract["defaultSubjectAttribute"] = form.get(SUBJECT)
        draft["attributeContract"] = contract

    return parse


def contract_part(multi_valued: bool = True, subject: bool = True) -> FormPart:
    """The extended attribute contract (rows of names), shown when the type allows extending it."""
    return FormPart("_contract.html", _contract_names, _parse_contract(multi_valued, subject),
                    context=lambda _model, _draft: {"contract_multi": multi_valued, "contract_subject": subject},
                    applies=lambda d: d.supports_extended_contract or bool(d.core_attributes))

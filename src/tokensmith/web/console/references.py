"""Choices for plugin fields whose descriptor lists no options because the values are ids of other
configuration (a signing key pair, a credential validator, an access token manager) or of rows in
the same form (a Key ID of one of the instance's tables).

A reference to other configuration becomes a list of the existing items; a Key ID field becomes a
text box that suggests the Key IDs typed in the form's tables. A new kind of reference is one line
in :data:`REFERENCE_KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokensmith.config.model import ATM, KEYPAIR, PCV, ConfigModel
from tokensmith.keys import material as km
from tokensmith.keys import stored
from tokensmith.plugins.descriptors import FieldDescriptor

# Field (or table column) name -> configuration kind whose ids it takes.
REFERENCE_KINDS = {
    "Signing Certificate": KEYPAIR,                          # SAML token generators
    "Certificate": KEYPAIR,                                  # JWT manager, Certificates table
    "Password Credential Validator Instance": PCV,           # Username token processor
    "Password Credential Validator": PCV,
    "Access Token Manager": ATM,                             # JWT token processor
}
KEY_ID = "Key ID"


@dataclass(frozen=True)
class Choices:
    options: list[tuple[str, str]]
    strict: bool  # True: a list to choose from; False: suggestions for a text box


Resolver = Callable[[FieldDescriptor], Choices | None]


def name_of(model: ConfigModel, kind: str, instance_id: str) -> str:
    """How a listing names a referenced instance: its name, or its id when it has none (or is gone)."""
    doc = model.get(kind, instance_id)
    return str((doc or {}).get("name") or instance_id)


def _label(doc: dict[str, Any]) -> str:
    name = doc.get("name") or doc.get("id", "")
    return f"{name} ({doc['id']})" if name != doc.get("id") else str(doc["id"])


def _keypair_label(doc: dict[str, Any]) -> str:
    """A key pair as an administrator recognises it: id, subject, algorithm and size, expiry.
    Ids are often generated (``r7xq1n...``), so a bare id says nothing about which key it is."""
    try:
        cert = stored.certificate(doc)
    except (KeyError, ValueError):  # a damaged document still gets a choice; its page says what is wrong
        return str(doc["id"])
    algorithm, size = km.key_facts(cert.public_key())  # type: ignore[arg-type]
    expires = cert.not_valid_after_utc.date().isoformat()
    return f"{doc['id']} — {km.render_dn(cert.subject)}, {algorithm} {size}, expires {expires}"


def resolver(model: ConfigModel, config: dict[str, Any]) -> Resolver:
    """Choices for the dynamic fields of one form, given the model and the form's draft configuration."""
    key_ids = sorted({cell.get("value", "") for table in config.get("tables", []) for row in table.get("rows", [])
                      for cell in row.get("fields", []) if cell.get("name") == KEY_ID and cell.get("value")})

    def choices(field: FieldDescriptor) -> Choices | None:
        kind = REFERENCE_KINDS.get(field.name)
        if kind is not None:
            label = _keypair_label if kind == KEYPAIR else _label
            return Choices([(d["id"], label(d)) for d in model.all(kind)], strict=True)
        if KEY_ID in field.name and field.name != KEY_ID:
            return Choices([(k, k) for k in key_ids], strict=False)
        return None

    return choices

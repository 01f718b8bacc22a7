"""What every admin service needs: secret protection, the clock, links, shared checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tokensmith.admin.kinds import access_token_managers, credential_validators
from tokensmith.clock import Clock, iso_millis
from tokensmith.crypto.passwords import hash_password, looks_like_hash
from tokensmith.crypto.secretbox import SecretBox, SecretBoxError
from tokensmith.errors import ErrorCollector
from tokensmith.plugins.descriptors import FieldDescriptor, FieldType
from tokensmith.plugins.registry import PluginRegistry

INSTANCE_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


class FieldSecrets:
    """:class:`tokensmith.plugins.configuration.SecretCodec` for plugin fields."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box

    def protect(self, field: FieldDescriptor, plaintext: str) -> str:
        if field.type is FieldType.HASHED_TEXT:
            return hash_password(plaintext)
        return self.box.encrypt(plaintext)

    def accept_protected(self, field: FieldDescriptor, protected: str) -> bool:
        if field.type is FieldType.HASHED_TEXT:
            return looks_like_hash(protected)
        try:
            self.box.decrypt(protected)
        except SecretBoxError:
            return False
        return True


@dataclass
class AdminContext:
    box: SecretBox
    clock: Clock
    base_url: str = "https://localhost:9999/pf-admin-api/v1"
    atm_types: PluginRegistry | None = None
    pcv_types: PluginRegistry | None = None

    def __post_init__(self) -> None:
        self.atm_types = self.atm_types or access_token_managers()
        self.pcv_types = self.pcv_types or credential_validators()
        self.field_secrets = FieldSecrets(self.box)

    def link(self, path: str, resource_id: str) -> dict[str, str]:
        return {"id": resource_id, "location": f"{self.base_url}{path}/{resource_id}"}

    def timestamp(self) -> str:
        return iso_millis(self.clock.now())


def check_instance_id(value: Any, errors: ErrorCollector, path: str = "id") -> None:
    if not isinstance(value, str) or not value:
        errors.add(path, "id is required", "required_field_missing")
    elif not INSTANCE_ID.match(value):
        errors.add(path, "The id must be 1 to 32 characters, letters and digits only")


def check_name(value: Any, errors: ErrorCollector, path: str = "name") -> None:
    if not isinstance(value, str) or not value.strip():
        errors.add(path, "name is required", "required_field_missing")


def ref_id(body: dict[str, Any], key: str) -> str | None:
    ref = body.get(key)
    if isinstance(ref, dict) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    return None


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without its private (underscore) members."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def criteria_as_sent(body: dict[str, Any]) -> dict[str, Any]:
    """``issuanceCriteria`` as the client sent it: a list sent empty stays ``[]``, a list not sent stays
    absent (PingFederate leaves an unsent ``expressionCriteria`` out, and PingFederate's Terraform
    provider reads an added ``[]`` as a change). Without ``issuanceCriteria`` at all the answer is
    ``{"conditionalCriteria": []}``, as PingFederate's."""
    if not isinstance(body.get("issuanceCriteria"), dict):
        return {"conditionalCriteria": []}
    criteria = body["issuanceCriteria"]
    return {key: [dict(c) for c in criteria[key]] for key in ("conditionalCriteria", "expressionCriteria")
            if isinstance(criteria.get(key), list)}

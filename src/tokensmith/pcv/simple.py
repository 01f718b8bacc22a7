"""The simple username/password credential validator: users kept in its own ``Users`` table.

Descriptor id ``org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator``. Passwords
are ``HASHED_TEXT`` columns, stored as argon2 hashes and returned only as ``encryptedValue``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tokensmith.crypto.passwords import hash_password, verify_password
from tokensmith.errors import ErrorCollector
from tokensmith.pcv.base import PcvType
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    check_box,
    unique_column,
)

PLUGIN_ID = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"
USERS = "Users"
MIN_PASSWORD = 8


_unique_usernames = unique_column("Username", "Username '{value}' appears more than once")


DESCRIPTOR = PluginDescriptor(
    id=PLUGIN_ID,
    name="Simple Username Password Credential Validator",
    description="Validates usernames and passwords against the users listed in this instance.",
    fields=(),
    tables=(
        TableDescriptor(
            USERS,
            (
                FieldDescriptor("Username", FieldType.TEXT, "The user's login name.", required=True),
                FieldDescriptor("Password", FieldType.HASHED_TEXT, "The user's password.", required=True),
                FieldDescriptor("Confirm Password", FieldType.HASHED_TEXT, "The password again.",
                                required=True),
                check_box("Relax Password Requirements",
                          f"Allow passwords shorter than {MIN_PASSWORD} characters."),
            ),
            description="Users this validator accepts.",
            rules=(_unique_usernames,),
        ),
    ),
    core_attributes=("username",),
    supports_extended_contract=False,
)


def precheck_passwords(raw_config: Any, errors: ErrorCollector, path: str = "configuration") -> None:
    """Checks that need the plaintext, made before the passwords are hashed."""
    if not isinstance(raw_config, Mapping):
        return
    for table in raw_config.get("tables") or []:
        if not isinstance(table, Mapping) or table.get("name") != USERS:
            continue
        for r, row in enumerate(table.get("rows") or []):
            if not isinstance(row, Mapping):
                continue
            values = {f.get("name"): f.get("value") for f in row.get("fields") or [] if isinstance(f, Mapping)}
            password, confirm = values.get("Password"), values.get("Confirm Password")
            rpath = f"{path}.tables[{USERS}].rows[{r}].fields"
            if isinstance(password, str) and password:
                if confirm is not None and confirm != password:
                    errors.add(f"{rpath}[Confirm Password]", "Confirm Password does not match Password")
                relaxed = values.get("Relax Password Requirements") == "true"
                if not relaxed and len(password) < MIN_PASSWORD:
                    errors.add(f"{rpath}[Password]",
                               f"Password must be at least {MIN_PASSWORD} characters unless "
                               "Relax Password Requirements is set")


@dataclass(frozen=True)
class SimpleValidator:
    id: str
    users: Mapping[str, str]  # username -> argon2 hash

    @classmethod
    def from_config(cls, instance_id: str, config: NormalizedConfig) -> SimpleValidator:
        return cls(instance_id, {row["Username"]: row["Password"] for row in config.table_rows(USERS)})

    def stored_hash(self, username: str) -> str | None:
        """The user's stored password hash (for the verified-credential cache), or None."""
        return self.users.get(username)

    def validate(self, username: str, password: str) -> dict[str, Any] | None:
        """The validator's attributes when the credentials are right, else None. CPU-heavy."""
        stored = self.users.get(username)
        if stored is None:
            # Spend the same effort for unknown users so timing does not reveal who exists.
            verify_password(_dummy_hash(), password)
            return None
        return {"username": username} if verify_password(stored, password) else None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _build(instance_id: str, config: NormalizedConfig) -> SimpleValidator:
    return SimpleValidator.from_config(instance_id, config)


TYPE = PcvType(DESCRIPTOR, _build, precheck_passwords)

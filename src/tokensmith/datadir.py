"""First-start initialisation of a data directory.

Creates the directory (owner-only), the master key, the configuration and token databases and
the administrator account ``administrator``. The password comes from ``TOKENSMITH_ADMIN_PASSWORD``
or is generated and returned so the CLI can print it once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tokensmith.config.store import ConfigStore
from tokensmith.crypto.masterkey import write_new_master_key
from tokensmith.crypto.passwords import hash_password
from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings
from tokensmith.state.sqlite import connect as connect_state

ADMIN_USER = "administrator"
PASSWORD_ENV = "TOKENSMITH_ADMIN_PASSWORD"
MIN_ADMIN_PASSWORD = 12


@dataclass(frozen=True)
class InitResult:
    created: bool
    admin_password: str | None  # set only when it was generated here


def initialise(settings: Settings, admin_password: str | None = None) -> InitResult:
    data = settings.data_dir
    created = not data.exists()
    try:
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create data directory {data}: {exc}") from exc
    if not os.access(data, os.W_OK):
        raise ConfigurationError(f"data directory {data} is not writable")
    os.chmod(data, 0o700)
    if not settings.master_key_file.exists():
        if settings.config_db.exists():
            raise ConfigurationError(
                f"{settings.master_key_file} is missing but {settings.config_db} exists: every stored secret "
                "is encrypted under that key. Restore master.key from your backup; a new key would make "
                "all client secrets and encrypted values unusable.")
        write_new_master_key(settings.master_key_file)
    store = ConfigStore.sqlite(settings.config_db)
    connect_state(settings.state_db).close()
    generated: str | None = None
    try:
        if not store.has_admins():
            password = admin_password or os.environ.get(PASSWORD_ENV)
            if password is None:
                password = generated = secrets.token_urlsafe(18)
            elif len(password) < MIN_ADMIN_PASSWORD:
                raise ConfigurationError(
                    f"the administrator password must be at least {MIN_ADMIN_PASSWORD} characters")
            store.set_admin(ADMIN_USER, hash_password(password))
    finally:
        store.close()
    for path in Path(data).iterdir():
        if path.is_file():
            os.chmod(path, 0o600)
    return InitResult(created, generated)

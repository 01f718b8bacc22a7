"""First-start initialisation of a data directory.

Creates the directory (owner-only), the master key, the configuration and token databases and
the administrator account ``administrator``. The password comes from ``TOKENSMITH_ADMIN_PASSWORD``
or is generated and returned so the CLI can print it once.

With ``--database-url`` the configuration (and the administrator) live in the cluster's PostgreSQL
database, and with ``--redis-url`` the tokens live in Redis; the data directory then holds only the
master key and per-node files. Every node of a cluster needs the same master key: the store
remembers the key id it was first written with, and a node with another key (or none, once the
store has secrets) refuses to start instead of making every secret unreadable.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from tokensmith.config.store import ConfigStore, open_store
from tokensmith.crypto.masterkey import MasterKey, write_new_master_key
from tokensmith.crypto.passwords import hash_password
from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings
from tokensmith.state.sqlite import connect as connect_state

ADMIN_USER = "administrator"
PASSWORD_ENV = "TOKENSMITH_ADMIN_PASSWORD"
MIN_ADMIN_PASSWORD = 12
MASTER_KEY_ID = "master_key_id"


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
    if settings.database_url is None and not settings.master_key_file.exists() and settings.config_db.exists():
        raise ConfigurationError(
            f"{settings.master_key_file} is missing but {settings.config_db} exists: every stored secret "
            "is encrypted under that key. Restore master.key from your backup; a new key would make "
            "all client secrets and encrypted values unusable.")
    try:
        store = open_store(settings.database_url, settings.config_db)
    except SQLAlchemyError as exc:  # unreachable database, bad credentials...
        raise ConfigurationError(f"cannot open the configuration store: {exc}") from exc
    generated: str | None = None
    try:
        _check_master_key(settings, store)
        if settings.redis_url is None:
            connect_state(settings.state_db).close()
        if not store.has_admins():
            password = admin_password or os.environ.get(PASSWORD_ENV)
            if password is None:
                password = generated = secrets.token_urlsafe(18)
            elif len(password) < MIN_ADMIN_PASSWORD:
                raise ConfigurationError(
                    f"the administrator password must be at least {MIN_ADMIN_PASSWORD} characters")
            if not store.add_first_admin(ADMIN_USER, hash_password(password)):
                generated = None  # another node of the cluster created the account first
    finally:
        store.close()
    for path in Path(data).iterdir():
        if path.is_file():
            os.chmod(path, 0o600)
    return InitResult(created, generated)


def _check_master_key(settings: Settings, store: ConfigStore) -> None:
    """Create the master key if this is the first node, and refuse a key the store was not written with."""
    where = "the cluster's configuration database" if settings.database_url else str(settings.config_db)
    if not settings.master_key_file.exists():
        stored = store.meta_value(MASTER_KEY_ID)
        if stored is not None:
            raise ConfigurationError(
                f"{settings.master_key_file} is missing, but {where} holds secrets encrypted under master key "
                f"{stored}. Copy master.key from another node of the cluster (or restore it from your backup) "
                f"into {settings.data_dir}; a new key would make every stored secret unusable.")
        write_new_master_key(settings.master_key_file)
    key_id = MasterKey.load(settings.master_key_file).key_id
    stored = store.claim_meta(MASTER_KEY_ID, key_id)
    if stored != key_id:
        raise ConfigurationError(
            f"{settings.master_key_file} is master key {key_id}, but {where} was written with master key "
            f"{stored}. Every node must use the same master.key: copy it from a node of the cluster.")

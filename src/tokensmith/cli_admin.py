"""``tokensmith admin set-password``: change an administrator's password from the command line
(``tokensmith admin unlock`` is in :mod:`tokensmith.cli_unlock`).

Until this command existed the only way to change the password was to delete the account from the
database by hand. It writes to the configuration store directly (``config.db`` or the cluster's
PostgreSQL database), so it works whether or not the node runs: the admin API reads the stored hash
on every request, so the old password stops working at once on every node.

The new password comes from ``TOKENSMITH_ADMIN_PASSWORD``, from stdin with ``--password-stdin``
(for scripts), or from a prompt typed twice; never from a command-line argument, which other users
of the machine could read in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from tokensmith import cli_unlock
from tokensmith.config.store import open_store
from tokensmith.crypto.passwords import hash_password
from tokensmith.datadir import ADMIN_USER, MIN_ADMIN_PASSWORD, PASSWORD_ENV
from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings


def add_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    admin = commands.add_parser("admin", help="administrator accounts")
    actions = admin.add_subparsers(dest="admin_command", required=True)
    setpw = actions.add_parser(
        "set-password", help="change an administrator's password (the node may be running)",
        description=f"The new password comes from {PASSWORD_ENV}, from stdin with --password-stdin, "
                    "or from a prompt. It must be at least 12 characters.")
    common(setpw)
    setpw.add_argument("--username", default=ADMIN_USER, help=f"the account (default {ADMIN_USER})")
    setpw.add_argument("--password-stdin", action="store_true",
                       help="read the new password from the first line of stdin")
    setpw.set_defaults(admin_action=set_password)
    cli_unlock.add_command(actions, common)


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise ConfigurationError(f"no new password: set {PASSWORD_ENV}, pass --password-stdin, or run the "
                                 "command in a terminal to be asked for it")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ConfigurationError("the two passwords differ; nothing was changed")
    return first


def run(settings: Settings, args: argparse.Namespace) -> int:
    """``tokensmith admin ...``: each sub-command names its own action (``set_defaults``)."""
    action: Callable[[Settings, argparse.Namespace], int] = args.admin_action
    return action(settings, args)


def set_password(settings: Settings, args: argparse.Namespace) -> int:
    password = _new_password(args)
    if len(password) < MIN_ADMIN_PASSWORD:
        raise ConfigurationError(f"the password must be at least {MIN_ADMIN_PASSWORD} characters; "
                                 "nothing was changed")
    if settings.database_url is None and not settings.config_db.exists():
        raise ConfigurationError(f"{settings.data_dir} holds no configuration: check --data-dir, or run "
                                 "tokensmith init first")
    store = open_store(settings.database_url, settings.config_db)
    try:
        if store.admin_password_hash(args.username) is None:
            raise ConfigurationError(f"there is no administrator '{args.username}'; nothing was changed")
        store.set_admin(args.username, hash_password(password))
    finally:
        store.close()
    print(f"The password of '{args.username}' is changed; the old one no longer works.")
    return 0

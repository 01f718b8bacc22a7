"""``tokensmith export`` and ``tokensmith import``: the configuration as a bulk document on disk.

Both work on the data directory directly, whether or not the node is running; a running node
picks an import up like any admin change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from tokensmith.admin.context import AdminContext
from tokensmith.bulk.document import export_document, import_document, substitute
from tokensmith.bulk.resources import ExportOptions
from tokensmith.errors import ConfigurationError, ValidationFailed
from tokensmith.settings import Settings

FOREIGN_SECRET_FIELDS = ("encryptedSecret", "encryptedPassword", "encryptedValue")
FOREIGN_SECRET_HINT = (
    "The document was exported by a server with another master key, so its encrypted values cannot be read "
    "here. Either copy that server's master.key into this data directory before the first start, or import "
    "with --new-client-secrets (clients get new random secrets, printed once) and export with "
    "--key-password-env VAR so that private keys travel under a password of your choice.")


def add_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    export = commands.add_parser("export", help="write the configuration as a bulk document (JSON)")
    common(export)
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.add_argument("--key-password-env", metavar="VAR",
                        help="protect exported private keys with the password in environment variable VAR, "
                             "so that any server can import them (default: a random password per key pair, "
                             "encrypted under this node's master key)")
    imp = commands.add_parser("import", help="save every item of a bulk document (all or nothing)")
    common(imp)
    imp.add_argument("file", help="the bulk document (JSON); - reads stdin")
    imp.add_argument("--substitute-env", action="store_true",
                     help="replace ${NAME} in the document by environment variable NAME first")
    imp.add_argument("--new-client-secrets", action="store_true",
                     help="give clients whose secret another server encrypted a new random secret, printed once")
    imp.add_argument("--skip-unsupported", action="store_true",
                     help="skip (and list) items of resource types Tokensmith does not serve, instead of "
                          "failing the import")


def _node(settings: Settings) -> Any:
    from tokensmith.datadir import initialise
    from tokensmith.node import Node

    if settings.database_url is None and not settings.config_db.exists():
        raise ConfigurationError(f"{settings.data_dir} holds no configuration; run tokensmith init first")
    initialise(settings)
    return Node(settings)


def _context(node: Any) -> AdminContext:
    return AdminContext(node.box, node.clock, "")


def run_export(settings: Settings, args: argparse.Namespace) -> int:
    options = ExportOptions()
    if args.key_password_env:
        password = os.environ.get(args.key_password_env)
        if not password:
            raise ConfigurationError(f"environment variable {args.key_password_env} is not set")
        from tokensmith.keys.material import MIN_EXPORT_PASSWORD

        if len(password) < MIN_EXPORT_PASSWORD:
            raise ConfigurationError(f"the password in {args.key_password_env} must be at least "
                                     f"{MIN_EXPORT_PASSWORD} characters")
        options = ExportOptions(key_password=password)
    node = _node(settings)
    try:
        document = export_document(_context(node), node.model(), options)
    finally:
        asyncio.run(node.stop())
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds key material
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return 0


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError(f"{args.file} is not valid JSON: {exc}") from exc
    node = _node(settings)
    try:
        if args.substitute_env:
            document = substitute(document)
        ctx = _context(node)
        result = node.change(lambda model: import_document(ctx, model, document, args.new_client_secrets,
                                                           args.skip_unsupported))
    except ValidationFailed as exc:
        print(f"tokensmith: nothing was imported: {exc.message}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.field_path or '(document)'}: {error.message}", file=sys.stderr)
        if any((e.field_path or "").endswith(FOREIGN_SECRET_FIELDS) for e in exc.errors):
            print(FOREIGN_SECRET_HINT, file=sys.stderr)
        return 1
    finally:
        asyncio.run(node.stop())
    for path, count in result.saved.items():
        print(f"saved {count:4d}  {path}")
    for item in result.skipped:
        print(f"skipped   {item['resourceType']} '{item['id']}' ({item['path']}; not served by Tokensmith)")
    for client_id, secret in result.new_secrets.items():
        print(f"new secret for client '{client_id}': {secret}")
    if result.new_secrets:
        print("These secrets are shown only once.")
    return 0

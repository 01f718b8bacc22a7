"""``tokensmith doctor``: check a data directory and its surroundings, and say how to fix each problem.

The problems a new operator meets are the same few: a ``master.key`` that does not belong to the
configuration (copied from another server, or lost), files other users can read, a full disk, a port
held by something else, or a second node already running on the directory. Each finding is one line,
``ok``, ``warn`` or ``FAIL``, and every ``warn``/``FAIL`` line says what to do. The command only
reads; it never changes the directory. Exit status 1 when something failed, else 0.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokensmith.datadir import MASTER_KEY_ID
from tokensmith.datalock import holder
from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings

MIN_FREE_BYTES = 1 << 30  # below 1 GiB free, SQLite writes may soon fail
SECRET_FILES = ("master.key", "config.db", "tokens.db")


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "FAIL"
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level:<4}  {self.what}" + (f"\n      fix: {self.fix}" if self.fix else "")


def add_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    doctor = commands.add_parser("doctor", help="check a data directory (master key, permissions, disk, ports)")
    common(doctor)
    doctor.add_argument("--host", default=os.environ.get("TOKENSMITH_HOST", "127.0.0.1"))
    doctor.add_argument("--port", type=int, default=int(os.environ.get("TOKENSMITH_PORT", "9031")))
    doctor.add_argument("--admin-port", type=int, default=int(os.environ.get("TOKENSMITH_ADMIN_PORT", "9999")))


def _permissions(data: Path) -> Iterator[Finding]:
    mode = stat.S_IMODE(data.stat().st_mode)
    if mode & 0o077:
        yield Finding("FAIL", f"{data} is mode {mode:04o}: other users can look inside", f"chmod 700 {data}")
    else:
        yield Finding("ok", f"{data} is mode {mode:04o}")
    for name in SECRET_FILES:
        path = data / name
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            yield Finding("FAIL", f"{path} is mode {mode:04o}: other users can read it", f"chmod 600 {path}")
        else:
            yield Finding("ok", f"{path} is mode {mode:04o}")


def _master_key(settings: Settings) -> Iterator[Finding]:
    from tokensmith.config.store import open_store
    from tokensmith.crypto.masterkey import MasterKey

    key_file = settings.master_key_file
    where = "the cluster's database" if settings.database_url else "config.db"
    if settings.database_url is None and not settings.config_db.exists():
        yield Finding("warn", f"{settings.config_db} does not exist: the directory has no configuration yet",
                      f"tokensmith init --data-dir {settings.data_dir} (or start the node once)")
        return
    try:
        store = open_store(settings.database_url, settings.config_db)
    except Exception as exc:  # any driver error is a finding, not a crash
        yield Finding("FAIL", f"cannot open the configuration store: {exc}", "check --database-url / the file")
        return
    try:
        stored = store.meta_value(MASTER_KEY_ID)
        admins = store.has_admins()
    finally:
        store.close()
    if not key_file.exists():
        yield Finding("FAIL", f"{key_file} is missing; {where} holds secrets encrypted under master key {stored}",
                      "restore master.key from your backup (or copy it from another node of the cluster)")
    else:
        try:
            key_id = MasterKey.load(key_file).key_id
        except ConfigurationError as exc:
            yield Finding("FAIL", f"{key_file}: {exc}", "restore master.key from your backup")
        else:
            if stored is not None and stored != key_id:
                yield Finding("FAIL", f"{key_file} is master key {key_id}, but {where} was written with {stored}",
                              "put back the master.key this configuration was written with; with another key "
                              "no client secret or private key can be read")
            else:
                yield Finding("ok", f"master key {key_id} matches {where}")
    if not admins:
        yield Finding("warn", "there is no administrator account",
                      f"tokensmith init --data-dir {settings.data_dir} with TOKENSMITH_ADMIN_PASSWORD set")


def _disk(data: Path) -> Finding:
    free = shutil.disk_usage(data).free
    text = f"{free / (1 << 30):.1f} GiB free on the file system of {data}"
    if free < MIN_FREE_BYTES:
        return Finding("warn", text, "free some space: SQLite cannot commit token writes on a full disk")
    return Finding("ok", text)


def _ports(settings: Settings, running: str | None) -> Iterator[Finding]:
    for option, port in (("--port", settings.port), ("--admin-port", settings.admin_port)):
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((settings.host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    yield Finding("FAIL", f"cannot listen on {settings.host}:{port}: {exc.strerror}",
                                  f"choose another {option} or --host")
                elif running:
                    yield Finding("ok", f"{settings.host}:{port} is in use (by the node running here, probably)")
                else:
                    yield Finding("FAIL", f"{settings.host}:{port} is in use by another program",
                                  f"stop it (ss -ltnp 'sport = :{port}' shows which) or choose another {option}")
                continue
        yield Finding("ok", f"{settings.host}:{port} is free")


def findings(settings: Settings) -> list[Finding]:
    data = settings.data_dir
    if not data.is_dir():
        return [Finding("FAIL", f"{data} does not exist or is not a directory",
                        f"check --data-dir, or create it with tokensmith init --data-dir {data}")]
    running = holder(data)
    found = [Finding("ok", f"a node is running on this directory: {running}") if running
             else Finding("ok", "no node is running on this directory")]
    found += [*_permissions(data), *_master_key(settings), _disk(data), *_ports(settings, running)]
    return found


def run(settings: Settings) -> int:
    result = findings(settings)
    for finding in result:
        print(finding.line())
    failed = sum(f.level == "FAIL" for f in result)
    warned = sum(f.level == "warn" for f in result)
    print(f"{failed} problem(s), {warned} warning(s)")
    return 1 if failed else 0

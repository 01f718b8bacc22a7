"""An add-on password credential validator that checks usernames and passwords against an Apache
htpasswd-format file, loaded through the ``tokensmith.password_credential_validators`` entry-point
group.

Why: many operators already keep their users in an htpasswd file, often one shared with a web
server (Apache ``AuthUserFile``, nginx ``auth_basic_user_file``) and maintained with ``htpasswd``.
This validator lets the password grant and the Username Token Processor accept those users without
copying them into the simple validator's ``Users`` table, and ``htpasswd`` edits take effect without
a configuration change: the compiled validator looks at the file's stat (mtime, size, inode) at most
once per :data:`CHECK_INTERVAL` seconds and re-reads it when it changed.

Only slow, salted hashes are accepted: bcrypt (``$2y$``/``$2b$``/``$2a$``, what ``htpasswd -B``
writes) and argon2 (``$argon2id$``/``$argon2i$``). MD5 (``$apr1$``), ``{SHA}``, crypt and the rest
are refused, naming the line, at admin time and at every reload. Messages name line numbers and
schemes, never a username or a hash from the file.

A file that cannot be read or parsed when the instance is compiled leaves the validator out (see
:func:`tokensmith.pcv.base.build_validator`); one that breaks later makes it fail closed (every user
refused, one error logged per change) until the file is fixed. The configuration stores only the
path: in a cluster the file must exist, with the same content, at the same path on every node
(the admin node checks its own copy).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import bcrypt
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError

from tokensmith.crypto.passwords import hash_password, verify_password
from tokensmith.pcv.base import PcvBuildError, PcvType
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import FieldDescriptor, FieldType, PluginDescriptor

PLUGIN_ID = "org.tokensmith.addons.pcv.usersfile.UsersFileCredentialValidator"
USERS_FILE = "Users File"
CHECK_INTERVAL = 1.0  # seconds between two looks at the file's stat (read when a validator is built)
MAX_BYTES = 16 * 1024 * 1024  # a users file larger than this is refused rather than read into memory
BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
ARGON2_PREFIXES = ("$argon2id$", "$argon2i$")
# Schemes htpasswd (and other tools) can write that are refused, by prefix, for the error message.
WEAK_SCHEMES = (("$apr1$", "MD5 ($apr1$)"), ("{SHA}", "SHA-1 ({SHA})"), ("{SSHA}", "salted SHA-1 ({SSHA})"),
                ("$1$", "MD5-crypt ($1$)"), ("$5$", "SHA-256-crypt ($5$)"), ("$6$", "SHA-512-crypt ($6$)"),
                ("$argon2d$", "argon2d"), ("$2x$", "bcrypt $2x$"))
BCRYPT_ALPHABET = frozenset("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

log = logging.getLogger("tokensmith.pcv.usersfile")
FileKey = tuple[int, int, int]  # (st_mtime_ns, st_size, st_ino): what tells a changed file


class UsersFileError(ValueError):
    """The users file cannot be used; the message says why (``line N: ...`` for a bad line)."""


# --------------------------------------------------------------------------- parsing


def _refusal(hashed: str) -> str | None:
    """Why ``hashed`` is not an accepted hash, or None when it is one."""
    if hashed.startswith(BCRYPT_PREFIXES):
        cost, salt_and_hash = hashed[4:6], hashed[7:]
        if (len(hashed) != 60 or hashed[6] != "$" or not cost.isdigit() or not 4 <= int(cost) <= 31
                or not set(salt_and_hash) <= BCRYPT_ALPHABET):
            return "the bcrypt hash is malformed"
        return None
    if hashed.startswith(ARGON2_PREFIXES):
        try:
            extract_parameters(hashed)
        except (InvalidHashError, ValueError):
            return "the argon2 hash is malformed"
        return None
    for prefix, name in WEAK_SCHEMES:
        if hashed.startswith(prefix):
            return f"the {name} scheme is too weak or not supported; use bcrypt (htpasswd -B) or argon2id"
    return ("the password is not a bcrypt or argon2 hash (crypt, plaintext and other schemes are too weak); "
            "use bcrypt (htpasswd -B) or argon2id")


def parse(text: str) -> dict[str, str]:
    """``{username: hash}`` from htpasswd-format ``text``: ``username:hash`` per line, blank lines
    and ``#`` comments allowed. Raises :class:`UsersFileError` for the first bad line."""
    users: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        username, sep, hashed = line.partition(":")
        if not sep:
            raise UsersFileError(f"line {number}: expected 'username:hash'")
        if not username or username != username.strip():
            raise UsersFileError(f"line {number}: the username is empty or has surrounding spaces")
        if username in first_line:
            raise UsersFileError(f"line {number}: the username of line {first_line[username]} appears again")
        problem = _refusal(hashed)
        if problem:
            raise UsersFileError(f"line {number}: {problem}")
        users[username] = hashed
        first_line[username] = number
    return users


def _kind(hashed: str) -> str:
    """The scheme and cost of a hash: ``$2b$12$``, or the argon2 type, version and parameters."""
    if hashed.startswith(BCRYPT_PREFIXES):
        return "$2b$" + hashed[4:7]
    return hashed.rsplit("$", 2)[0]


@dataclass(frozen=True)
class Users:
    """One reading of the file: the users, and one hash of the file's most common kind and cost,
    whose like unknown usernames are checked against so that timing does not reveal who exists."""

    by_name: Mapping[str, str]
    sample: str = ""  # "" when there are no users: then the project's own argon2 parameters

    @classmethod
    def of(cls, by_name: Mapping[str, str]) -> Users:
        kinds = Counter(_kind(h) for h in by_name.values())
        if not kinds:
            return cls(by_name)
        common = kinds.most_common(1)[0][0]
        return cls(by_name, next(h for h in by_name.values() if _kind(h) == common))


def read_users(path: str) -> tuple[FileKey, Users]:
    """Read and parse the file at ``path`` (an absolute path to a regular file). Raises OSError or
    :class:`UsersFileError`."""
    if not os.path.isabs(path):
        raise UsersFileError("must be an absolute path")
    # O_NONBLOCK: opening a FIFO must not hang; regular files are read as usual.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except ValueError as exc:  # a NUL character, or text the file system encoding cannot hold
        raise UsersFileError("is not a usable path") from exc
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UsersFileError("is not a regular file")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UsersFileError(f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsersFileError(f"line {line}: is not UTF-8") from exc
    return (st.st_mtime_ns, st.st_size, st.st_ino), Users.of(parse(text))


def _reason(exc: OSError | UsersFileError) -> str:
    if isinstance(exc, UsersFileError):
        return str(exc)
    return f"cannot be read: {exc.strerror or exc}"


def _check_users_file(value: str) -> str | None:
    """Admin-time field rule: the file must be usable now, on this node."""
    try:
        read_users(value)
    except (OSError, UsersFileError) as exc:
        return _reason(exc)
    return None


# --------------------------------------------------------------------------- checking passwords


def _verify(stored: str, password: str) -> bool:
    if stored.startswith(BCRYPT_PREFIXES):
        try:  # bcrypt uses the first 72 bytes of the password, as htpasswd and Apache do
            return bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
        except (ValueError, UnicodeError):  # a NUL byte, a lone surrogate
            return False
    return verify_password(stored, password)


_DUMMIES: dict[str, str] = {}  # kind (see _kind) -> hash of a random password; a few entries at most


def _dummy_hash(sample: str) -> str:
    """A hash of a random password of the same kind and cost as ``sample`` (made once per process
    and kind; two threads making the same one at once is harmless)."""
    kind = _kind(sample) if sample else ""
    found = _DUMMIES.get(kind)
    if found is None:
        throwaway = secrets.token_urlsafe(16)
        if sample.startswith(BCRYPT_PREFIXES):
            found = bcrypt.hashpw(throwaway.encode(), bcrypt.gensalt(int(sample[4:6]))).decode("ascii")
        elif sample:
            found = PasswordHasher.from_parameters(extract_parameters(sample)).hash(throwaway)
        else:
            found = hash_password(throwaway)
        _DUMMIES[kind] = found
    return found


# --------------------------------------------------------------------------- compiled validator


class UsersFileValidator:
    """One instance compiled for the request path. ``validate`` runs in worker threads and
    ``stored_hash`` on the event loop; both see the file as of the last look at it, at most
    ``interval`` seconds old. Looking (and re-reading) is serialised by a lock."""

    def __init__(self, instance_id: str, path: str, key: FileKey, users: Users, interval: float = CHECK_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.id = instance_id
        self.path = path
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._key: FileKey | None = key
        self._users = users  # replaced whole, so a reader without the lock sees one consistent reading
        self._error: str | None = None  # why the file is unusable now (then every user is refused)
        self._checked = clock()

    @property
    def error(self) -> str | None:
        """Why the file is unusable (every user is refused), or None while it is in use."""
        return self._error

    def current(self) -> Users:
        """The users as of now, re-reading the file when its stat changed (at most once per interval)."""
        if self._clock() - self._checked < self._interval:
            return self._users
        with self._lock:
            now = self._clock()
            if now - self._checked >= self._interval:
                self._checked = now
                self._refresh()
            return self._users

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            self._fail(None, _reason(exc))
            return
        seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        if seen == self._key:
            return  # unchanged: keep the reading (or the failure) it already gave
        try:
            key, users = read_users(self.path)
        except (OSError, UsersFileError) as exc:
            self._fail(seen, _reason(exc))
            return
        if self._error is not None:
            log.warning("password credential validator %r: users file %s is usable again", self.id, self.path)
        self._key, self._users, self._error = key, users, None

    def _fail(self, key: FileKey | None, reason: str) -> None:
        if key != self._key or reason != self._error:  # once per change, not per request
            log.error("password credential validator %r refuses every user: users file %s %s", self.id,
                      self.path, reason)
        self._key, self._users, self._error = key, Users({}), reason

    def stored_hash(self, username: str) -> str | None:
        """The user's current hash (it changes with the password, so the verified-credential cache
        misses), or None for an unknown user or while the file is unusable."""
        return self.current().by_name.get(username)

    def validate(self, username: str, password: str) -> dict[str, Any] | None:
        """``{"username": ...}`` when the pair is right, else None. Slow on purpose: a worker thread."""
        users = self.current()
        stored = users.by_name.get(username)
        if stored is None:
            _verify(_dummy_hash(users.sample), password)  # the same effort as a wrong password
            return None
        return {"username": username} if _verify(stored, password) else None


DESCRIPTOR = PluginDescriptor(
    id=PLUGIN_ID,
    name="Users File Credential Validator",
    description="Validates usernames and passwords against an Apache htpasswd-format file (bcrypt or argon2 "
                "hashes). The file is re-read when it changes.",
    fields=(
        FieldDescriptor(USERS_FILE, FieldType.TEXT, "Absolute path of the htpasswd-format users file "
                        "(username:hash per line). In a cluster it must exist at this path on every node.",
                        required=True, rules=(_check_users_file,)),
    ),
    core_attributes=("username",),
    supports_extended_contract=False,
)


def _build(instance_id: str, config: NormalizedConfig) -> UsersFileValidator:
    path = config.values().get(USERS_FILE, "")
    try:
        key, users = read_users(path)
    except (OSError, UsersFileError) as exc:
        raise PcvBuildError(f"users file {path} {_reason(exc)}") from exc
    return UsersFileValidator(instance_id, path, key, users, CHECK_INTERVAL)


TYPE = PcvType(DESCRIPTOR, _build)

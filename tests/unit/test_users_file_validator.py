"""The users file credential validator add-on without a server: what it accepts in an htpasswd
file, how it reloads a changed file (on an injected clock), and how it fails closed."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
import pytest
from argon2 import PasswordHasher

from tokensmith.pcv.base import PcvBuildError, build_validator, pcv_types
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith_addons import users_file_validator as uf

FAST_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def bcrypt_line(user: str, password: str, prefix: str = "2b") -> str:
    """A bcrypt line of cost 4 (fast); ``2y`` (what htpasswd writes) is the same algorithm as ``2b``."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    return f"{user}:${prefix}{hashed[3:]}"


def argon2_line(user: str, password: str) -> str:
    return f"{user}:{FAST_ARGON2.hash(password)}"


def write(path: Path, *lines: str) -> None:
    """Replace the file as editors and htpasswd-managing tools often do (a new inode each time)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.htpasswd"
    write(path, "# operators", "", bcrypt_line("alice", "alice-pw"), argon2_line("bob", "bob-pw"))
    return path


def _validator(path: Path, clock: Clock) -> uf.UsersFileValidator:
    key, users = uf.read_users(str(path))
    return uf.UsersFileValidator("users", str(path), key, users, 1.0, clock)


def test_the_add_on_is_a_password_credential_validator_type() -> None:
    assert pcv_types()[uf.PLUGIN_ID] is uf.TYPE
    descriptor = uf.TYPE.descriptor.to_json()
    assert descriptor["attributeContract"] == ["username"] and descriptor["supportsExtendedContract"] is False
    assert [f["name"] for f in descriptor["configDescriptor"]["fields"]] == ["Users File"]


def test_bcrypt_and_argon2_lines_are_accepted_with_comments_and_blank_lines() -> None:
    text = "\n".join(("# comment", "   ", bcrypt_line("a", "x", "2y"), bcrypt_line("b", "x", "2a"),
                      bcrypt_line("c", "x"), argon2_line("d", "x"), "  # indented comment", ""))
    assert sorted(uf.parse(text)) == ["a", "b", "c", "d"]
    assert uf.parse("") == {}


@pytest.mark.parametrize(("line", "words"), [
    ("alice:$apr1$abcdefgh$0123456789abcdefghijkl", "MD5 ($apr1$)"),
    ("alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "SHA-1 ({SHA})"),
    ("alice:$6$saltsalt$" + "a" * 86, "SHA-512-crypt"),
    ("alice:abJnggxhB/yWI", "not a bcrypt or argon2 hash"),  # crypt(3) DES
    ("alice:plaintext-password", "not a bcrypt or argon2 hash"),
    ("alice:$2y$05$short", "bcrypt hash is malformed"),
    ("alice:$2y$99$" + "a" * 53, "bcrypt hash is malformed"),
    ("alice:$argon2id$v=19$garbage", "argon2 hash is malformed"),
    ("alice", "expected 'username:hash'"),
    (":$2y$05$" + "a" * 53, "username is empty"),
])
def test_bad_lines_are_refused_naming_the_line(line: str, words: str) -> None:
    with pytest.raises(uf.UsersFileError) as caught:
        uf.parse(f"# header\n{bcrypt_line('zed', 'x')}\n{line}\n")
    assert str(caught.value).startswith("line 3: ") and words in str(caught.value)
    assert "alice" not in str(caught.value)  # nothing of the file is echoed


def test_a_duplicate_username_is_refused() -> None:
    with pytest.raises(uf.UsersFileError, match=r"^line 4: the username of line 1 appears again$"):
        uf.parse("\n".join((bcrypt_line("alice", "1"), bcrypt_line("bob", "2"), "", bcrypt_line("alice", "3"))))


def test_unusable_files(tmp_path: Path) -> None:
    for path, words in (("users.htpasswd", "must be an absolute path"), (str(tmp_path / "missing"), "No such file"),
                        (str(tmp_path), "Is a directory"), (str(tmp_path / "a\0b"), "not a usable path")):
        assert words in (uf._check_users_file(path) or "")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert uf._check_users_file(str(fifo)) == "is not a regular file"  # and opening it did not hang
    latin = tmp_path / "latin1"
    latin.write_bytes(b"# ok\n" + b"caf\xe9:x\n")
    assert uf._check_users_file(str(latin)) == "line 2: is not UTF-8"


def test_passwords_are_checked_against_both_schemes(users_file: Path) -> None:
    validator = _validator(users_file, Clock())
    assert validator.validate("alice", "alice-pw") == {"username": "alice"}
    assert validator.validate("bob", "bob-pw") == {"username": "bob"}
    for user, password in (("alice", "bob-pw"), ("bob", "alice-pw"), ("alice", "alice-pw\0"), ("carol", "x"),
                           ("alice", "\ud800")):
        assert validator.validate(user, password) is None
    assert validator.stored_hash("alice") == users_file.read_text().splitlines()[2].split(":", 1)[1]
    assert validator.stored_hash("carol") is None


def test_unknown_users_are_checked_against_a_hash_like_the_files() -> None:
    bcrypt_users = uf.Users.of(uf.parse("\n".join(bcrypt_line(u, "x") for u in "abc") + "\n" + argon2_line("d", "x")))
    assert uf._dummy_hash(bcrypt_users.sample).startswith("$2b$04$")
    argon_users = uf.Users.of(uf.parse(argon2_line("d", "x")))
    assert uf._dummy_hash(argon_users.sample).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert uf._dummy_hash("").startswith("$argon2id$v=19$m=19456,t=2,p=1$")  # an empty file: the project's own


def test_an_edited_file_takes_effect_after_the_check_interval(users_file: Path) -> None:
    clock = Clock()
    validator = _validator(users_file, clock)
    before = validator.stored_hash("alice")
    write(users_file, bcrypt_line("alice", "new-pw"))
    clock.now += 0.5
    assert validator.validate("alice", "alice-pw") is not None  # not looked at yet
    clock.now += 0.5
    assert validator.validate("alice", "alice-pw") is None
    assert validator.validate("alice", "new-pw") == {"username": "alice"}
    assert validator.stored_hash("alice") not in (None, before)
    assert validator.validate("bob", "bob-pw") is None  # removed


def test_an_unchanged_file_is_not_read_again(users_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    validator = _validator(users_file, clock)
    reads: list[str] = []
    real = uf.read_users
    monkeypatch.setattr(uf, "read_users", lambda path: reads.append(path) or real(path))
    for _ in range(3):
        clock.now += 2
        assert validator.stored_hash("alice") is not None
    assert reads == []
    write(users_file, bcrypt_line("alice", "new-pw"))
    clock.now += 2
    assert validator.stored_hash("bob") is None and reads == [str(users_file)]


def test_a_broken_or_missing_file_fails_closed_and_is_logged_once_per_change(
        users_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    validator = _validator(users_file, clock)
    good = users_file.read_text()
    caplog.set_level(logging.WARNING, "tokensmith.pcv.usersfile")
    users_file.unlink()
    for _ in range(3):
        clock.now += 1
        assert validator.validate("alice", "alice-pw") is None and validator.stored_hash("alice") is None
    assert validator.error is not None and "No such file" in validator.error
    write(users_file, good.strip(), "carol:$apr1$abcdefgh$0123456789abcdefghijkl")
    for _ in range(3):
        clock.now += 1
        assert validator.validate("bob", "bob-pw") is None
    assert validator.error is not None and validator.error.startswith("line 5: the MD5")
    write(users_file, good.strip())
    clock.now += 1
    assert validator.validate("alice", "alice-pw") == {"username": "alice"} and validator.error is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3, messages
    assert "No such file" in messages[0] and "line 5" in messages[1] and "usable again" in messages[2]
    assert "alice-pw" not in caplog.text and "$2b$" not in caplog.text


def test_concurrent_checks_while_the_file_changes(users_file: Path) -> None:
    validator = uf.UsersFileValidator("users", str(users_file), *uf.read_users(str(users_file)), interval=0.0)
    stop = threading.Event()

    def edit() -> None:
        lines = [bcrypt_line("alice", "alice-pw"), argon2_line("bob", "bob-pw")]
        while not stop.is_set():
            write(users_file, *lines)
            lines.reverse()

    editor = threading.Thread(target=edit)
    editor.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: validator.validate(("alice", "bob")[i % 2],
                                                                 ("alice-pw", "bob-pw")[i % 2]), range(40)))
    finally:
        stop.set()
        editor.join()
    assert all(r is not None for r in results)  # every reading was a whole file
    assert validator.error is None


def test_build_reads_the_file_and_refuses_an_unreadable_one(users_file: Path, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    config = NormalizedConfig({"tables": [], "fields": [{"name": "Users File", "value": str(users_file)}]})
    built = uf.TYPE.build("users", config)
    assert built.validate("alice", "alice-pw") == {"username": "alice"}
    missing = NormalizedConfig({"tables": [], "fields": [{"name": "Users File", "value": str(tmp_path / "gone")}]})
    with pytest.raises(PcvBuildError, match="cannot be read"):
        uf.TYPE.build("users", missing)
    doc = {"id": "users", "pluginDescriptorRef": {"id": uf.PLUGIN_ID}, "configuration": missing.doc}
    assert build_validator(doc) is None
    assert "password credential validator 'users' is unavailable" in caplog.text

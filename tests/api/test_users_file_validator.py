"""The users file credential validator add-on through the admin API, the OAuth password grant and a
WS-Trust Username Token Processor, with users files written by Apache's ``htpasswd``."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, Admin, Runtime
from tests.stskit import USERNAME_PROC, cxf_issue, fault_code, generator, requested_token
from tokensmith.crypto.passwords import hash_password
from tokensmith.datadir import initialise
from tokensmith.settings import Settings
from tokensmith_addons import users_file_validator as uf

APP = ("app", "app-secret-0123456789")
FIELD = "configuration.fields[Users File]"
HTPASSWD = "/usr/bin/htpasswd"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """SQLite only: the validator keeps nothing in the configuration store but one path."""
    s = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999)
    initialise(s, admin_password=ADMIN_PASSWORD)
    return s


@pytest.fixture
def check_interval() -> float:
    return 0.0  # look at the file on every request, so edits show without waiting


@pytest.fixture(autouse=True)
def _interval(monkeypatch: pytest.MonkeyPatch, check_interval: float) -> None:
    monkeypatch.setattr(uf, "CHECK_INTERVAL", check_interval)


def htpasswd(*args: str) -> None:
    subprocess.run([HTPASSWD, *args], check=True, capture_output=True)


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    """alice (bcrypt, written by ``htpasswd -B``) and bob (argon2id, by argon2-cffi)."""
    path = tmp_path / "users.htpasswd"
    htpasswd("-B", "-b", "-c", str(path), "alice", "alice-password-1")
    assert path.read_text().startswith("alice:$2y$")
    with path.open("a") as f:
        f.write(f"# added by hand\n\nbob:{hash_password('bob-password-22')}\n")
    return path


def body(path: str | Path, pcv_id: str = "users", **extra: Any) -> dict[str, Any]:
    return {"id": pcv_id, "name": "Users file", "pluginDescriptorRef": {"id": uf.PLUGIN_ID},
            "configuration": {"fields": [{"name": "Users File", "value": str(path)}]}, **extra}


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e.get("fieldPath", ""), e["message"]) for e in response.json()["validationErrors"]]


# --------------------------------------------------------------------------- admin API


async def test_the_add_on_is_listed_and_an_instance_reads_back_equal(admin: Admin, users_file: Path) -> None:
    listed = await admin.ok("GET", "/passwordCredentialValidators/descriptors")
    ids = [d["id"] for d in listed["items"]]
    assert uf.PLUGIN_ID in ids and ids.index(uf.PLUGIN_ID) > 0  # after the bundled simple validator
    one = await admin.ok("GET", f"/passwordCredentialValidators/descriptors/{uf.PLUGIN_ID}")
    assert one["name"] == "Users File Credential Validator" and one["attributeContract"] == ["username"]
    assert [(f["name"], f["type"], f["required"]) for f in one["configDescriptor"]["fields"]] == [
        ("Users File", "TEXT", True)]
    created = await admin.ok("POST", "/passwordCredentialValidators", body(users_file))
    assert created["configuration"]["fields"] == [{"name": "Users File", "value": str(users_file)}]
    assert created["attributeContract"]["coreAttributes"] == [{"name": "username"}]
    assert await admin.ok("GET", "/passwordCredentialValidators/users") == created
    again = await admin.ok("PUT", "/passwordCredentialValidators/users", created)
    assert again["configuration"] == created["configuration"]
    extended = await admin.post("/passwordCredentialValidators", body(
        users_file, "other", attributeContract={"extendedAttributes": [{"name": "mail"}]}))
    assert errors(extended) == [("attributeContract.extendedAttributes",
                                 "This validator type has a fixed attribute contract")]


BAD_FILES = {
    "garbage": ("alice:$2y$05$abc\n", "line 1: the bcrypt hash is malformed"),
    "md5": ("# exported\nalice:$apr1$abcdefgh$0123456789abcdefghijkl\n", "line 2: the MD5 ($apr1$) scheme"),
    "sha": ("\n\nalice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n", "line 3: the SHA-1 ({SHA}) scheme"),
    "no-colon": ("alice\n", "line 1: expected 'username:hash'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_a_bad_line_is_refused_naming_it(admin: Admin, tmp_path: Path, users_file: Path, case: str) -> None:
    text, message = BAD_FILES[case]
    path = tmp_path / "bad.htpasswd"
    path.write_text(text)
    [(field, got)] = errors(await admin.post("/passwordCredentialValidators", body(path)))
    assert field == FIELD and got.startswith(f"Users File: {message}"), got
    assert "alice" not in got


async def test_duplicate_users_and_unusable_paths_are_refused(admin: Admin, tmp_path: Path,
                                                              users_file: Path) -> None:
    htpasswd("-B", "-b", str(users_file), "carol", "carol-password")
    with users_file.open("a") as f:
        f.write(users_file.read_text().splitlines()[0] + "\n")  # alice again, on line 6
    for path, message in ((users_file, "Users File: line 6: the username of line 1 appears again"),
                          ("users.htpasswd", "Users File: must be an absolute path"),
                          (tmp_path / "missing", "Users File: cannot be read: No such file or directory"),
                          (tmp_path, "Users File: cannot be read: Is a directory")):
        assert errors(await admin.post("/passwordCredentialValidators", body(path))) == [(FIELD, message)]
    for odd in ("/dev/zero", "/" + "a" * 5000, "/proc/self/environ/x", "/etc/shadow"):
        [(field, _)] = errors(await admin.post("/passwordCredentialValidators", body(odd)))
        assert field == FIELD
    surrogate = await admin.post("/passwordCredentialValidators", content=json.dumps(body("/tmp/\ud800")),
                                 headers={"Content-Type": "application/json"})
    assert 400 <= surrogate.status_code < 500
    assert (await admin.get("/passwordCredentialValidators/users")).status_code == 404


async def test_an_update_checks_the_file_again(admin: Admin, users_file: Path) -> None:
    created = await admin.ok("POST", "/passwordCredentialValidators", body(users_file))
    users_file.write_text("alice:$apr1$abcdefgh$0123456789abcdefghijkl\n")
    [(field, message)] = errors(await admin.put("/passwordCredentialValidators/users", created))
    assert field == FIELD and message.startswith("Users File: line 1: the MD5")


@pytest.mark.parametrize(("configuration", "path"), [
    ({"fields": [{"name": "Users File", "value": 5}]}, "configuration.fields[0].value"),
    ({"fields": [{"name": "Users File", "value": ["/etc/passwd"]}]}, "configuration.fields[0].value"),
    ({"fields": {"Users File": "/x"}}, "configuration.fields"),
    ("/etc/passwd", "configuration"),
    ({"fields": []}, FIELD),
    ({"fields": [{"name": "Users File", "value": "/tmp/a\u0000b"}]}, FIELD),
])
async def test_wrong_json_is_refused_with_422(admin: Admin, configuration: Any, path: str) -> None:
    response = await admin.post("/passwordCredentialValidators", {**body("/x"), "configuration": configuration})
    assert path in [field for field, _ in errors(response)]


# --------------------------------------------------------------------------- the password grant


@pytest.fixture
async def configured(admin: Admin, users_file: Path) -> Admin:
    await admin.reference_atm("ref", attributes=("user",))
    await admin.ok("POST", "/passwordCredentialValidators", body(users_file))
    await admin.mapping("PCV", "ref", {"user": ("PASSWORD_CREDENTIAL_VALIDATOR", "username")}, context_ref="users")
    await admin.client_app(grants=("RESOURCE_OWNER_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"))
    return admin


async def _grant(runtime: Runtime, user: str, password: str) -> httpx.Response:
    return await runtime.token({"grant_type": "password", "username": user, "password": password}, APP)


async def _signs_in(runtime: Runtime, user: str, password: str) -> bool:
    response = await _grant(runtime, user, password)
    if response.status_code == 200:
        info = await runtime.introspect(response.json()["access_token"])
        assert info["active"] and info["user"] == user
        return True
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant", response.text
    return False


async def test_bcrypt_from_htpasswd_and_argon2_users_get_tokens(configured: Admin, runtime: Runtime) -> None:
    assert await _signs_in(runtime, "alice", "alice-password-1")
    assert await _signs_in(runtime, "bob", "bob-password-22")
    assert not await _signs_in(runtime, "alice", "bob-password-22")
    assert not await _signs_in(runtime, "bob", "wrong")
    assert not await _signs_in(runtime, "mallory", "alice-password-1")
    assert not await _signs_in(runtime, "# added by hand", "x")


async def test_htpasswd_edits_take_effect_without_a_configuration_change(configured: Admin, runtime: Runtime,
                                                                         users_file: Path) -> None:
    assert await _signs_in(runtime, "alice", "alice-password-1")
    assert await _signs_in(runtime, "alice", "alice-password-1")  # now remembered by the credential cache
    htpasswd("-B", "-b", str(users_file), "alice", "alice-password-NEW")
    assert not await _signs_in(runtime, "alice", "alice-password-1")
    assert await _signs_in(runtime, "alice", "alice-password-NEW")
    assert await _signs_in(runtime, "bob", "bob-password-22")
    htpasswd("-D", str(users_file), "bob")
    assert not await _signs_in(runtime, "bob", "bob-password-22")
    htpasswd("-B", "-b", str(users_file), "carol", "carol-password")
    assert await _signs_in(runtime, "carol", "carol-password")


async def test_a_deleted_or_broken_file_refuses_everyone_until_it_is_back(configured: Admin, runtime: Runtime,
                                                                          users_file: Path) -> None:
    good = users_file.read_text()
    assert await _signs_in(runtime, "alice", "alice-password-1")
    users_file.unlink()
    assert not await _signs_in(runtime, "alice", "alice-password-1")
    users_file.write_text(good + "dave:$apr1$abcdefgh$0123456789abcdefghijkl\n")
    assert not await _signs_in(runtime, "bob", "bob-password-22")
    users_file.write_text(good)
    assert await _signs_in(runtime, "alice", "alice-password-1")
    assert await _signs_in(runtime, "bob", "bob-password-22")


@pytest.mark.parametrize("check_interval", [uf.CHECK_INTERVAL])
async def test_with_the_default_interval_an_edit_shows_within_a_second(configured: Admin, runtime: Runtime,
                                                                       users_file: Path) -> None:
    assert await _signs_in(runtime, "bob", "bob-password-22")
    htpasswd("-D", str(users_file), "bob")
    await asyncio.sleep(1.2)  # past the check interval (nothing here measures time)
    assert not await _signs_in(runtime, "bob", "bob-password-22")


# --------------------------------------------------------------------------- WS-Trust


async def test_a_username_token_processor_checks_the_users_file(admin: Admin, http: httpx.AsyncClient,
                                                                users_file: Path) -> None:
    from tests.keyfiles import generate

    await generate(admin, "signer")
    await admin.ok("POST", "/passwordCredentialValidators", body(users_file))
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": "utp", "name": "Username tokens", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "users"}]}]}]},
        "attributeContract": {"coreAttributes": [{"name": "username"}]}})
    await generator(admin, key_pair="signer")
    await admin.ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
        "sourceId": "utp", "targetId": "saml2gen",
        "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": "username"},
                                         "role": {"source": {"type": "TEXT"}, "value": "employee"}}})

    async def issue(user: str, password: str) -> httpx.Response:
        return await http.post("http://127.0.0.1:9031/pf/sts.wst", content=cxf_issue(user, password),
                               headers={"Content-Type": "text/xml; charset=utf-8"})

    issued = await issue("alice", "alice-password-1")
    assert issued.status_code == 200, issued.text
    assert requested_token(issued.content).xpath("//*[local-name()='NameID']/text()") == ["alice"]
    assert fault_code((await issue("alice", "wrong-password")).content) == "wst:FailedAuthentication"
    htpasswd("-D", str(users_file), "alice")
    assert fault_code((await issue("alice", "alice-password-1")).content) == "wst:FailedAuthentication"

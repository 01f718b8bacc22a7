"""The verified-credential cache seen from the wire: a UsernameToken (or password grant) that was
just accepted is accepted again without a new password hash; a wrong password, a changed password,
a changed validator and a switched-off cache all still take the slow check."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, SIMPLE_PCV, Admin, Runtime
from tests.stskit import cxf_issue, fault_code, requested_token, username_setup, users_table
from tokensmith.datadir import initialise
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.settings import Settings

SOAP11_TYPE = "text/xml; charset=utf-8"


@pytest.fixture
def cache_seconds() -> float:
    return 60.0


@pytest.fixture
def settings(tmp_path: Path, cache_seconds: float) -> Settings:
    s = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999, credential_cache_seconds=cache_seconds)
    initialise(s, admin_password=ADMIN_PASSWORD)
    return s


# Each test signs in as its own user, so failures in one test never lock another test's user out.
USERS = (("cache-1", "cache-password-1"), ("cache-2", "cache-password-2"), ("cache-3", "cache-password-3"),
         ("cache-4", "cache-password-4"), ("bob", "bob-password-22"))


@pytest.fixture
async def sts(admin: Admin) -> Admin:
    await username_setup(admin)
    pcv = await admin.ok("GET", "/passwordCredentialValidators/simple")
    pcv["configuration"] = users_table(*USERS)
    await admin.ok("PUT", "/passwordCredentialValidators/simple", pcv)
    return admin


async def _issue(http: httpx.AsyncClient, user: str, password: str) -> httpx.Response:
    return await http.post("http://127.0.0.1:9031/pf/sts.wst", content=cxf_issue(user, password),
                           headers={"Content-Type": SOAP11_TYPE})


def _subject(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    names = requested_token(response.content).xpath("//*[local-name()='NameID']/text()")
    return str(names[0])


async def test_a_repeated_username_token_is_answered_from_the_cache(sts: Admin, http: httpx.AsyncClient) -> None:
    before = VERIFIED_PASSWORDS.hits
    assert _subject(await _issue(http, "cache-1", "cache-password-1")) == "cache-1"
    assert VERIFIED_PASSWORDS.hits == before
    for _ in range(3):
        assert _subject(await _issue(http, "cache-1", "cache-password-1")) == "cache-1"
    assert VERIFIED_PASSWORDS.hits == before + 3


async def test_a_wrong_password_after_a_cached_success_is_refused(sts: Admin, http: httpx.AsyncClient) -> None:
    assert _subject(await _issue(http, "cache-2", "cache-password-2")) == "cache-2"
    assert _subject(await _issue(http, "cache-2", "cache-password-2")) == "cache-2"
    hits = VERIFIED_PASSWORDS.hits
    for wrong in ("cache-password-9", "cache-password-2 ", "CACHE-PASSWORD-2"):
        refused = await _issue(http, "cache-2", wrong)
        assert fault_code(refused.content) == "wst:FailedAuthentication"
    assert VERIFIED_PASSWORDS.hits == hits


async def test_a_changed_password_or_validator_is_checked_afresh(sts: Admin, http: httpx.AsyncClient) -> None:
    assert _subject(await _issue(http, "cache-3", "cache-password-3")) == "cache-3"
    assert _subject(await _issue(http, "cache-3", "cache-password-3")) == "cache-3"
    pcv = await sts.ok("GET", "/passwordCredentialValidators/simple")
    pcv["configuration"] = users_table(("cache-3", "cache-password-NEW"), ("bob", "bob-password-22"))
    await sts.ok("PUT", "/passwordCredentialValidators/simple", pcv)
    old = await _issue(http, "cache-3", "cache-password-3")
    assert fault_code(old.content) == "wst:FailedAuthentication"
    assert _subject(await _issue(http, "cache-3", "cache-password-NEW")) == "cache-3"
    assert _subject(await _issue(http, "bob", "bob-password-22")) == "bob"
    pcv["configuration"] = users_table(("bob", "bob-password-22"))  # cache-3 removed
    await sts.ok("PUT", "/passwordCredentialValidators/simple", pcv)
    gone = await _issue(http, "cache-3", "cache-password-NEW")
    assert fault_code(gone.content) == "wst:FailedAuthentication"


@pytest.mark.parametrize("cache_seconds", [0.0])
async def test_switched_off_nothing_is_answered_from_the_cache(sts: Admin, http: httpx.AsyncClient) -> None:
    hits = VERIFIED_PASSWORDS.hits
    for _ in range(3):
        assert _subject(await _issue(http, "cache-4", "cache-password-4")) == "cache-4"
    assert fault_code((await _issue(http, "cache-4", "wrong-password")).content) == "wst:FailedAuthentication"
    assert VERIFIED_PASSWORDS.hits == hits


async def test_the_password_grant_uses_the_cache_too(admin: Admin, runtime: Runtime) -> None:
    await admin.reference_atm("ref", attributes=("user",))
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users_table(("alice", "alice-password-1"))})
    await admin.mapping("PCV", "ref", {"user": ("PASSWORD_CREDENTIAL_VALIDATOR", "username")}, context_ref="simple")
    await admin.client_app(grants=("RESOURCE_OWNER_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"))
    app = ("app", "app-secret-0123456789")
    form = {"grant_type": "password", "username": "alice", "password": "alice-password-1"}
    assert (await runtime.token(form, app)).status_code == 200
    hits = VERIFIED_PASSWORDS.hits
    issued = await runtime.token(form, app)
    assert issued.status_code == 200 and VERIFIED_PASSWORDS.hits == hits + 1
    assert (await runtime.introspect(issued.json()["access_token"]))["user"] == "alice"
    wrong = await runtime.token({**form, "password": "alice-password-2"}, app)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert VERIFIED_PASSWORDS.hits == hits + 1

"""docs/plugins.md's example add-on validator works as written: loaded through the entry-point group
exactly as an installed add-on would be, it is listed by the admin API, its secret field is stored
hashed, and the OAuth password grant accepts its account and refuses everything else."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from tests.conftest import Admin, Runtime
from tokensmith.pcv.base import CREDENTIAL_VALIDATORS
from tokensmith.plugins import kind as kind_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ID = "com.example.ServiceAccountValidator"
APP = ("app", "app-secret-0123456789")


def _example_source() -> str:
    text = (ROOT / "docs" / "plugins.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "docs/plugins.md has one Python example"
    return blocks[0]


@pytest.fixture(autouse=True)
def example_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "example_validator.py").write_text(_example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    real = kind_module.entry_points
    example = EntryPoint("service-account", "example_validator:TYPE", CREDENTIAL_VALIDATORS.group)

    def with_example(group: str) -> list[EntryPoint]:
        found = list(real(group=group))
        return [*found, example] if group == CREDENTIAL_VALIDATORS.group else found

    monkeypatch.setattr(kind_module, "entry_points", with_example)
    monkeypatch.setattr(CREDENTIAL_VALIDATORS, "_types", None)  # load the kind again, with the add-on
    yield
    sys.modules.pop("example_validator", None)


async def test_the_documented_add_on_validator_is_listed_and_validates(admin: Admin, runtime: Runtime) -> None:
    listed = await admin.ok("GET", "/passwordCredentialValidators/descriptors")
    assert EXAMPLE_ID in [d["id"] for d in listed["items"]]

    await admin.reference_atm("ref", attributes=("user",))
    created = await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "svc", "name": "Service account", "pluginDescriptorRef": {"id": EXAMPLE_ID},
        "configuration": {"fields": [{"name": "Username", "value": "deploy-bot"},
                                     {"name": "Password", "value": "deploy-bot-password-1"}]}})
    password = next(f for f in created["configuration"]["fields"] if f["name"] == "Password")
    assert "value" not in password and password["encryptedValue"].startswith("$argon2")
    await admin.mapping("PCV", "ref", {"user": ("PASSWORD_CREDENTIAL_VALIDATOR", "username")}, context_ref="svc")
    await admin.client_app(grants=("RESOURCE_OWNER_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"))

    issued = await runtime.token({"grant_type": "password", "username": "deploy-bot",
                                  "password": "deploy-bot-password-1"}, APP)
    assert issued.status_code == 200, issued.text
    info = await runtime.introspect(issued.json()["access_token"])
    assert info["active"] and info["user"] == "deploy-bot"
    for user, secret in (("deploy-bot", "wrong-password-123"), ("someone-else", "deploy-bot-password-1")):
        refused = await runtime.token({"grant_type": "password", "username": user, "password": secret}, APP)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


async def test_a_missing_required_field_of_the_add_on_is_a_validation_error(admin: Admin) -> None:
    response = await admin.request("POST", "/passwordCredentialValidators", {
        "id": "svc", "name": "Service account", "pluginDescriptorRef": {"id": EXAMPLE_ID},
        "configuration": {"fields": [{"name": "Username", "value": "deploy-bot"}]}})
    assert response.status_code == 422
    assert [e["fieldPath"] for e in response.json()["validationErrors"]] == ["configuration.fields[Password]"]

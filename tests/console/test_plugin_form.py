"""The descriptor-driven form works for any plugin type: a type the console has never heard of gets
every widget, its defaults, folded advanced fields, tables, and secrets that stay on the server."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.console.conftest import ConsoleClient, field_errors
from tokensmith.admin.kinds import access_token_managers, credential_validators
from tokensmith.config.model import ATM
from tokensmith.node import Node
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    check_box,
    integer,
    options_of,
)
from tokensmith.web.console import build_console
from tokensmith.web.console.web import field_id
from tokensmith.web.routing import Deps

GADGET = "com.example.GadgetTokenManager"
DESCRIPTOR = PluginDescriptor(
    id=GADGET, name="Gadget Tokens", description="A made-up type the console was not written for.",
    fields=(
        FieldDescriptor("Size", FieldType.TEXT, "How big.", default="7", required=True, rules=(integer(1, 9),)),
        FieldDescriptor("Notes", FieldType.TEXT_AREA, "Free text.", default="line one"),
        FieldDescriptor("Colour", FieldType.SELECT, "Pick one.", default="red", required=True,
                        options=options_of(("red", "Red"), ("blue", "Blue"))),
        FieldDescriptor("Mode", FieldType.RADIO_GROUP, "How.", default="fast",
                        options=options_of(("fast", "Fast"), ("safe", "Safe"))),
        check_box("Loud", "Whether it is loud.", default="true"),
        FieldDescriptor("Api Key", FieldType.TEXT, "A secret.", encrypted=True, required=True),
        FieldDescriptor("Pass Phrase", FieldType.HASHED_TEXT, "Hashed.", advanced=True),
        FieldDescriptor("Tuning", FieldType.TEXT, "Advanced knob.", default="3", advanced=True,
                        rules=(integer(0, 5),)),
    ),
    tables=(TableDescriptor("Keys", (FieldDescriptor("Key ID", required=True),
                                     FieldDescriptor("Secret", FieldType.TEXT, encrypted=True, required=True)),
                            "Rows of keys."),),
)
BASE = "/oauth/access-token-managers"


@pytest.fixture
async def gadget(node: Node) -> AsyncIterator[ConsoleClient]:
    registry = access_token_managers()
    registry.register(DESCRIPTOR)
    app = build_console(Deps(node, registry, credential_validators())).asgi()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9999") as http:
        client = ConsoleClient(http)
        assert (await client.login()).status_code == 303
        yield client


def _inputs(page: str) -> dict[str, str]:
    """name -> the tag of each form control."""
    found = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name:
            found.setdefault(html.unescape(name.group(1)), tag)
    return found


async def test_a_new_plugin_type_gets_a_complete_form(gadget: ConsoleClient) -> None:
    choose = await gadget.get(BASE + "/new")
    assert "Gadget Tokens" in choose.text and "A made-up type the console was not written for." in choose.text
    page = (await gadget.get(BASE + "/new", params={"type": GADGET})).text
    inputs = _inputs(page)
    assert 'value="7"' in inputs["configuration.fields[Size]"]
    assert inputs["configuration.fields[Notes]"].startswith("<textarea") and "line one" in page
    assert inputs["configuration.fields[Colour]"].startswith("<select")
    assert 'type="radio"' in inputs["configuration.fields[Mode]"]
    assert 'type="checkbox"' in inputs["configuration.fields[Loud]"] and "checked" in inputs[
        "configuration.fields[Loud]"]
    assert 'type="password"' in inputs["configuration.fields[Api Key]"]
    assert 'type="password"' in inputs["configuration.fields[Pass Phrase]"]
    assert 'type="password"' in inputs["configuration.tables[Keys].rows[0].fields[Secret]"]
    advanced = page[page.index("<details"):page.index("</details>")]
    assert "configuration.fields[Pass Phrase]" in advanced and "configuration.fields[Tuning]" in advanced
    assert "configuration.fields[Size]" not in advanced
    assert "How big." in page and "Rows of keys." in page


async def test_errors_land_on_fields_cells_and_open_the_advanced_section(gadget: ConsoleClient) -> None:
    rows = "configuration.tables[Keys].rows"
    response = await gadget.post(BASE + "/new", {
        "pluginDescriptorRef.id": GADGET, "id": "g1", "name": "G", "configuration.fields[Size]": "12",
        "configuration.fields[Tuning]": "9", f"{rows}[0].fields[Key ID]": "", f"{rows}[0].fields[Secret]": "s3cret",
        f"{rows}[1].fields[Key ID]": "", "_action": "save"})
    assert response.status_code == 422
    errors = field_errors(response.text)
    messages = [m for found in errors.values() for m in found]
    assert any("Size: must be between 1 and 9" in m for m in errors[field_id("configuration.fields[Size]")])
    assert any("Api Key is required" in m for m in errors[field_id("configuration.fields[Api Key]")])
    assert any("Key ID" in m for m in errors[field_id(f"{rows}[0].fields[Key ID]")])
    assert any("Tuning" in m for m in messages)
    assert "<details class=\"advanced\" open>" in response.text  # an advanced field has an error
    assert f"{rows}[1].fields[Key ID]" not in html.unescape(response.text)  # a row left empty is dropped


async def test_rows_are_added_and_removed_without_saving(gadget: ConsoleClient, node: Node) -> None:
    rows = "configuration.tables[Keys].rows"
    form = {"pluginDescriptorRef.id": GADGET, "id": "g2", "name": "G2", f"{rows}[0].fields[Key ID]": "k1",
            "_action": f"add:{rows}"}
    added = await gadget.post(BASE + "/new", form)
    assert added.status_code == 200 and f"{rows}[1].fields[Key ID]" in html.unescape(added.text)
    removed = await gadget.post(BASE + "/new",
                                {**form, f"{rows}[1].fields[Key ID]": "k2", "_action": f"remove:{rows}:0"})
    inputs = _inputs(removed.text)
    assert 'value="k2"' in inputs[f"{rows}[0].fields[Key ID]"] and f"{rows}[1].fields[Key ID]" not in inputs
    assert node.model().get(ATM, "g2") is None


async def test_secrets_stay_on_the_server_and_survive_a_blank_edit(gadget: ConsoleClient, node: Node) -> None:
    rows = "configuration.tables[Keys].rows"
    created = await gadget.post(BASE + "/new", {
        "pluginDescriptorRef.id": GADGET, "id": "g3", "name": "G3", "configuration.fields[Api Key]": "api-secret-1",
        "configuration.fields[Pass Phrase]": "phrase-1", f"{rows}[0].fields[Key ID]": "k1",
        f"{rows}[0].fields[Secret]": "row-secret-1", f"{rows}[1].fields[Key ID]": "k2",
        f"{rows}[1].fields[Secret]": "row-secret-2", "_action": "save"})
    assert created.status_code == 303, field_errors(created.text)
    stored = node.model().get(ATM, "g3")
    assert stored is not None
    before = stored["configuration"]

    edit = await gadget.get(BASE + "/edit", params={"id": "g3"})
    for secret in ("api-secret-1", "phrase-1", "row-secret-1", "OBF:JWE", "$argon2"):
        assert secret not in edit.text
    assert edit.text.count("Stored — leave blank to keep") == 4
    orig = re.findall(r'name="configuration.tables\[Keys\].rows\[(\d)\]._orig" value="(\d)"', edit.text)
    assert orig == [("0", "0"), ("1", "1")]

    # Remove the first row, keep every secret blank: the second row keeps its own secret.
    saved = await gadget.post(BASE + "/edit?id=g3", {
        "name": "G3 renamed", "configuration.fields[Size]": "5", f"{rows}[1].fields[Key ID]": "k2",
        f"{rows}[1]._orig": "1", "_action": "save"})
    assert saved.status_code == 303, field_errors(saved.text)
    after = node.model().get(ATM, "g3")
    assert after is not None
    config = after["configuration"]
    fields = {f["name"]: f for f in config["fields"]}
    old = {f["name"]: f for f in before["fields"]}
    assert fields["Api Key"]["encryptedValue"] == old["Api Key"]["encryptedValue"]
    assert fields["Pass Phrase"]["encryptedValue"] == old["Pass Phrase"]["encryptedValue"]
    assert fields["Size"]["value"] == "5" and after["name"] == "G3 renamed"
    key_rows = config["tables"][0]["rows"]
    assert len(key_rows) == 1 and key_rows[0]["fields"][0]["value"] == "k2"
    assert key_rows[0]["fields"][1]["encryptedValue"] == before["tables"][0]["rows"][1]["fields"][1]["encryptedValue"]
    assert node.box.decrypt(key_rows[0]["fields"][1]["encryptedValue"]) == "row-secret-2"


async def test_unknown_type_and_unknown_instance(gadget: ConsoleClient) -> None:
    assert (await gadget.get(BASE + "/new", params={"type": "no.such.Type"})).status_code == 404
    assert (await gadget.get(BASE + "/edit", params={"id": "missing"})).status_code == 404
    assert (await gadget.get(BASE + "/usage", params={"id": "missing"})).status_code == 404

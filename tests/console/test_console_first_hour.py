"""Console details a new administrator trips over: the favicon, a misspelt type in a create URL,
STS connections with several token generator mappings, and the processor contract's masked flag."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import Admin
from tests.console.conftest import ConsoleClient
from tests.stskit import SAML11_GEN, generator, signing_key, username_setup

CONNECTIONS = "/token-exchange/sts-connections"
PROCESSORS = "/token-exchange/token-processors"


async def test_the_favicon_is_served_without_credentials(anonymous: ConsoleClient) -> None:
    icon = await anonymous.http.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
    static = await anonymous.get("/static/favicon.svg")
    assert static.status_code == 200 and static.content == icon.content
    login = await anonymous.get("/login")
    assert 'rel="icon"' in login.text


async def test_a_misspelt_type_in_the_create_url_says_so(console: ConsoleClient) -> None:
    page = await console.get("/oauth/access-token-managers/new", params={"type": "com.example.Misspelt"})
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert "Unknown type" in text and "com.example.Misspelt" in text
    assert "JSON Web Tokens" in text  # the installed types are offered instead
    chooser = await console.get("/oauth/access-token-managers/new")
    assert chooser.status_code == 200 and "Unknown type" not in chooser.text


def _inputs(page: str) -> dict[str, Any]:
    """Form values by input name (text inputs and hidden inputs); a repeated name gives a list."""
    found: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and kind and kind.group(1) in ("text", "hidden"):
            key, text = html.unescape(name.group(1)), html.unescape(value.group(1)) if value else ""
            if key in found:
                found[key] = [*(found[key] if isinstance(found[key], list) else [found[key]]), text]
            else:
                found[key] = text
    return found


def _selected(page: str) -> dict[str, str]:
    found = {}
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', page, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        found[html.unescape(name)] = html.unescape(chosen.group(1)) if chosen else ""
    return found


def _form(page: str) -> dict[str, Any]:
    data: dict[str, Any] = {**_inputs(page), **_selected(page)}
    data.pop("csrf_token", None)
    for name, value in re.findall(r'<input type="(?:checkbox|radio)" name="([^"]+)" value="([^"]*)" checked', page):
        data[html.unescape(name)] = value
    return data


async def test_an_sts_connection_edits_every_generator_mapping(console: ConsoleClient, admin: Admin) -> None:
    await username_setup(admin)
    await generator(admin, "saml1gen", plugin=SAML11_GEN)
    cert = signing_key("RSA", 2048, "partner").certificate_pem.decode()
    subject = {"source": {"type": "ASSERTION"}, "value": "TOKEN_SUBJECT"}
    created = await admin.ok("POST", "/sp/idpConnections", {
        "name": "Partner", "entityId": "https://idp.example",
        "credentials": {"certs": [{"x509File": {"fileData": cert}, "activeVerificationCert": True}]},
        "wsTrust": {"attributeContract": {}, "generateLocalToken": True, "tokenGeneratorMappings": [
            {"spTokenGeneratorRef": {"id": "saml2gen"}, "defaultMapping": True, "restrictedVirtualEntityIds": [],
             "attributeContractFulfillment": {"SAML_SUBJECT": subject,
                                              "role": {"source": {"type": "TEXT"}, "value": "two"}}},
            {"spTokenGeneratorRef": {"id": "saml1gen"}, "defaultMapping": False,
             "attributeContractFulfillment": {"SAML_SUBJECT": subject,
                                              "role": {"source": {"type": "TEXT"}, "value": "one"}}}]}})
    edit = await console.get(CONNECTIONS + "/edit", params={"id": created["id"]})
    assert edit.status_code == 200
    form = _form(edit.text)
    second = "wsTrust.tokenGeneratorMappings[1]"
    assert form[second + ".spTokenGeneratorRef.id"] == "saml1gen"
    assert form[second + ".attributeContractFulfillment.role.value"] == "one"
    assert form["wsTrust._default"] == "0"

    form[second + ".attributeContractFulfillment.role.value"] = "changed"
    form["wsTrust._default"] = "1"
    saved = await console.post(CONNECTIONS + "/edit", {**form, "_action": "save"}, params={"id": created["id"]})
    assert saved.status_code == 303, html.unescape(saved.text)
    stored = (await admin.ok("GET", f"/sp/idpConnections/{created['id']}"))["wsTrust"]["tokenGeneratorMappings"]
    assert [m["spTokenGeneratorRef"]["id"] for m in stored] == ["saml2gen", "saml1gen"]
    assert [m["attributeContractFulfillment"]["role"]["value"] for m in stored] == ["two", "changed"]
    assert [m["defaultMapping"] for m in stored] == [False, True]
    assert stored[0]["restrictedVirtualEntityIds"] == []  # a field the form does not show survives

    # add a third mapping slot, then remove the first mapping: the draft follows, nothing is saved yet
    added = await console.post(CONNECTIONS + "/edit", {**_form((await console.get(
        CONNECTIONS + "/edit", params={"id": created["id"]})).text), "_action": "add:wsTrust.tokenGeneratorMappings"},
        params={"id": created["id"]})
    assert "Mapping 3" in added.text
    removed = await console.post(CONNECTIONS + "/edit", {**_form(added.text),
                                                         "_action": "remove:wsTrust.tokenGeneratorMappings:0"},
                                 params={"id": created["id"]})
    remaining = _form(removed.text)
    assert remaining["wsTrust.tokenGeneratorMappings[0].spTokenGeneratorRef.id"] == "saml1gen"
    assert "Mapping 3" not in removed.text
    saved = await console.post(CONNECTIONS + "/edit", {**remaining, "_action": "save"}, params={"id": created["id"]})
    assert saved.status_code == 303, html.unescape(saved.text)
    stored = (await admin.ok("GET", f"/sp/idpConnections/{created['id']}"))["wsTrust"]["tokenGeneratorMappings"]
    assert [m["spTokenGeneratorRef"]["id"] for m in stored] == ["saml1gen"]
    assert stored[0]["defaultMapping"] is True


async def test_the_processor_contract_masked_flag_is_editable(console: ConsoleClient, admin: Admin) -> None:
    await username_setup(admin)
    processor = await admin.ok("GET", "/idp/tokenProcessors/utp")
    processor["attributeContract"]["coreAttributes"] = [{"name": "username", "masked": True}]
    await admin.ok("PUT", "/idp/tokenProcessors/utp", processor)
    edit = await console.get(PROCESSORS + "/edit", params={"id": "utp"})
    assert "Masked in logs" in edit.text
    assert re.search(r'name="attributeContract\.coreAttributes\[0\]\.masked" value="true" checked', edit.text)
    form = _form(edit.text)
    form.pop("attributeContract.coreAttributes[0].masked")
    saved = await console.post(PROCESSORS + "/edit", {**form, "_action": "save"}, params={"id": "utp"})
    assert saved.status_code == 303, html.unescape(saved.text)
    stored = await admin.ok("GET", "/idp/tokenProcessors/utp")
    assert stored["attributeContract"]["coreAttributes"] == [{"name": "username", "masked": False}]
    form["attributeContract.coreAttributes[0].masked"] = "true"
    saved = await console.post(PROCESSORS + "/edit", {**form, "_action": "save"}, params={"id": "utp"})
    assert saved.status_code == 303, html.unescape(saved.text)
    stored = await admin.ok("GET", "/idp/tokenProcessors/utp")
    assert stored["attributeContract"]["coreAttributes"] == [{"name": "username", "masked": True}]
    generators = await console.get("/token-exchange/token-generators/edit", params={"id": "saml2gen"})
    assert "Masked in logs" not in generators.text  # generators' contracts have no masked flag

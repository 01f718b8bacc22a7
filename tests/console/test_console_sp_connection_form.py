"""Console: SP connections created and edited on the form, through the admin API's own service:
its 422 rules shown next to the inputs, every processor mapping editable and reorderable, and
what the form does not show kept unchanged on an edit."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from tests.conftest import Admin
from tests.console.conftest import ConsoleClient, field_errors
from tests.stskit import SERVICE, sp_connection, sp_setup
from tokensmith.web.console.web import field_id

PAGE = "/token-exchange/sp-connections"
M0 = "wsTrust.tokenProcessorMappings[0]"
M1 = "wsTrust.tokenProcessorMappings[1]"


class _Form(HTMLParser):
    """What a browser would submit: text inputs, checked boxes, selected options, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._area: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        ticked = a.get("type") not in ("checkbox", "radio") or "checked" in a
        if tag == "input" and a.get("name") and a.get("type") != "submit" and ticked:
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._area = a.get("name")
            self.values.append((self._area or "", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._area = None

    def handle_data(self, data: str) -> None:
        if self._area is not None:
            name, value = self.values[-1]
            self.values[-1] = (name, value + data)


def scraped(page: str) -> dict[str, Any]:
    parser = _Form()
    parser.feed(page)
    out: dict[str, Any] = {}
    for name, value in parser.values:
        if name == "csrf_token":
            continue
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def _new_form() -> dict[str, Any]:
    return {"_action": "save", "name": "Orders", "entityId": "urn:partner:orders", "id": "orders", "active": "true",
            "wsTrust.partnerServiceIds": SERVICE + "\nhttps://ws.partner.example/orders2",
            "wsTrust.defaultTokenType": "SAML11", "wsTrust.minutesBefore": "2", "wsTrust.minutesAfter": "10",
            "credentials.signingSettings.signingKeyPairRef.id": "signer",
            "credentials.signingSettings.algorithm": "SHA256withRSA",
            "credentials.signingSettings.includeCertInSignature": "true",
            "wsTrust.attributeContract.extendedAttributes[0].name": "role",
            "wsTrust.attributeContract.extendedAttributes[0].namespace": "http://schemas.example.com/claims",
            f"{M0}.idpTokenProcessorRef.id": "utp",
            f"{M0}.attributeContractFulfillment._names": ["TOKEN_SUBJECT", "role"],
            f"{M0}.attributeContractFulfillment.TOKEN_SUBJECT.source.type": "TOKEN",
            f"{M0}.attributeContractFulfillment.TOKEN_SUBJECT.value": "username",
            f"{M0}.attributeContractFulfillment.role.source.type": "TEXT",
            f"{M0}.attributeContractFulfillment.role.value": "buyer",
            f"{M0}.issuanceCriteria.conditionalCriteria[0].source.type": "TOKEN",
            f"{M0}.issuanceCriteria.conditionalCriteria[0].attributeName": "username",
            f"{M0}.issuanceCriteria.conditionalCriteria[0].condition": "EQUALS",
            f"{M0}.issuanceCriteria.conditionalCriteria[0].value": "alice",
            f"{M0}.issuanceCriteria.conditionalCriteria[0].errorResult": "only alice"}


async def test_create_on_the_form_stores_what_the_admin_api_would(console: ConsoleClient, admin: Admin) -> None:
    await sp_setup(admin)
    blank = await console.get(PAGE + "/new")
    assert blank.status_code == 200 and "Add SP connection" in blank.text
    done = await console.post(PAGE + "/new", _new_form(), follow_redirects=True)
    assert done.status_code == 200 and "SP connection 'Orders' saved." in html.unescape(done.text)
    doc = (await admin.get("/idp/spConnections/orders")).json()
    ws = doc["wsTrust"]
    assert ws["partnerServiceIds"] == [SERVICE, "https://ws.partner.example/orders2"]
    assert ws["defaultTokenType"] == "SAML11" and (ws["minutesBefore"], ws["minutesAfter"]) == (2, 10)
    assert ws["attributeContract"]["extendedAttributes"] == [
        {"name": "role", "namespace": "http://schemas.example.com/claims"}]
    signing = doc["credentials"]["signingSettings"]
    assert signing["signingKeyPairRef"]["id"] == "signer" and signing["includeCertInSignature"] is True
    [mapping] = ws["tokenProcessorMappings"]
    assert mapping["idpTokenProcessorRef"]["id"] == "utp"
    assert mapping["attributeContractFulfillment"]["role"] == {"source": {"type": "TEXT"}, "value": "buyer"}
    assert mapping["issuanceCriteria"]["conditionalCriteria"][0]["errorResult"] == "only alice"


async def test_bad_input_shows_the_service_rules_next_to_the_fields(console: ConsoleClient, admin: Admin) -> None:
    await sp_setup(admin)
    await admin.ok("POST", "/idp/spConnections", sp_connection("taken"))
    form = _new_form() | {"wsTrust.partnerServiceIds": SERVICE, "wsTrust.minutesAfter": "soon",
                          "credentials.signingSettings.signingKeyPairRef.id": ""}
    bad = await console.post(PAGE + "/new", form)
    assert bad.status_code == 422
    assert "must be a whole number" in " ".join(field_errors(bad.text)[field_id("wsTrust.minutesAfter")])
    form["wsTrust.minutesAfter"] = "10"
    bad = await console.post(PAGE + "/new", form)
    assert bad.status_code == 422
    found = field_errors(bad.text)
    assert "already has partner service id" in " ".join(found[field_id("wsTrust.partnerServiceIds")])
    assert "does not exist" in " ".join(found[field_id("credentials.signingSettings.signingKeyPairRef.id")])
    assert 'value="Orders"' in bad.text and "only alice" in bad.text  # the user's values are kept
    assert (await admin.get("/idp/spConnections/orders")).status_code == 404


async def test_edit_second_mapping_reorder_and_keep_hidden_fields(console: ConsoleClient, admin: Admin) -> None:
    await sp_setup(admin)
    utp = (await admin.get("/idp/tokenProcessors/utp")).json()
    await admin.ok("POST", "/idp/tokenProcessors", {k: v for k, v in utp.items() if k not in ("id", "name")}
                   | {"id": "utp2", "name": "Second usernames"})
    body = sp_connection()
    first = body["wsTrust"]["tokenProcessorMappings"][0]
    body["wsTrust"]["tokenProcessorMappings"].append(first | {"idpTokenProcessorRef": {"id": "utp2"}})
    body["contactInfo"] = {"company": "Partner Inc"}
    body["credentials"]["blockEncryptionAlgorithm"] = "AES_256"
    await admin.ok("POST", "/idp/spConnections", body)
    before = (await admin.get("/idp/spConnections/orders")).json()

    page = await console.get(PAGE + "/edit", params={"id": "orders"})
    assert page.status_code == 200 and "Mapping 2" in page.text
    form = scraped(page.text)
    form.update({"_action": "save", "name": "Orders renamed",
                 f"{M1}.attributeContractFulfillment.role.value": "auditor"})
    done = await console.post(PAGE + "/edit?id=orders", form, follow_redirects=True)
    assert done.status_code == 200 and "saved" in done.text, done.text
    after = (await admin.get("/idp/spConnections/orders")).json()
    assert after["name"] == "Orders renamed"
    mappings = after["wsTrust"]["tokenProcessorMappings"]
    assert [m["idpTokenProcessorRef"]["id"] for m in mappings] == ["utp", "utp2"]
    assert mappings[1]["attributeContractFulfillment"]["role"]["value"] == "auditor"
    assert mappings[0]["attributeContractFulfillment"]["role"]["value"] == "buyer"
    for key in ("contactInfo", "loggingMode", "connectionTargetType", "entityId", "active"):
        assert after[key] == before[key]
    assert after["credentials"]["blockEncryptionAlgorithm"] == "AES_256"
    assert after["wsTrust"]["attributeContract"] == before["wsTrust"]["attributeContract"]
    assert {k: v for k, v in after["wsTrust"].items() if k != "tokenProcessorMappings"} == \
        {k: v for k, v in before["wsTrust"].items() if k != "tokenProcessorMappings"}

    # Move the second mapping up: the order is what the runtime tries first.
    page = await console.get(PAGE + "/edit", params={"id": "orders"})
    moved = await console.post(PAGE + "/edit?id=orders", scraped(page.text) | {
        "_action": "up:wsTrust.tokenProcessorMappings:1"})
    assert moved.status_code == 200
    form = scraped(moved.text) | {"_action": "save"}
    assert form[f"{M0}.idpTokenProcessorRef.id"] == "utp2"
    done = await console.post(PAGE + "/edit?id=orders", form, follow_redirects=True)
    assert done.status_code == 200 and "saved" in done.text
    mappings = (await admin.get("/idp/spConnections/orders")).json()["wsTrust"]["tokenProcessorMappings"]
    assert [m["idpTokenProcessorRef"]["id"] for m in mappings] == ["utp2", "utp"]
    assert mappings[0]["attributeContractFulfillment"]["role"]["value"] == "auditor"

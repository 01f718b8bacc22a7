"""Strict JSON types in the admin API: a value of the wrong JSON type is a 422 naming its field,
never converted (``"yes"`` is not ``true``, ``"30"`` is not ``30``, ``true`` is not ``1``), and
nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REFERENCE, Admin

CLIENT = {"clientId": "app", "name": "app", "grantTypes": ["CLIENT_CREDENTIALS"],
          "clientAuth": {"type": "SECRET", "secret": "app-secret-0123456789"}}
AUTH = {"authorizationCodeEntropy": 30, "authorizationCodeTimeout": 60, "refreshRollingInterval": 0,
        "refreshTokenLength": 42}
ATM = {"id": "ref", "name": "r", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
       "attributeContract": {"extendedAttributes": [{"name": "cid"}]}}


def _with(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(body)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


CASES = [
    ("POST", "/oauth/clients", CLIENT, ("enabled",), "yes", "enabled", "a boolean", "a string"),
    ("POST", "/oauth/clients", CLIENT, ("enabled",), 1, "enabled", "a boolean", "an integer"),
    ("POST", "/oauth/clients", CLIENT, ("persistentGrantExpirationTime",), "30",
     "persistentGrantExpirationTime", "an integer", "a string"),
    ("POST", "/oauth/clients", CLIENT, ("persistentGrantExpirationTime",), True,
     "persistentGrantExpirationTime", "an integer", "a boolean"),
    ("POST", "/oauth/clients", CLIENT, ("name",), 7, "name", "a string", "an integer"),
    ("PUT", "/oauth/authServerSettings", AUTH, ("refreshTokenLength",), "42", "refreshTokenLength",
     "an integer", "a string"),
    ("PUT", "/oauth/authServerSettings", AUTH, ("authorizationCodeTimeout",), False,
     "authorizationCodeTimeout", "an integer", "a boolean"),
    ("POST", "/oauth/accessTokenManagers", ATM, ("attributeContract", "extendedAttributes", 0, "multiValued"),
     "true", "attributeContract.extendedAttributes[0].multiValued", "a boolean", "a string"),
    ("POST", "/oauth/accessTokenManagers", ATM, ("configuration", "fields"), [{"name": "Token Length",
                                                                               "value": 30}],
     "configuration.fields[0].value", "a string", "an integer"),
    ("POST", "/oauth/accessTokenManagers", ATM, ("configuration", "fields"), [{"name": "Token Length",
                                                                               "value": True}],
     "configuration.fields[0].value", "a string", "a boolean"),
    ("POST", "/oauth/accessTokenManagers", ATM, ("configuration", "tables"),
     [{"name": "t", "rows": [{"fields": [], "defaultRow": "false"}]}],
     "configuration.tables[0].rows[0].defaultRow", "a boolean", "a string"),
    ("POST", "/keyPairs/signing/generate", {"commonName": "a", "organization": "o", "country": "US",
                                            "validDays": 30, "keyAlgorithm": "RSA"},
     ("validDays",), "30", "validDays", "an integer", "a string"),
    ("POST", "/keyPairs/signing/generate", {"commonName": "a", "organization": "o", "country": "US",
                                            "validDays": 30, "keyAlgorithm": "RSA"},
     ("keySize",), True, "keySize", "an integer", "a boolean"),
]


@pytest.mark.parametrize(("method", "path", "body", "where", "value", "field", "expected", "sent"), CASES)
async def test_wrong_json_type_is_422_naming_the_field(admin: Admin, method: str, path: str, body: dict[str, Any],
                                                       where: tuple[Any, ...], value: Any, field: str,
                                                       expected: str, sent: str) -> None:
    response = await admin.request(method, path, _with(body, where, value))
    assert response.status_code == 422, response.text
    errors = response.json()["validationErrors"]
    assert {"errorId": "invalid_type", "fieldPath": field,
            "message": f"'{field}' must be {expected}, not {sent}"} in errors


async def test_nothing_is_stored_after_a_type_error(admin: Admin) -> None:
    assert (await admin.post("/oauth/clients", {**CLIENT, "enabled": "false"})).status_code == 422
    assert (await admin.get("/oauth/clients/app")).status_code == 404
    await admin.ok("POST", "/oauth/clients", {**CLIENT, "enabled": False})
    assert (await admin.ok("GET", "/oauth/clients/app"))["enabled"] is False


async def test_bulk_import_is_strict_too(admin: Admin) -> None:
    document = {"operations": [{"resourceType": "/oauth/clients", "operationType": "SAVE",
                                "items": [{**CLIENT, "enabled": "yes"}]}]}
    response = await admin.post("/bulk/import", document)
    assert response.status_code == 422, response.text
    error = response.json()["validationErrors"][0]
    assert error["fieldPath"] == "operations[0].items[0].enabled"
    assert error["errorId"] == "invalid_type"
    assert (await admin.get("/oauth/clients/app")).status_code == 404


@pytest.mark.parametrize("value", [" 30", "+30", "3_0", "30.0", "٣٠", "true"])
async def test_plugin_integer_fields_take_plain_digits_only(admin: Admin, value: str) -> None:
    body = _with(ATM, ("configuration", "fields"), [{"name": "Token Length", "value": value}])
    response = await admin.post("/oauth/accessTokenManagers", body)
    assert response.status_code == 422, response.text
    assert response.json()["validationErrors"][0]["fieldPath"] == "configuration.fields[Token Length]"


@pytest.mark.parametrize("value", ["yes", "TRUE", "1", " true"])
async def test_plugin_checkbox_fields_take_true_or_false_only(admin: Admin, value: str) -> None:
    body = _with(ATM, ("configuration", "fields"), [{"name": "Expand Scope Groups", "value": value}])
    response = await admin.post("/oauth/accessTokenManagers", body)
    assert response.status_code == 422, response.text
    assert response.json()["validationErrors"][0]["fieldPath"] == "configuration.fields[Expand Scope Groups]"

"""Admin API: the JWT access token manager's 33 fields, two tables, defaults and every rule (422
naming the field), parent/child instances, and key pairs it uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Admin
from tests.jwtkit import JWT, body, jwt_atm, secret
from tests.keyfiles import generate, openssl_key_and_cert

PATH = "/oauth/accessTokenManagers"
FIELDS = [
    ("Token Lifetime", "120"), ("Use Centralized Signing Key", "false"), ("JWS Algorithm", ""),
    ("Active Symmetric Key ID", ""), ("Active Signing Certificate Key ID", ""), ("JWE Algorithm", ""),
    ("JWE Content Encryption Algorithm", ""), ("Active Symmetric Encryption Key ID", ""),
    ("Asymmetric Encryption Key", ""), ("Asymmetric Encryption JWKS URL", ""), ("Enable Token Revocation", "false"),
    ("Include Key ID Header Parameter", "true"), ("Include X.509 Thumbprint Header Parameter", "false"),
    ("Default JWKS URL Cache Duration", "720"), ("Include JWE Key ID Header Parameter", "true"),
    ("Include JWE X.509 Thumbprint Header Parameter", "false"), ("Client ID Claim Name", "client_id"),
    ("Scope Claim Name", "scope"), ("Space Delimit Scope Values", "false"),
    ("Authorization Details Claim Name", "authorization_details"), ("Issuer Claim Value", ""),
    ("Audience Claim Value", ""), ("Not Before Claim Offset", ""), ("Include Issued At Claim", "false"),
    ("JWT ID Claim Length", "22"), ("Access Grant GUID Claim Name", ""), ("JWKS Endpoint Path", ""),
    ("JWKS Endpoint Cache Duration", "720"), ("Publish Key ID X.509 URL", "false"),
    ("Publish Thumbprint X.509 URL", "false"), ("Expand Scope Groups", "false"), ("Type Header Value", ""),
    ("Publish Keys to the PingFederate JWKS Endpoint", "false"),
]


def _paths(response: Any) -> list[str]:
    return [e.get("fieldPath", "") for e in response.json()["validationErrors"]]


def _values(doc: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f.get("value", f.get("encryptedValue", "")) for f in doc["configuration"]["fields"]}


async def test_minimal_configuration_gets_all_33_fields_and_both_tables(admin: Admin) -> None:
    _, key = secret(48)
    created = await jwt_atm(admin, "jwt", {"JWE Algorithm": "dir", "JWE Content Encryption Algorithm": "A192CBC-HS384",
                                           "Active Symmetric Encryption Key ID": "k1"}, symmetric=[("k1", key)])
    fields = created["configuration"]["fields"]
    assert len(fields) == 33
    expected = dict(FIELDS)
    expected.update({"JWE Algorithm": "dir", "JWE Content Encryption Algorithm": "A192CBC-HS384",
                     "Active Symmetric Encryption Key ID": "k1"})
    assert [(f["name"], f["value"]) for f in fields] == list(expected.items())
    assert [t["name"] for t in created["configuration"]["tables"]] == ["Symmetric Keys", "Certificates"]
    row = created["configuration"]["tables"][0]["rows"][0]
    cells = {f["name"]: f for f in row["fields"]}
    assert "value" not in cells["Key"] and cells["Key"]["encryptedValue"].startswith("OBF:JWE:")
    assert key not in str(created)
    assert row["defaultRow"] is False
    # the GET body goes back as a PUT unchanged (the key kept through its encryptedValue)
    again = await admin.ok("PUT", f"{PATH}/jwt", created)
    assert again["configuration"] == created["configuration"]
    descriptor = await admin.ok("GET", f"{PATH}/descriptors/{JWT}")
    assert [(f["name"], f["defaultValue"]) for f in descriptor["configDescriptor"]["fields"]] == FIELDS
    assert [t["name"] for t in descriptor["configDescriptor"]["tables"]] == ["Symmetric Keys", "Certificates"]


async def test_bulk_export_shape_is_accepted(admin: Admin) -> None:
    """The JWT manager of a real export (RS256 with certificate k1) imports once its key pair exists."""
    await generate(admin, "419x9yg43rlawqwq9v6az997k")
    created = await jwt_atm(admin, "jwt", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1",
                                           "Access Grant GUID Claim Name": "agid"},
                            certificates=[("k1", "419x9yg43rlawqwq9v6az997k")],
                            attributeContract={"extendedAttributes": [{"name": "Username"}, {"name": "OrgName"}]})
    assert _values(created)["JWS Algorithm"] == "RS256"


@pytest.fixture
async def pairs(admin: Admin, tmp_path: Path) -> dict[str, str]:
    await generate(admin, "rsa", keyAlgorithm="RSA")
    await generate(admin, "p256", keyAlgorithm="EC", keySize=256)
    await generate(admin, "p384", keyAlgorithm="EC", keySize=384)
    key, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
    await admin.ok("POST", "/keyPairs/signing/import", {"id": "rsa1024", "fileData": (key.read_bytes()
                                                        + cert.read_bytes()).decode(), "password": ""})
    return {"rsa": "rsa", "p256": "p256", "p384": "p384", "rsa1024": "rsa1024"}


HS = secret(32)[1]
SHORT = secret(16)[1]
CERT = "configuration.fields[Active Signing Certificate Key ID]"


@pytest.mark.parametrize(("fields", "symmetric", "certificates", "path"), [
    ({}, [], [], "configuration.fields[JWS Algorithm]"),
    ({"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "c"}, [], [("c", "rsa1024")],
     "configuration.tables[Certificates].rows[0].fields[Certificate]"),
    ({"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "c"}, [], [("c", "ghost")],
     "configuration.tables[Certificates].rows[0].fields[Certificate]"),
    ({"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "c"}, [], [("c", "p384")], CERT),
    ({"JWS Algorithm": "ES384", "Active Signing Certificate Key ID": "c"}, [], [("c", "rsa")], CERT),
    ({"JWS Algorithm": "PS256", "Active Signing Certificate Key ID": "c"}, [], [("c", "p256")], CERT),
    ({"JWS Algorithm": "RS256"}, [], [("c", "rsa")], CERT),
    ({"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "zz"}, [], [("c", "rsa")], CERT),
    ({"JWS Algorithm": "HS256"}, [("h", HS)], [], "configuration.fields[Active Symmetric Key ID]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"}, [("h", SHORT)], [],
     "configuration.fields[Active Symmetric Key ID]"),
    ({"JWS Algorithm": "HS512", "Active Symmetric Key ID": "h"}, [("h", HS)], [],
     "configuration.fields[Active Symmetric Key ID]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "Use Centralized Signing Key": "true"},
     [("h", HS)], [], "configuration.fields[JWS Algorithm]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"}, [("h", HS), ("h", HS)], [],
     "configuration.tables[Symmetric Keys].rows[1].fields[Key ID]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"}, [("h", HS)], [("h", "rsa")],
     "configuration.tables[Certificates].rows[0].fields[Key ID]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"}, [("h", "not*base64url")], [],
     "configuration.tables[Symmetric Keys].rows[0].fields[Key]"),
    ({"JWE Algorithm": "dir", "JWE Content Encryption Algorithm": "A256GCM", "Active Symmetric Encryption Key ID": "e"},
     [("e", SHORT)], [],
     "configuration.fields[Active Symmetric Encryption Key ID]"),
    ({"JWE Algorithm": "A128KW", "JWE Content Encryption Algorithm": "A128GCM"}, [("e", SHORT)], [],
     "configuration.fields[Active Symmetric Encryption Key ID]"),
    ({"JWE Algorithm": "dir"}, [("e", SHORT)], [], "configuration.fields[JWE Content Encryption Algorithm]"),
    ({"JWE Content Encryption Algorithm": "A128GCM", "JWS Algorithm": "HS256", "Active Symmetric Key ID": "h"},
     [("h", HS)], [], "configuration.fields[JWE Algorithm]"),
    ({"JWE Algorithm": "RSA-OAEP", "JWE Content Encryption Algorithm": "A128GCM"}, [], [],
     "configuration.fields[Asymmetric Encryption Key]"),
    ({"JWE Algorithm": "RSA-OAEP", "JWE Content Encryption Algorithm": "A128GCM",
      "Asymmetric Encryption Key": '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
                                   '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}'}, [], [],
     "configuration.fields[Asymmetric Encryption Key]"),
    ({"JWE Algorithm": "ECDH-ES", "JWE Content Encryption Algorithm": "A128GCM",
      "Asymmetric Encryption Key": "not a key"}, [], [], "configuration.fields[Asymmetric Encryption Key]"),
    ({"JWE Algorithm": "RSA-OAEP", "JWE Content Encryption Algorithm": "A128GCM",
      "Asymmetric Encryption Key": '{"kty":"RSA","n":"AQAB","e":"AQAB"}',
      "Asymmetric Encryption JWKS URL": "https://partner.example/jwks"}, [], [],
     "configuration.fields[Asymmetric Encryption JWKS URL]"),
    ({"JWE Algorithm": "RSA-OAEP", "JWE Content Encryption Algorithm": "A128GCM",
      "Asymmetric Encryption JWKS URL": "http://partner.example/jwks"}, [], [],
     "configuration.fields[Asymmetric Encryption JWKS URL]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "Enable Token Revocation": "true",
      "Client ID Claim Name": ""}, [("h", HS)], [], "configuration.fields[Client ID Claim Name]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "Enable Token Revocation": "true",
      "JWT ID Claim Length": "21"}, [("h", HS)], [], "configuration.fields[JWT ID Claim Length]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "JWKS Endpoint Path": "keys"}, [("h", HS)], [],
     "configuration.fields[JWKS Endpoint Path]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "Token Lifetime": "0"}, [("h", HS)], [],
     "configuration.fields[Token Lifetime]"),
    ({"JWS Algorithm": "HS257"}, [], [], "configuration.fields[JWS Algorithm]"),
    ({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "h", "Scope Claim Name": "exp"}, [("h", HS)], [],
     "configuration.fields[Scope Claim Name]"),
])
async def test_each_rule_gives_422_naming_the_field(admin: Admin, pairs: dict[str, str], fields: dict[str, str],
                                                    symmetric: list[tuple[str, str]],
                                                    certificates: list[tuple[str, str]], path: str) -> None:
    response = await admin.post(PATH, body("jwt", fields, symmetric, certificates))
    assert response.status_code == 422, response.text
    assert path in _paths(response), response.text
    assert (await admin.get(f"{PATH}/jwt")).status_code == 404


async def test_key_ids_and_jwks_paths_are_unique_across_managers(admin: Admin, pairs: dict[str, str]) -> None:
    await jwt_atm(admin, "one", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1",
                                 "JWKS Endpoint Path": "/one/jwks"}, certificates=[("k1", "rsa")])
    clash = await admin.post(PATH, body("two", {"JWS Algorithm": "HS256", "Active Symmetric Key ID": "k1",
                                                "JWKS Endpoint Path": "/one/jwks"}, symmetric=[("k1", HS)]))
    assert clash.status_code == 422
    assert set(_paths(clash)) == {"configuration.tables[Symmetric Keys].rows[0].fields[Key ID]",
                                  "configuration.fields[JWKS Endpoint Path]"}
    assert "'one'" in clash.json()["validationErrors"][0]["message"]


async def test_child_inherits_and_overrides(admin: Admin, pairs: dict[str, str]) -> None:
    parent = await jwt_atm(admin, "parent", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1",
                                             "Issuer Claim Value": "https://as.example"},
                           certificates=[("k1", "rsa")])
    assert "parentRef" not in parent
    child = await admin.ok("POST", PATH, {
        "id": "child", "name": "Child", "pluginDescriptorRef": {"id": JWT}, "parentRef": {"id": "parent"},
        "configuration": {"fields": [{"name": "Token Lifetime", "value": "5"}]}})
    assert child["parentRef"]["id"] == "parent" and child["parentRef"]["location"].endswith(f"{PATH}/parent")
    values = _values(child)
    assert values["Token Lifetime"] == "5" and values["JWS Algorithm"] == "RS256"
    flags = {f["name"]: f["inherited"] for f in child["configuration"]["fields"]}
    assert flags["Token Lifetime"] is False and flags["Issuer Claim Value"] is True
    assert all(t["inherited"] for t in child["configuration"]["tables"])

    # a parent change reaches what the child inherits, not what it overrides
    parent_fields = {**_values(parent), "Issuer Claim Value": "https://new.example", "Token Lifetime": "60"}
    parent["configuration"]["fields"] = [{"name": k, "value": v} for k, v in parent_fields.items()]
    await admin.ok("PUT", f"{PATH}/parent", parent)
    child_now = await admin.ok("GET", f"{PATH}/child")
    assert _values(child_now)["Issuer Claim Value"] == "https://new.example"
    assert _values(child_now)["Token Lifetime"] == "5"

    # a child overriding the Certificates table may not reuse a Key ID of any manager
    dup = await admin.post(PATH, {
        "id": "child2", "name": "Child 2", "pluginDescriptorRef": {"id": JWT}, "parentRef": {"id": "parent"},
        "configuration": {"tables": [{"name": "Certificates", "rows": [
            {"fields": [{"name": "Key ID", "value": "k1"}, {"name": "Certificate", "value": "rsa"}]}]}]}})
    assert dup.status_code == 422
    assert _paths(dup) == ["configuration.tables[Certificates].rows[0].fields[Key ID]"]

    # a parent with children cannot be deleted; children name the parent that exists and is of the same type
    refused = await admin.delete(f"{PATH}/parent")
    assert refused.status_code == 422 and "'child'" in refused.text
    orphan = await admin.post(PATH, {"id": "orphan", "name": "O", "pluginDescriptorRef": {"id": JWT},
                                     "parentRef": {"id": "nobody"}, "configuration": {}})
    assert orphan.status_code == 422 and _paths(orphan) == ["parentRef.id"]
    cycle = await admin.put(f"{PATH}/parent", {**parent, "parentRef": {"id": "child"}})
    assert cycle.status_code == 422 and _paths(cycle) == ["parentRef.id"]


async def test_parent_change_that_breaks_a_child_is_refused(admin: Admin, pairs: dict[str, str]) -> None:
    parent = await jwt_atm(admin, "parent", {"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "k1"},
                           certificates=[("k1", "rsa"), ("k2", "p256")])
    await admin.ok("POST", PATH, {
        "id": "child", "name": "Child", "pluginDescriptorRef": {"id": JWT}, "parentRef": {"id": "parent"},
        "configuration": {"fields": [{"name": "Active Signing Certificate Key ID", "value": "k1"}]}})
    fields = {**_values(parent), "JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "k2"}
    parent["configuration"]["fields"] = [{"name": k, "value": v} for k, v in fields.items()]
    refused = await admin.put(f"{PATH}/parent", parent)
    assert refused.status_code == 422
    assert "Child access token manager 'child'" in refused.json()["validationErrors"][0]["message"]
    assert _values(await admin.ok("GET", f"{PATH}/parent"))["JWS Algorithm"] == "RS256"


async def test_key_pair_in_use_cannot_be_deleted(admin: Admin, pairs: dict[str, str]) -> None:
    await jwt_atm(admin, "jwt", {"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "ec"},
                  certificates=[("ec", "p256")])
    refused = await admin.delete("/keyPairs/signing/p256")
    assert refused.status_code == 422
    error = refused.json()["validationErrors"][0]
    assert error["errorId"] == "resource_in_use" and "'jwt'" in error["message"] and "'ec'" in error["message"]
    await admin.ok("DELETE", f"{PATH}/jwt")
    await admin.ok("DELETE", "/keyPairs/signing/p256")


async def test_recipient_key_from_a_certificate(admin: Admin, tmp_path: Path) -> None:
    _, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
    created = await jwt_atm(admin, "jwt", {"JWE Algorithm": "RSA-OAEP-256", "JWE Content Encryption Algorithm":
                                           "A256GCM", "Asymmetric Encryption Key": cert.read_text()})
    assert _values(created)["Asymmetric Encryption Key"].startswith("-----BEGIN CERTIFICATE-----")

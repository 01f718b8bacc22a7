"""Configuration export and import in PingFederate's bulk format: ``/bulk/export``, ``/bulk/import``,
and the ``tokensmith export`` / ``import`` commands."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REFERENCE, SIMPLE_PCV, Admin, Runtime
from tests.keyfiles import b64, generate, java_keystore, openssl_key_and_cert
from tokensmith.cli import main
from tokensmith.settings import Settings


def _where(settings: Settings) -> list[str]:
    """Command-line options naming the test node's data directory (and configuration database)."""
    found = ["--data-dir", str(settings.data_dir)]
    return [*found, "--database-url", settings.database_url] if settings.database_url else found


async def _configure(admin: Admin) -> None:
    await generate(admin, "signer")
    await admin.ok("POST", "/passwordCredentialValidators", {
        "id": "users", "name": "Users", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": {"tables": [{"name": "Users", "rows": [{"fields": [
            {"name": "Username", "value": "alice"}, {"name": "Password", "value": "alice-password-1"},
            {"name": "Confirm Password", "value": "alice-password-1"}]}]}]}})
    await admin.scopes(common=("read", "write"), groups={"all": ["read", "write"]})
    await admin.client_app("app", "app-secret-0123456789")
    await admin.reference_atm("ref", {"Token Length": "40"}, attributes=("cid",),
                              accessControlSettings={"restrictClients": True, "allowedClients": [{"id": "app"}]})
    await admin.mapping("CLIENT_CREDENTIALS", "ref", {"cid": ("CONTEXT", "ClientId")})


async def test_export_then_import_into_an_empty_server_restores_everything(admin: Admin, runtime: Runtime,
                                                                           settings: Settings, tmp_path: Path) -> None:
    await _configure(admin)
    exported = await admin.ok("GET", "/bulk/export")
    types = [op["resourceType"] for op in exported["operations"]]
    assert types == ["/keyPairs/signing", "/passwordCredentialValidators", "/oauth/accessTokenManagers",
                     "/oauth/accessTokenManagers/settings", "/oauth/authServerSettings", "/oauth/clients",
                     "/oauth/accessTokenMappings"]
    text = json.dumps(exported)
    assert "app-secret-0123456789" not in text and "alice-password-1" not in text
    assert "location" not in text
    key_item = exported["operations"][0]["items"][0]
    assert key_item["format"] == "PKCS12" and key_item["encryptedPassword"].startswith("OBF:JWE:")

    # delete everything, then import: the same configuration is back and works
    for path in ("/oauth/accessTokenMappings/client_credentials|ref",):
        await admin.ok("DELETE", path)
    await admin.ok("DELETE", "/oauth/accessTokenManagers/ref")
    await admin.ok("DELETE", "/oauth/clients/app")
    await admin.ok("DELETE", "/keyPairs/signing/signer")
    await admin.ok("DELETE", "/passwordCredentialValidators/users")
    result = await admin.ok("POST", "/bulk/import", exported, status=200)
    assert result["saved"]["/oauth/clients"] == 1 and result["skipped"] == []
    again = await admin.ok("GET", "/bulk/export")
    assert _stable(again) == _stable(exported)
    token = await runtime.access_token()
    assert len(token["access_token"]) == 40
    assert (await runtime.introspect(token["access_token"]))["cid"] == "app"


def _stable(document: dict[str, Any]) -> Any:
    """An export with the parts that legitimately differ between two exports removed."""
    doc = copy.deepcopy(document)
    for op in doc["operations"]:
        for item in op["items"]:
            for key in ("lastModified", "fileData", "encryptedPassword", "modificationDate", "creationDate"):
                item.pop(key, None)
    return doc


async def test_import_is_all_or_nothing_and_names_each_bad_field(admin: Admin) -> None:
    document = {"operations": [
        {"resourceType": "/oauth/clients", "operationType": "SAVE", "items": [
            {"clientId": "ok", "name": "ok", "grantTypes": ["CLIENT_CREDENTIALS"],
             "clientAuth": {"type": "SECRET", "secret": "ok-secret-0123456789"}}]},
        {"resourceType": "/oauth/accessTokenManagers", "operationType": "SAVE", "items": [
            {"id": "bad", "name": "Bad", "pluginDescriptorRef": {"id": REFERENCE},
             "configuration": {"fields": [{"name": "Token Length", "value": "21"}]}},
            {"id": "worse", "name": "Worse", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
             "bogus": True}]},
    ]}
    response = await admin.post("/bulk/import", document)
    assert response.status_code == 422
    paths = {e["fieldPath"] for e in response.json()["validationErrors"]}
    assert paths == {"operations[1].items[0].configuration.fields[Token Length]", "operations[1].items[1].bogus"}
    assert (await admin.get("/oauth/clients/ok")).status_code == 404  # nothing was saved


async def test_import_saves_in_dependency_order_updates_existing_and_skips_unknown_types(admin: Admin) -> None:
    await admin.reference_atm("ref", {"Token Lifetime": "5"})
    document = {"metadata": {"pfVersion": "12.1.0.0"}, "operations": [
        {"resourceType": "/oauth/accessTokenManagers", "operationType": "SAVE", "items": [
            {"id": "ref", "name": "Renamed", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
             "accessControlSettings": {"restrictClients": True, "allowedClients": [{"id": "late"}]}}]},
        {"resourceType": "/idp/adapters", "operationType": "SAVE", "items": [{"id": "x"}, {"id": "y"}]},
        {"resourceType": "/oauth/clients", "operationType": "SAVE", "items": [  # after its user in the file
            {"clientId": "late", "name": "late", "grantTypes": ["CLIENT_CREDENTIALS"],
             "clientAuth": {"type": "SECRET", "secret": "late-secret-0123456789"}}]},
    ]}
    refused = await admin.post("/bulk/import", document)
    assert refused.status_code == 422  # not asked to skip: nothing is imported, each item is named
    errors = refused.json()["validationErrors"]
    assert [(e["fieldPath"], e["errorId"]) for e in errors] == [
        ("operations[1].items[0]", "unsupported_resource_type"),
        ("operations[1].items[1]", "unsupported_resource_type")]
    assert "/idp/adapters 'x'" in errors[0]["message"] and "skipUnsupported=true" in errors[0]["message"]
    assert (await admin.ok("GET", "/oauth/accessTokenManagers/ref"))["name"] != "Renamed"
    assert (await admin.get("/oauth/clients/late")).status_code == 404
    result = await admin.ok("POST", "/bulk/import?skipUnsupported=true", document, status=200)
    assert result["skipped"] == [{"resourceType": "/idp/adapters", "id": "x", "path": "operations[1].items[0]"},
                                 {"resourceType": "/idp/adapters", "id": "y", "path": "operations[1].items[1]"}]
    assert "2 item(s)" in result["message"]
    atm = await admin.ok("GET", "/oauth/accessTokenManagers/ref")
    assert atm["name"] == "Renamed" and atm["accessControlSettings"]["allowedClients"][0]["id"] == "late"
    fields = {f["name"]: f["value"] for f in atm["configuration"]["fields"]}
    assert fields["Token Lifetime"] == "120"  # a SAVE replaces the item, as a PUT does


@pytest.mark.parametrize("document", [[], {"operations": {}}, {"operations": [{"operationType": "DELETE",
                                                                               "resourceType": "/x", "items": []}]}])
async def test_malformed_documents_are_refused(admin: Admin, document: Any) -> None:
    response = await admin.post("/bulk/import", document)
    assert response.status_code in (400, 422)
    assert "resultId" in response.json()


async def test_pingfederate_style_document_with_a_java_keystore_and_a_foreign_secret(
        admin: Admin, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    key, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
    document = {"metadata": {"pfVersion": "10.1.2.0"}, "operations": [
        {"resourceType": "/keyPairs/signing", "operationType": "SAVE", "items": [
            {"id": "419x9yg43rlawqwq9v6az997k", "fileData": b64(java_keystore(key, cert, "2FederateM0re")),
             "format": "PKCS12", "password": "${KS_PASSWORD}"}]},
        {"resourceType": "/oauth/accessTokenManagers", "operationType": "SAVE", "items": [
            {"id": "ref", "name": "Reference", "pluginDescriptorRef": {
                "id": REFERENCE, "location": "https://${PF_ADMIN_PUBLIC_HOSTNAME}/pf-admin-api/v1/x"},
             "configuration": {"fields": [{"name": "Token Length", "value": "30"}]}}]},
        {"resourceType": "/oauth/clients", "operationType": "SAVE", "items": [
            {"clientId": "test", "name": "test", "grantTypes": ["CLIENT_CREDENTIALS"], "creationDate":
             "2024-01-30T17:50:18.492Z", "clientAuth": {"type": "SECRET", "encryptedSecret": "OBF:JWE:"
                                                        "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0..a.b.c"}}]},
    ]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    argv = ["import", *_where(settings), str(path)]
    assert await asyncio.to_thread(main, argv) == 1  # ${...} left as is, and the foreign secret cannot be read
    err = capsys.readouterr().err
    assert "nothing was imported" in err and "operations[2].items[0].clientAuth.encryptedSecret" in err
    monkeypatch.setenv("KS_PASSWORD", "2FederateM0re")
    monkeypatch.setenv("PF_ADMIN_PUBLIC_HOSTNAME", "pf.example")
    assert await asyncio.to_thread(main, [*argv, "--substitute-env", "--new-client-secrets"]) == 0
    out = capsys.readouterr().out
    assert "saved    1  /keyPairs/signing" in out and "new secret for client 'test':" in out
    view = await admin.ok("GET", "/keyPairs/signing/419x9yg43rlawqwq9v6az997k")
    assert view["subjectDN"] == "CN=acme.example, O=Acme, C=GB"


async def test_cli_import_fails_on_unsupported_types_unless_asked_to_skip(
        admin: Admin, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {"operations": [
        {"resourceType": "/oauth/clients", "operationType": "SAVE", "items": [
            {"clientId": "c1", "name": "c1", "grantTypes": ["CLIENT_CREDENTIALS"],
             "clientAuth": {"type": "SECRET", "secret": "c1-secret-0123456789"}}]},
        {"resourceType": "/sp/spConnections", "operationType": "SAVE", "items": [{"id": "partnerSp"}]}]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    argv = ["import", *_where(settings), str(path)]
    assert await asyncio.to_thread(main, argv) == 1
    err = capsys.readouterr().err
    assert "operations[1].items[0]: /sp/spConnections 'partnerSp'" in err and "--skip-unsupported" in err
    assert (await admin.get("/oauth/clients/c1")).status_code == 404
    assert await asyncio.to_thread(main, [*argv, "--skip-unsupported"]) == 0
    out = capsys.readouterr().out
    assert "saved    1  /oauth/clients" in out
    assert "skipped   /sp/spConnections 'partnerSp' (operations[1].items[0]; not served by Tokensmith)" in out


async def test_cli_export_with_a_portable_key_password(admin: Admin, settings: Settings, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    await generate(admin, "signer")
    out = tmp_path / "config.json"
    monkeypatch.setenv("EXPORT_PW", "portable-password-1")
    assert await asyncio.to_thread(main, ["export", *_where(settings), "-o", str(out),
                                          "--key-password-env", "EXPORT_PW"]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    item = json.loads(out.read_text())["operations"][0]["items"][0]
    assert item["password"] == "portable-password-1" and "encryptedPassword" not in item
    await admin.ok("DELETE", "/keyPairs/signing/signer")
    result = await admin.ok("POST", "/bulk/import", json.loads(out.read_text()), status=200)
    assert result["saved"]["/keyPairs/signing"] == 1
    assert await asyncio.to_thread(main, ["export", *_where(settings), "--key-password-env",
                                          "UNSET_VAR_X"]) == 2

"""Microsoft's WS-Trust clients as they are, against ``/idp/sts.wst`` of a real server on 127.0.0.1
with the real clock: MSAL for Python (``msal.wstrust_request.send_request`` over ``requests``) and
adal-node (``WSTrustRequest`` over axios, run with node). Each gets a SAML 1.1 (Office 365 flavour)
and a SAML 2.0 token through SP connections, for WS-Trust 1.3 and 2005, verified with xmlsec1, and
reads a wrong password as the server's fault."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from lxml import etree
from msal import wstrust_response
from msal.mex import Mex
from msal.wstrust_request import send_request

from tests.conftest import SIMPLE_PCV
from tests.keyfiles import RSA_SETTINGS
from tests.stskit import NS, SAML1_NS, SAML2_NS, USERNAME_PROC, assert_schema_valid, sp_connection, users_table
from tests.system.server import ServerFactory

pytestmark = pytest.mark.system
O365 = "urn:federation:MicrosoftOnline"
SAML2_SERVICE = "urn:example:orders"


def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _configure(admin: httpx.Client) -> bytes:
    _ok(admin.post("/keyPairs/signing/generate", json={**RSA_SETTINGS, "id": "signer"}))
    _ok(admin.post("/passwordCredentialValidators", json={
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users_table(("alice@example.com", "alice-password-1"))}))
    _ok(admin.post("/idp/tokenProcessors", json={
        "id": "utp", "name": "Username tokens", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "simple"}]}]}]}}))
    _ok(admin.put("/serverSettings", json={"federationInfo": {
        "saml2EntityId": "https://idp.tokensmith.example", "saml1xIssuerId": "https://idp.tokensmith.example"}}), 200)
    o365 = sp_connection("o365", service=O365, token_type="SAML11_O365")
    o365["wsTrust"]["attributeContract"]["extendedAttributes"] = [{"name": "UPN"}, {"name": "ImmutableID"}]
    o365["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"] = {
        "TOKEN_SUBJECT": {"source": {"type": "TEXT"}, "value": "AbCd1234=="},
        "UPN": {"source": {"type": "TOKEN"}, "value": "username"},
        "ImmutableID": {"source": {"type": "TEXT"}, "value": "AbCd1234=="}}
    _ok(admin.post("/idp/spConnections", json=o365))
    _ok(admin.post("/idp/spConnections", json=sp_connection("orders", service=SAML2_SERVICE)))
    cert = admin.get("/keyPairs/signing/signer/certificate")
    assert cert.status_code == 200
    return cert.content


def _verify(token: bytes, cert: bytes, version: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    doc, pem = tmp / "token.xml", tmp / "cert.pem"
    doc.write_bytes(token)
    pem.write_bytes(cert)
    ns = SAML2_NS if version == "2.0" else SAML1_NS
    attr = "ID" if version == "2.0" else "AssertionID"
    return subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(pem), f"--id-attr:{attr}",
                           f"{ns}:Assertion", str(doc)], capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("action", [Mex.ACTION_13, Mex.ACTION_2005])
def test_msal_gets_tokens_through_sp_connections(start_server: ServerFactory, tmp_path: Path, action: str) -> None:
    server = start_server()
    with server.admin() as admin:
        cert = _configure(admin)
    endpoint = server.runtime_url + "/idp/sts.wst"
    with requests.Session() as session:
        result = send_request("alice@example.com", "alice-password-1", O365, endpoint, action, session)
        assert result["type"] in (wstrust_response.SAML_TOKEN_TYPE_V1, wstrust_response.WSS_SAML_TOKEN_PROFILE_V1_1)
        assertion = etree.fromstring(result["token"])
        assert assertion.tag == f"{{{SAML1_NS}}}Assertion"
        assert_schema_valid(assertion, "1.1")
        assert assertion.xpath("string(//saml1:Audience)", namespaces=NS) == O365
        upn = assertion.xpath("//saml1:Attribute[@AttributeName='UPN']", namespaces=NS)[0]
        assert upn.get("AttributeNamespace") == "http://schemas.xmlsoap.org/claims"
        assert upn.xpath("string(saml1:AttributeValue)", namespaces=NS) == "alice@example.com"
        assert _verify(result["token"], cert, "1.1", tmp_path).returncode == 0
        tampered = result["token"].replace(b"alice@example.com", b"eve@example.com")
        assert _verify(tampered, cert, "1.1", tmp_path).returncode != 0

        saml2 = send_request("alice@example.com", "alice-password-1", SAML2_SERVICE, endpoint, action, session)
        assert saml2["type"] in (wstrust_response.SAML_TOKEN_TYPE_V2, wstrust_response.WSS_SAML_TOKEN_PROFILE_V2)
        assert etree.fromstring(saml2["token"]).tag == f"{{{SAML2_NS}}}Assertion"
        assert_schema_valid(saml2["token"], "2.0")
        assert _verify(saml2["token"], cert, "2.0", tmp_path).returncode == 0

        with pytest.raises(RuntimeError, match="FailedAuthentication"):
            send_request("alice@example.com", "wrong-password", O365, endpoint, action, session)
        with pytest.raises(RuntimeError, match="No SP connection has partner service id"):
            send_request("alice@example.com", "alice-password-1", "urn:nobody", endpoint, action, session)


NODE_CLIENTS = Path(__file__).resolve().parent.parent / "node"


def _adal(endpoint: str, applies_to: str, version: str, username: str, password: str) -> dict[str, Any]:
    assert (NODE_CLIENTS / "node_modules" / "adal-node").is_dir(), \
        "adal-node is not installed: scripts/test installs it (npm ci in tests/node)"
    done = subprocess.run(["node", str(NODE_CLIENTS / "adal_wstrust.js"), endpoint, applies_to, version, username,
                           password], capture_output=True, text=True, check=False, timeout=60, cwd=NODE_CLIENTS)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("version", ["wstrust13", "wstrust2005"])
def test_adal_node_gets_tokens_through_sp_connections(start_server: ServerFactory, tmp_path: Path,
                                                      version: str) -> None:
    server = start_server()
    with server.admin() as admin:
        cert = _configure(admin)
    endpoint = server.runtime_url + "/idp/sts.wst"
    result = _adal(endpoint, O365, version, "alice@example.com", "alice-password-1")
    assert "error" not in result, result
    assert result["tokenType"] in (wstrust_response.SAML_TOKEN_TYPE_V1, wstrust_response.WSS_SAML_TOKEN_PROFILE_V1_1)
    token = result["token"].encode()
    assertion = etree.fromstring(token)
    assert assertion.tag == f"{{{SAML1_NS}}}Assertion"
    assert_schema_valid(assertion, "1.1")
    assert assertion.xpath("string(//saml1:Attribute[@AttributeName='UPN']/saml1:AttributeValue)",
                           namespaces=NS) == "alice@example.com"
    assert _verify(token, cert, "1.1", tmp_path).returncode == 0
    assert _verify(token.replace(b"alice@example.com", b"eve@example.com"), cert, "1.1", tmp_path).returncode != 0

    saml2 = _adal(endpoint, SAML2_SERVICE, version, "alice@example.com", "alice-password-1")
    assert "error" not in saml2, saml2
    assert _verify(saml2["token"].encode(), cert, "2.0", tmp_path).returncode == 0

    refused = _adal(endpoint, O365, version, "alice@example.com", "wrong-password")
    assert "error" in refused and "FailedAuthentication" in json.dumps(refused), refused

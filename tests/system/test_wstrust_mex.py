"""``/pf/sts_mex.ping``: the metadata exchange document WS-Trust clients discover their STS from,
read by Microsoft's own parsers (MSAL for Python's ``msal.mex``, adal-node's ``Mex``), then used as
they use it: the endpoint and WS-Trust version they pick get a token from a real server.

The advertised address comes from the configured base URL (``https://sts.example.test``, which
the clients require to be https) and never from the request's ``Host``; the token request itself
goes to the server's 127.0.0.1 listener at the same path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
from lxml import etree
from msal.mex import Mex
from msal.mex import send_request as discover
from msal.wstrust_request import send_request

from tests.conftest import SIMPLE_PCV
from tests.keyfiles import RSA_SETTINGS
from tests.stskit import SAML1_NS, SAML20_PROC, USERNAME_PROC, sp_connection, users_table
from tests.system.server import ServerFactory

pytestmark = pytest.mark.system
BASE = "https://sts.example.test"
O365 = "urn:federation:MicrosoftOnline"
NODE_CLIENTS = Path(__file__).resolve().parent.parent / "node"


def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _configure(admin: httpx.Client) -> None:
    _ok(admin.post("/keyPairs/signing/generate", json={**RSA_SETTINGS, "id": "signer"}))
    _ok(admin.post("/passwordCredentialValidators", json={
        "id": "simple", "name": "Simple", "pluginDescriptorRef": {"id": SIMPLE_PCV},
        "configuration": users_table(("alice@example.com", "alice-password-1"))}))
    _ok(admin.post("/idp/tokenProcessors", json={
        "id": "utp", "name": "Username tokens", "pluginDescriptorRef": {"id": USERNAME_PROC},
        "configuration": {"tables": [{"name": "Credential Validators", "rows": [
            {"fields": [{"name": "Password Credential Validator Instance", "value": "simple"}]}]}]}}))
    _ok(admin.post("/idp/tokenProcessors", json={
        "id": "samlp", "name": "SAML in", "pluginDescriptorRef": {"id": SAML20_PROC}, "configuration": {}}))
    _ok(admin.put("/serverSettings", json={"federationInfo": {
        "baseUrl": BASE, "saml2EntityId": "https://idp.tokensmith.example",
        "saml1xIssuerId": "https://idp.tokensmith.example"}}), 200)
    _ok(admin.post("/idp/spConnections", json=sp_connection("o365", service=O365, token_type="SAML11_O365")))
    saml_only = sp_connection("relay", service="urn:example:relay")
    saml_only["wsTrust"]["tokenProcessorMappings"][0]["idpTokenProcessorRef"] = {"id": "samlp"}
    saml_only["wsTrust"]["tokenProcessorMappings"][0]["attributeContractFulfillment"]["TOKEN_SUBJECT"] = {
        "source": {"type": "TOKEN"}, "value": "SAML_SUBJECT"}
    _ok(admin.post("/idp/spConnections", json=saml_only))
    _ok(admin.post("/idp/spConnections", json={**sp_connection("off", service="urn:example:off"), "active": False}))


def _local(address: str, server_url: str) -> str:
    """The advertised (public) address, sent to this server's 127.0.0.1 listener instead."""
    return server_url + urlsplit(address).path


def test_msal_discovers_the_endpoint_and_gets_a_token(start_server: ServerFactory) -> None:
    server = start_server()
    with server.admin() as admin:
        _configure(admin)
    mex_url = server.runtime_url + "/pf/sts_mex.ping?PartnerSpId=" + O365
    with requests.Session() as session:
        endpoint = discover(mex_url, session)
        assert endpoint == {"address": BASE + "/idp/sts.wst", "action": Mex.ACTION_13}
        document = session.get(mex_url, headers={"Host": "evil.example"}).text  # Host never changes it
        assert "evil.example" not in document and Mex(document).get_wstrust_username_password_endpoint() == endpoint
        result = send_request("alice@example.com", "alice-password-1", O365,
                              _local(endpoint["address"], server.runtime_url), endpoint["action"], session)
        assert etree.fromstring(result["token"]).tag == f"{{{SAML1_NS}}}Assertion"
        # both versions are advertised: without the 1.3 binding MSAL falls back to WS-Trust 2005
        root = etree.fromstring(document.encode())
        for binding in root.findall("{http://schemas.xmlsoap.org/wsdl/}binding"):
            if "13" in binding.get("name", ""):
                root.remove(binding)
        fallback = Mex(etree.tostring(root).decode()).get_wstrust_username_password_endpoint()
        assert fallback == {"address": BASE + "/idp/sts.wst", "action": Mex.ACTION_2005}
        result = send_request("alice@example.com", "alice-password-1", O365,
                              _local(fallback["address"], server.runtime_url), fallback["action"], session)
        assert etree.fromstring(result["token"]).tag == f"{{{SAML1_NS}}}Assertion"

        # a connection that takes no username token advertises no username endpoint
        relay = session.get(server.runtime_url + "/pf/sts_mex.ping?PartnerSpId=urn:example:relay")
        assert relay.status_code == 200 and Mex(relay.text).get_wstrust_username_password_endpoint() is None


@pytest.mark.parametrize(("query", "status"), [
    ("PartnerSpId=urn:nobody", 404),  # no such connection
    ("PartnerSpId=urn:example:off", 404),  # inactive
    ("", 400), ("PartnerSpId=", 400),
    (f"PartnerSpId={O365}&PartnerSpId=urn:example:relay", 400),  # which one?
    ("PartnerSpId=%zz&x", 400),
])
def test_bad_mex_requests_get_a_plain_error(start_server: ServerFactory, query: str, status: int) -> None:
    server = start_server()
    with server.admin() as admin:
        _configure(admin)
    with server.client() as client:
        answer = client.get("/pf/sts_mex.ping" + ("?" + query if query else ""))
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        posted = client.post(f"/pf/sts_mex.ping?PartnerSpId={O365}", content=b"")
        assert posted.status_code == 405 and posted.headers["allow"] == "GET"


def test_adal_node_discovers_the_endpoint_and_gets_a_token(start_server: ServerFactory) -> None:
    assert (NODE_CLIENTS / "node_modules" / "adal-node").is_dir(), \
        "adal-node is not installed: scripts/test installs it (npm ci in tests/node)"
    server = start_server()
    with server.admin() as admin:
        _configure(admin)
    done = subprocess.run(["node", str(NODE_CLIENTS / "adal_mex.js"),
                           server.runtime_url + "/pf/sts_mex.ping?PartnerSpId=" + O365],
                          capture_output=True, text=True, check=False, timeout=60, cwd=NODE_CLIENTS)
    assert done.returncode == 0, done.stderr
    policy = json.loads(done.stdout.strip().splitlines()[-1])
    assert (policy["url"], policy["version"]) == (BASE + "/idp/sts.wst", "wstrust13"), policy
    token = subprocess.run(["node", str(NODE_CLIENTS / "adal_wstrust.js"),
                            _local(policy["url"], server.runtime_url), O365, policy["version"], "alice@example.com",
                            "alice-password-1"], capture_output=True, text=True, check=False, timeout=60,
                           cwd=NODE_CLIENTS)
    result = json.loads(token.stdout.strip().splitlines()[-1])
    assert "error" not in result, result
    assert etree.fromstring(result["token"].encode()).tag == f"{{{SAML1_NS}}}Assertion"

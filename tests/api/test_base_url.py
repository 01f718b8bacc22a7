"""Advertised URLs come from configuration, never from the request's ``Host``.

The issuer and every endpoint in both discovery documents use ``federationInfo.baseUrl`` when
``/serverSettings`` has one, else ``--base-url``, else the listen address; admin API ``location``
links use ``--admin-base-url`` or the admin listen address. A request with another ``Host`` is
served but changes none of them.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_BASE, ADMIN_PASSWORD, Admin, Runtime
from tokensmith.datadir import initialise
from tokensmith.node import Node
from tokensmith.server import build_app
from tokensmith.settings import Settings

PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
URL_MEMBERS = ("issuer", "token_endpoint", "introspection_endpoint", "revocation_endpoint", "jwks_uri")


async def advertised(runtime: Runtime, host: str | None = None) -> list[dict[str, str]]:
    headers = {"host": host} if host is not None else {}
    docs = []
    for path in PATHS:
        response = await runtime.client.get("http://127.0.0.1:9031" + path, headers=headers)
        assert response.status_code == 200
        docs.append({k: response.json()[k] for k in URL_MEMBERS})
    return docs


def expected(base: str) -> dict[str, str]:
    return {"issuer": base, "token_endpoint": f"{base}/as/token.oauth2",
            "introspection_endpoint": f"{base}/as/introspect.oauth2",
            "revocation_endpoint": f"{base}/as/revoke_token.oauth2", "jwks_uri": f"{base}/pf/JWKS"}


@pytest.mark.parametrize("host", ["evil.example", "a.example, evil.example/x?", '"><script>', "127.0.0.1:1"])
async def test_a_forged_host_changes_nothing_that_is_advertised(runtime: Runtime, host: str) -> None:
    assert await advertised(runtime, host) == [expected("http://127.0.0.1:9031")] * 2


async def test_federation_base_url_is_the_issuer_live(admin: Admin, runtime: Runtime) -> None:
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {"baseUrl": "https://sts.example.com/",
                                                                 "saml2EntityId": "sts"}})
    assert await advertised(runtime, "evil.example") == [expected("https://sts.example.com")] * 2
    assert (await admin.ok("GET", "/serverSettings"))["federationInfo"]["baseUrl"] == "https://sts.example.com/"
    await admin.ok("PUT", "/serverSettings", {"federationInfo": {"saml2EntityId": "sts"}})
    assert await advertised(runtime) == [expected("http://127.0.0.1:9031")] * 2


@pytest.mark.parametrize("bad", ["sts.example.com", "ftp://sts.example.com", "https://", "https://a.example/?x=1",
                                 "https://a.example/#top", "https://user@a.example", "https://a.example:99999",
                                 'https://"><script>/', "https://a b.example"])
async def test_an_unusable_federation_base_url_is_refused(admin: Admin, runtime: Runtime, bad: str) -> None:
    response = await admin.put("/serverSettings", {"federationInfo": {"baseUrl": bad}})
    assert response.status_code == 422, response.text
    assert [e["fieldPath"] for e in response.json()["validationErrors"]] == ["federationInfo.baseUrl"]
    assert await advertised(runtime) == [expected("http://127.0.0.1:9031")] * 2


async def test_admin_location_links_ignore_the_host_header(admin: Admin) -> None:
    response = await admin.post("/passwordCredentialValidators", {
        "id": "pcv1", "name": "Users",
        "pluginDescriptorRef": {"id": "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"},
        "configuration": {"tables": [{"name": "Users", "rows": []}]}}, headers={"host": "evil.example"})
    assert response.status_code == 201, response.text
    links = [v for v in _strings(response.json()) if "://" in v]
    assert all(link.startswith(ADMIN_BASE) for link in links) and "evil" not in response.text


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


async def test_base_url_options(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", port=9031, admin_port=9999, base_url="https://sts.example.com/",
                        admin_base_url="https://admin.example.com:8443")
    initialise(settings, admin_password=ADMIN_PASSWORD)
    node = Node(settings)
    try:
        transport = httpx.ASGITransport(app=build_app(node, settings))
        async with httpx.AsyncClient(transport=transport) as client:
            assert await advertised(Runtime(client), "evil.example") == [expected("https://sts.example.com")] * 2
            assert node.admin_base_url() == "https://admin.example.com:8443"
            client.headers["X-XSRF-Header"] = "PingFederate"
            client.auth = httpx.BasicAuth("administrator", ADMIN_PASSWORD)
            put = await client.put("http://127.0.0.1:9999/pf-admin-api/v1/serverSettings",
                                   json={"federationInfo": {"baseUrl": "https://pf.example.com:9031"}})
            assert put.status_code == 200, put.text
            assert await advertised(Runtime(client)) == [expected("https://pf.example.com:9031")] * 2
    finally:
        await node.stop()

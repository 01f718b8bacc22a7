"""Admin API protocol: authentication, the XSRF header, error shapes, the OpenAPI document."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_BASE, ADMIN_PASSWORD, REFERENCE, Admin


async def test_missing_or_wrong_credentials_get_401_api_result(http: httpx.AsyncClient) -> None:
    for auth in (None, httpx.BasicAuth("administrator", "wrong-password"), httpx.BasicAuth("nobody", "x")):
        response = await http.get(ADMIN_BASE + "/version", auth=auth, headers={"X-XSRF-Header": "PingFederate"})
        assert response.status_code == 401
        assert response.json()["resultId"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_malformed_basic_header_is_401(http: httpx.AsyncClient) -> None:
    for header in ("Basic !!!", "Basic " + "bm9jb2xvbg==", "Bearer abc"):
        response = await http.get(ADMIN_BASE + "/version",
                                  headers={"Authorization": header, "X-XSRF-Header": "x"})
        assert response.status_code == 401


async def test_missing_xsrf_header_is_403(http: httpx.AsyncClient) -> None:
    response = await http.get(ADMIN_BASE + "/version", auth=("administrator", ADMIN_PASSWORD))
    assert response.status_code == 403
    body = response.json()
    assert body["resultId"] == "forbidden" and "X-XSRF-Header" in body["message"]
    created = await http.post(ADMIN_BASE + "/oauth/accessTokenManagers", auth=("administrator", ADMIN_PASSWORD),
                              json={"id": "ref", "name": "r", "pluginDescriptorRef": {"id": REFERENCE},
                                    "configuration": {}})
    assert created.status_code == 403


async def test_version(admin: Admin) -> None:
    # Dotted, four parts, as PingFederate answers: pingcli and the Terraform provider parse it.
    assert (await admin.ok("GET", "/version")) == {"version": "13.0.0.0"}


async def test_bad_json_is_400_and_unknown_property_422(admin: Admin) -> None:
    bad = await admin.client.post(ADMIN_BASE + "/oauth/accessTokenManagers", content=b'{"id": "x",',
                                  headers={"content-type": "application/json"})
    assert bad.status_code == 400
    assert bad.json()["resultId"] == "invalid_json"
    empty = await admin.client.post(ADMIN_BASE + "/oauth/accessTokenManagers")
    assert empty.status_code == 400
    unknown = await admin.post("/oauth/accessTokenManagers", {
        "id": "x", "name": "x", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
        "colour": "blue"})
    assert unknown.status_code == 422
    errors = unknown.json()["validationErrors"]
    assert errors == [{"errorId": "unrecognized_field", "message": "Unrecognized property 'colour'",
                       "fieldPath": "colour"}]
    nested = await admin.post("/oauth/accessTokenManagers", {
        "id": "x", "name": "x", "pluginDescriptorRef": {"id": REFERENCE},
        "configuration": {"fields": [{"name": "Token Length", "value": 30}]}})
    assert nested.status_code == 422
    assert nested.json()["validationErrors"][0]["fieldPath"] == "configuration.fields[0].value"
    missing = await admin.post("/oauth/accessTokenManagers", {"id": "x"})
    assert missing.status_code == 422
    assert {e["fieldPath"] for e in missing.json()["validationErrors"]} == {
        "name", "pluginDescriptorRef", "configuration"}


async def test_unknown_path_and_method_use_api_result(admin: Admin) -> None:
    missing = await admin.get("/no/such/thing")
    assert missing.status_code == 404 and missing.json()["resultId"] == "resource_not_found"
    wrong = await admin.request("PATCH", "/oauth/accessTokenManagers")
    assert wrong.status_code == 405 and wrong.json()["resultId"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET, HEAD, POST"


async def test_405_allow_lists_every_method_of_the_path(admin: Admin) -> None:
    one = await admin.request("POST", "/oauth/clients/app")
    assert one.status_code == 405
    assert one.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert "DELETE, GET, HEAD, PUT" in one.json()["message"]
    settings = await admin.request("DELETE", "/oauth/authServerSettings")
    assert settings.status_code == 405 and settings.headers["allow"] == "GET, HEAD, PUT"


async def test_a_body_that_is_not_json_is_415(admin: Admin) -> None:
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "application/xml"):
        response = await admin.client.post(ADMIN_BASE + "/oauth/clients", content=b'{"clientId": "x"}',
                                           headers={"content-type": content_type})
        assert response.status_code == 415, content_type
        assert response.json()["resultId"] == "unsupported_media_type"
    missing = await admin.client.put(ADMIN_BASE + "/oauth/authServerSettings", content=b"{}")
    assert missing.status_code == 415
    with_charset = await admin.client.put(ADMIN_BASE + "/oauth/accessTokenManagers/settings", content=b"{}",
                                          headers={"content-type": "application/json; charset=utf-8"})
    assert with_charset.status_code != 415
    assert (await admin.get("/oauth/clients")).status_code == 200  # no body, no content type: fine


async def test_openapi_declares_every_error_status_and_media_type(http: httpx.AsyncClient) -> None:
    doc = (await http.get(ADMIN_BASE + "/openapi.json")).json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"401", "403", "404", "405", "422"}
            if "requestBody" in operation:
                expected |= {"400", "413", "415"}
            assert expected <= set(responses), (method, path)
            for status in expected:
                assert responses[status]["content"] == {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ApiResult"}}}, (method, path)
            assert "Allow" in responses["405"]["headers"]
    api_result = doc["components"]["schemas"]["ApiResult"]
    assert "validationErrors" in api_result["properties"]
    base = "/pf-admin-api/v1/keyPairs/signing/{key_pair_id}"
    media = {(base + "/certificate", "get"): "application/x-x509-ca-cert",
             (base + "/pem", "post"): "application/x-pem-file",
             (base + "/pkcs12", "post"): "application/x-pkcs12",
             (base + "/csr", "get"): "application/pkcs10"}
    for (path, method), media_type in media.items():
        assert list(doc["paths"][path][method]["responses"]["200"]["content"]) == [media_type]


async def test_openapi_document_is_served_and_describes_the_api(http: httpx.AsyncClient) -> None:
    response = await http.get(ADMIN_BASE + "/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/pf-admin-api/v1/oauth/accessTokenManagers", "/pf-admin-api/v1/oauth/clients/{client_id}",
                 "/pf-admin-api/v1/oauth/authServerSettings/scopes/commonScopes",
                 "/pf-admin-api/v1/oauth/accessTokenMappings", "/pf-admin-api/v1/passwordCredentialValidators"):
        assert path in paths
    assert doc["components"]["securitySchemes"]["BasicAuth"]["scheme"] == "basic"
    schemas = doc["components"]["schemas"]
    assert "AccessTokenManager" in schemas and "Client" in schemas

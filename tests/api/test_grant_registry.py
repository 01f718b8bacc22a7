"""The grant registry is the one list of grant types: what the metadata publishes, what the token
endpoint serves and what the admin API accepts on a client agree."""

from __future__ import annotations

from tests.conftest import Admin, Runtime

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


async def test_metadata_lists_every_served_grant(admin: Admin, runtime: Runtime) -> None:
    meta = (await runtime.client.get("http://127.0.0.1:9031/.well-known/oauth-authorization-server")).json()
    assert meta["grant_types_supported"] == ["authorization_code", "client_credentials", "password", "refresh_token",
                                             TOKEN_EXCHANGE, "urn:ietf:params:oauth:grant-type:device_code"]


async def test_unserved_grant_type_is_unsupported(admin: Admin, runtime: Runtime) -> None:
    await admin.client_app()
    response = await runtime.token({"grant_type": "urn:example:unknown"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_client_grant_types_follow_the_registry(admin: Admin) -> None:
    body = {"clientId": "rs", "name": "rs", "grantTypes": ["ACCESS_TOKEN_VALIDATION", "TOKEN_EXCHANGE"],
            "clientAuth": {"type": "NONE"}}
    refused = await admin.post("/oauth/clients", body)
    assert refused.status_code == 422
    messages = [e["message"] for e in refused.json()["validationErrors"]]
    assert any("ACCESS_TOKEN_VALIDATION needs client authentication" in m for m in messages)
    unknown = await admin.post("/oauth/clients", {**body, "grantTypes": ["NOT_A_GRANT"]})
    assert unknown.status_code == 422

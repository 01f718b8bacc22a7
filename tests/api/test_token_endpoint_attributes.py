"""The access token manager's token endpoint attribute contract: stored as sent, and at the token
endpoint each attribute is returned next to ``access_token`` (filled by the access token mapping),
an array when ``multiValued``, and only when one of its ``mappedScopes`` (if any) is granted."""

from __future__ import annotations

from typing import Any

from tests.conftest import REFERENCE, Admin, Runtime

CONTRACT = {"attributes": [{"name": "org", "mappedScopes": []},
                           {"name": "groups", "multiValued": True, "mappedScopes": ["admin"]},
                           {"name": "tier"}]}


async def _setup(admin: Admin, contract: dict[str, Any] = CONTRACT) -> None:
    await admin.scopes(common=("admin", "read"))
    await admin.reference_atm(attributes=("cid",), tokenEndpointAttributeContract=contract)
    await admin.ok("POST", "/oauth/accessTokenMappings", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"cid": {"source": {"type": "CONTEXT"}, "value": "ClientId"},
                                         "org": {"source": {"type": "TEXT"}, "value": "acme"},
                                         "groups": {"source": {"type": "TEXT"}, "value": "g1"}}})
    await admin.client_app()


async def test_contract_is_stored_and_returned_as_sent(admin: Admin) -> None:
    await _setup(admin)
    got = await admin.ok("GET", "/oauth/accessTokenManagers/ref")
    assert got["tokenEndpointAttributeContract"] == CONTRACT  # tier has no multiValued: none comes back
    assert "multiValued" not in got["tokenEndpointAttributeContract"]["attributes"][2]
    empty = {**got, "tokenEndpointAttributeContract": {"attributes": []}}
    put = await admin.ok("PUT", "/oauth/accessTokenManagers/ref", empty)
    assert put["tokenEndpointAttributeContract"] == {"attributes": []}
    assert (await admin.ok("GET", "/oauth/accessTokenManagers/ref"))["tokenEndpointAttributeContract"] == {
        "attributes": []}


async def test_attributes_reach_the_token_response_by_scope(admin: Admin, runtime: Runtime) -> None:
    await _setup(admin)
    plain = await runtime.access_token(scope="read")
    assert plain["org"] == "acme" and "groups" not in plain
    assert "tier" not in plain  # not fulfilled by the mapping: not returned
    with_admin = await runtime.access_token(scope="admin")
    assert with_admin["org"] == "acme" and with_admin["groups"] == ["g1"]
    assert with_admin["token_type"] == "Bearer"


async def test_bad_contracts_are_refused(admin: Admin) -> None:
    body = {"id": "ref", "name": "r", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
            "attributeContract": {"extendedAttributes": [{"name": "cid"}]}}
    for contract, path in (({"attributes": [{"name": "access_token"}]}, "attributes[0].name"),
                           ({"attributes": [{"name": "a"}, {"name": "a"}]}, "attributes[1].name"),
                           ({"attributes": [{"name": " "}]}, "attributes[0].name"),
                           ({"attributes": [{"name": "a", "multiValued": "yes"}]}, "attributes[0].multiValued")):
        response = await admin.post("/oauth/accessTokenManagers", {**body, "tokenEndpointAttributeContract": contract})
        assert response.status_code == 422, contract
        paths = [e["fieldPath"] for e in response.json()["validationErrors"]]
        assert f"tokenEndpointAttributeContract.{path}" in paths
    assert (await admin.get("/oauth/accessTokenManagers/ref")).status_code == 404


async def test_a_mapping_may_fill_only_contract_attributes(admin: Admin) -> None:
    await admin.reference_atm(attributes=("cid",), tokenEndpointAttributeContract={"attributes": [{"name": "org"}]})
    response = await admin.post("/oauth/accessTokenMappings", {
        "context": {"type": "CLIENT_CREDENTIALS"}, "accessTokenManagerRef": {"id": "ref"},
        "attributeContractFulfillment": {"cid": {"source": {"type": "NO_MAPPING"}},
                                         "other": {"source": {"type": "TEXT"}, "value": "x"}}})
    assert response.status_code == 422
    assert response.json()["validationErrors"][0]["fieldPath"] == "attributeContractFulfillment.other"


async def test_session_validation_cannot_be_switched_on(admin: Admin) -> None:
    for key in ("checkValidAuthnSession", "checkSessionRevocationStatus", "updateAuthnSessionActivity",
                "includeSessionId"):
        response = await admin.post("/oauth/accessTokenManagers", {
            "id": "ref", "name": "r", "pluginDescriptorRef": {"id": REFERENCE}, "configuration": {},
            "sessionValidationSettings": {key: True}})
        assert response.status_code == 422
        error = response.json()["validationErrors"][0]
        assert error["fieldPath"] == f"sessionValidationSettings.{key}"
        assert "no authentication sessions" in error["message"]
    off = await admin.reference_atm(sessionValidationSettings={"includeSessionId": False})
    assert off["sessionValidationSettings"]["includeSessionId"] is False

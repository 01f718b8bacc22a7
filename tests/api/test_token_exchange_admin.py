"""The token exchange admin API (processor policies, generator groups, settings, policy-to-generator
mappings): every rule is a 422 naming its field, deletes of what is in use are refused naming the
user, Check Usage and the automatic validation see policies and groups, and bulk round-trips them."""

from __future__ import annotations

from typing import Any

from tests.conftest import Admin
from tests.keyfiles import generate
from tests.stskit import SAML20_PROC, generator

TT = "urn:ietf:params:oauth:token-type:"
POLICIES = "/oauth/tokenExchange/processor/policies"
GROUPS = "/oauth/tokenExchange/generator/groups"
MAPPINGS = "/oauth/tokenExchange/tokenGeneratorMappings"


def _paths(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["fieldPath"]: e["message"] for e in response.json()["validationErrors"]}


async def _processor(admin: Admin, processor_id: str = "saml2") -> None:
    await admin.ok("POST", "/idp/tokenProcessors", {
        "id": processor_id, "name": processor_id, "pluginDescriptorRef": {"id": SAML20_PROC},
        "configuration": {"fields": []}, "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}],
                                                               "extendedAttributes": [{"name": "role"}]}})


def _policy(policy_id: str = "pol", **extra: Any) -> dict[str, Any]:
    return {"id": policy_id, "name": f"Policy {policy_id}",
            "attributeContract": {"extendedAttributes": [{"name": "role"}]},
            "processorMappings": [{"subjectTokenType": TT + "saml2", "subjectTokenProcessor": {"id": "saml2"},
                                   "attributeContractFulfillment": {
                                       "subject": {"source": {"type": "SUBJECT_TOKEN"}, "value": "SAML_SUBJECT"},
                                       "role": {"source": {"type": "SUBJECT_TOKEN"}, "value": "role"}}}], **extra}


def _group(group_id: str = "grp", generator_id: str = "saml2gen", **extra: Any) -> dict[str, Any]:
    return {"id": group_id, "name": f"Group {group_id}", "generatorMappings": [
        {"requestedTokenType": TT + "saml2", "tokenGenerator": {"id": generator_id}, "defaultMapping": True}],
        **extra}


async def _setup(admin: Admin) -> None:
    await generate(admin, "signer")
    await _processor(admin)
    await generator(admin)


async def test_policy_rules_name_each_field(admin: Admin) -> None:
    await _setup(admin)
    created = await admin.ok("POST", POLICIES, _policy())
    assert created["attributeContract"]["coreAttributes"] == [{"name": "subject"}]
    assert created["actorTokenRequired"] is False
    assert created["processorMappings"][0]["subjectTokenProcessor"]["location"].endswith("/idp/tokenProcessors/saml2")
    bad = _policy("bad", actorTokenRequired=True)
    bad["processorMappings"][0].update(subjectTokenType=TT + "jwt", actorTokenProcessor={"id": "missing"})
    bad["processorMappings"][0]["attributeContractFulfillment"] = {
        "subject": {"source": {"type": "ACTOR_TOKEN"}, "value": "x"},
        "nope": {"source": {"type": "TEXT"}, "value": "x"}}
    paths = _paths(await admin.post(POLICIES, bad))
    assert "cannot validate subject tokens of type" in paths["processorMappings[0].subjectTokenProcessor.id"]
    assert "go together" in paths["processorMappings[0].actorTokenType"]
    assert "not in the attribute contract" in paths["processorMappings[0].attributeContractFulfillment.nope"]
    assert "needs a fulfilment" in paths["processorMappings[0].attributeContractFulfillment.role"]
    actor_source = "processorMappings[0].attributeContractFulfillment.subject.source.type"
    assert "ACTOR_TOKEN is not available" in paths[actor_source]
    assert "already has name" in _paths(await admin.post(POLICIES, {**_policy("other"), "name": "Policy pol"}))["name"]
    assert "already exists" in _paths(await admin.post(POLICIES, _policy()))["id"]
    assert "id" in _paths(await admin.post(POLICIES, {**_policy(), "id": "bad id!"}))
    empty = _paths(await admin.post(POLICIES, {**_policy("e"), "processorMappings": []}))
    assert "at least one" in empty["processorMappings"]
    wrong_type = await admin.post(POLICIES, {**_policy("t"), "actorTokenRequired": "yes"})
    assert _paths(wrong_type).keys() == {"actorTokenRequired"}
    unknown = _paths(await admin.post(POLICIES, {**_policy("u"), "processorMappings": [
        {**_policy()["processorMappings"][0], "subjectTokenType": "urn:x"}]}))
    assert "not a token type" in unknown["processorMappings[0].subjectTokenType"]


async def test_group_rules_and_default_settings(admin: Admin) -> None:
    await _setup(admin)
    created = await admin.ok("POST", GROUPS, _group(resourceUris=["https://api.example.com/orders"]))
    assert created["generatorMappings"][0]["tokenGenerator"]["location"].endswith("/sp/tokenGenerators/saml2gen")
    bad = _group("bad", resourceUris=["relative/path", "https://api.example.com/orders"])
    bad["generatorMappings"] = [
        {"requestedTokenType": TT + "saml1", "tokenGenerator": {"id": "saml2gen"}},
        {"requestedTokenType": TT + "saml2", "tokenGenerator": {"id": "missing"}}]
    paths = _paths(await admin.post(GROUPS, bad))
    assert "Exactly one" in paths["generatorMappings"]
    assert "issues 'urn:ietf:params:oauth:token-type:saml2'" in paths["generatorMappings[0].requestedTokenType"]
    assert "does not exist" in paths["generatorMappings[1].tokenGenerator.id"]
    assert "absolute" in paths["resourceUris[0]"] and "already has" in paths["resourceUris[1]"]

    missing = await admin.put("/oauth/tokenExchange/generator/settings", {"defaultGeneratorGroupRef": {"id": "x"}})
    assert "does not exist" in _paths(missing)["defaultGeneratorGroupRef.id"]
    settings = await admin.ok("PUT", "/oauth/tokenExchange/generator/settings",
                              {"defaultGeneratorGroupRef": {"id": "grp"}})
    assert settings["defaultGeneratorGroupRef"]["location"].endswith(GROUPS + "/grp")
    refused = await admin.delete(GROUPS + "/grp")
    assert refused.status_code == 422 and "default generator group" in refused.text


async def test_in_use_deletes_are_refused_and_check_usage_sees_policies_and_groups(admin: Admin) -> None:
    await _setup(admin)
    await admin.ok("POST", POLICIES, _policy())
    await admin.ok("POST", GROUPS, _group())
    await admin.reference_atm("ref")
    await admin.ok("POST", MAPPINGS, {"sourceId": "pol", "targetId": "saml2gen", "attributeContractFulfillment": {
        "SAML_SUBJECT": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}, "value": "subject"},
        "role": {"source": {"type": "CONTEXT"}, "value": "ClientId"}}})
    await admin.ok("PUT", "/oauth/tokenExchange/processor/settings", {"defaultProcessorPolicyRef": {"id": "pol"}})
    await admin.client_app("xapp", grants=("TOKEN_EXCHANGE",), tokenExchangeProcessorPolicyRef={"id": "pol"})

    refused = await admin.delete("/sp/tokenGenerators/saml2gen")
    assert refused.status_code == 422
    text = refused.text
    assert "Token exchange generator group 'grp'" in text and "mapping 'pol|saml2gen'" in text
    usage = await admin.ok("GET", "/idp/tokenProcessors/saml2/usage")
    assert [(u["type"], u["id"]) for u in usage["items"]] == [("tokenExchangeProcessorPolicy", "pol")]
    assert (await admin.delete("/idp/tokenProcessors/saml2")).status_code == 422
    policy_refused = await admin.delete(POLICIES + "/pol")
    assert policy_refused.status_code == 422
    messages = [e["message"] for e in policy_refused.json()["validationErrors"]]
    assert any("OAuth client 'xapp'" in m for m in messages)
    assert any("default processor policy" in m for m in messages)
    assert any("mapping 'pol|saml2gen'" in m for m in messages)

    # a processor change that breaks the policy is reported by the automatic validation, and on GET
    await admin.ok("PUT", "/idp/tokenProcessors/saml2", {
        "id": "saml2", "name": "saml2", "pluginDescriptorRef": {"id": SAML20_PROC}, "configuration": {"fields": []},
        "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": []}})
    policy = await admin.ok("GET", POLICIES + "/pol")
    assert any(e["fieldPath"].endswith("attributeContractFulfillment.role.value") for e in policy["validationErrors"])
    listing = await admin.ok("GET", "/idp/tokenProcessors")
    assert any(b["id"] == "pol" for b in listing.get("brokenReferences", [])), listing.keys()


async def test_access_token_mapping_in_the_policy_context(admin: Admin) -> None:
    await _setup(admin)
    await admin.ok("POST", POLICIES, _policy())
    await admin.reference_atm("ref", attributes=("sub",))
    body = {"context": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY", "contextRef": {"id": "pol"}},
            "accessTokenManagerRef": {"id": "ref"},
            "attributeContractFulfillment": {"sub": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"},
                                                     "value": "subject"}}}
    created = await admin.ok("POST", "/oauth/accessTokenMappings", body)
    assert created["id"] == "pol|ref"
    assert created["context"]["contextRef"]["location"].endswith(POLICIES + "/pol")
    wrong = {**body, "attributeContractFulfillment": {"sub": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"},
                                                              "value": "nope"}}}
    assert "contract of processor policy" in _paths(await admin.put("/oauth/accessTokenMappings/pol%7Cref", wrong))[
        "attributeContractFulfillment.sub.value"]
    no_ref = await admin.post("/oauth/accessTokenMappings", {**body, "context": {
        "type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}})
    assert "context.contextRef.id" in _paths(no_ref)
    assert "pol|ref" in (await admin.delete(POLICIES + "/pol")).text


async def test_bulk_export_and_import_carry_the_token_exchange_model(admin: Admin) -> None:
    await _setup(admin)
    await admin.ok("POST", POLICIES, _policy())
    await admin.ok("POST", GROUPS, _group(resourceUris=["https://api.example.com/orders"]))
    await admin.ok("PUT", "/oauth/tokenExchange/processor/settings", {"defaultProcessorPolicyRef": {"id": "pol"}})
    await admin.ok("PUT", "/oauth/tokenExchange/generator/settings", {"defaultGeneratorGroupRef": {"id": "grp"}})
    await admin.ok("POST", MAPPINGS, {"sourceId": "pol", "targetId": "saml2gen", "attributeContractFulfillment": {
        "SAML_SUBJECT": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}, "value": "subject"},
        "role": {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"}, "value": "role"}}})
    await admin.reference_atm("ref")
    await admin.ok("POST", "/oauth/accessTokenMappings", {
        "context": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY", "contextRef": {"id": "pol"}},
        "accessTokenManagerRef": {"id": "ref"}, "attributeContractFulfillment": {}})
    await admin.client_app("xapp", grants=("TOKEN_EXCHANGE",), tokenExchangeProcessorPolicyRef={"id": "pol"})
    exported = await admin.ok("GET", "/bulk/export")
    types = {op["resourceType"]: op["items"] for op in exported["operations"]}
    assert types[POLICIES][0]["id"] == "pol" and types[GROUPS][0]["resourceUris"] == ["https://api.example.com/orders"]
    assert types["/oauth/tokenExchange/generator/settings"] == [{"defaultGeneratorGroupRef": {"id": "grp"}}]
    before = {path: await admin.ok("GET", path) for path in (POLICIES + "/pol", GROUPS + "/grp", MAPPINGS,
                                                              "/oauth/tokenExchange/processor/settings",
                                                              "/oauth/clients/xapp")}
    for path in ("/oauth/accessTokenMappings/pol%7Cref", MAPPINGS + "/pol%7Csaml2gen",
                 "/oauth/clients/xapp"):
        assert (await admin.delete(path)).status_code == 204
    await admin.ok("PUT", "/oauth/tokenExchange/processor/settings", {})
    await admin.ok("PUT", "/oauth/tokenExchange/generator/settings", {})
    for path in (POLICIES + "/pol", GROUPS + "/grp"):
        assert (await admin.delete(path)).status_code == 204
    imported = await admin.post("/bulk/import", exported)
    assert imported.status_code < 300, imported.text
    for path, value in before.items():
        again = await admin.ok("GET", path)
        if path.endswith("xapp"):
            assert again["tokenExchangeProcessorPolicyRef"] == value["tokenExchangeProcessorPolicyRef"]
        else:
            assert again == value, path
    assert (await admin.get("/oauth/accessTokenMappings/pol%7Cref")).status_code == 200

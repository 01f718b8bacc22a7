"""Console: token exchange processor policies and generator groups (Applications > Token Exchange)
are created, edited and deleted on their forms, refused saves show the service's messages next to
the inputs with the values kept, in-use deletes are refused naming the user, the defaults are set
from the listings, and every result is read back through the admin API."""

from __future__ import annotations

import html
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Admin
from tests.console.conftest import ConsoleClient, field_errors
from tests.keyfiles import generate
from tests.stskit import SAML11_PROC, SAML20_PROC, generator
from tokensmith.web.console.web import field_id

TT = "urn:ietf:params:oauth:token-type:"
POLICIES = "/token-exchange/processor-policies"
GROUPS = "/token-exchange/generator-groups"
API_POLICIES = "/oauth/tokenExchange/processor/policies"
API_GROUPS = "/oauth/tokenExchange/generator/groups"
M0, M1 = "processorMappings[0]", "processorMappings[1]"
F0, F1 = M0 + ".attributeContractFulfillment", M1 + ".attributeContractFulfillment"


async def _setup(admin: Admin) -> None:
    await generate(admin, "signer")
    for processor_id, plugin in (("saml2", SAML20_PROC), ("saml1", SAML11_PROC)):
        await admin.ok("POST", "/idp/tokenProcessors", {
            "id": processor_id, "name": f"Processor {processor_id}", "pluginDescriptorRef": {"id": plugin},
            "configuration": {"fields": []}, "attributeContract": {
                "coreAttributes": [{"name": "SAML_SUBJECT"}], "extendedAttributes": [{"name": "role"}]}})
    await generator(admin)


def _policy_form(**extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "_action": "save", "id": "pol", "name": "Orders policy",
        "attributeContract.extendedAttributes[0].name": "role",
        f"{M0}._orig": "", f"{M0}.subjectTokenType": TT + "saml2", f"{M0}.subjectTokenProcessor.id": "saml2",
        f"{M0}.actorTokenType": "", f"{M0}.actorTokenProcessor.id": "",
        f"{F0}._names": ["subject", "role"],
        f"{F0}.subject.source.type": "SUBJECT_TOKEN", f"{F0}.subject.value": "SAML_SUBJECT",
        f"{F0}.role.source.type": "SUBJECT_TOKEN", f"{F0}.role.value": "role",
        f"{M1}.subjectTokenType": TT + "saml1", f"{M1}.subjectTokenProcessor.id": "saml1",
        f"{M1}.actorTokenType": TT + "saml2", f"{M1}.actorTokenProcessor.id": "saml2",
        f"{F1}._names": ["subject", "role"],
        f"{F1}.subject.source.type": "SUBJECT_TOKEN", f"{F1}.subject.value": "SAML_SUBJECT",
        f"{F1}.role.source.type": "ACTOR_TOKEN", f"{F1}.role.value": "role",
        f"{M1}.issuanceCriteria.conditionalCriteria[0].source.type": "CONTEXT",
        f"{M1}.issuanceCriteria.conditionalCriteria[0].attributeName": "ClientId",
        f"{M1}.issuanceCriteria.conditionalCriteria[0].condition": "EQUALS",
        f"{M1}.issuanceCriteria.conditionalCriteria[0].value": "xapp",
        f"{M1}.issuanceCriteria.conditionalCriteria[0].errorResult": "not for you",
    }
    form.update(extra)
    return form


def _group_form(**extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"_action": "save", "id": "grp", "name": "Orders group",
                            "resourceUris": "https://api.example.com/orders\n",
                            "generatorMappings[0].requestedTokenType": TT + "saml2",
                            "generatorMappings[0].tokenGenerator.id": "saml2gen", "generatorMappings._default": "0"}
    form.update(extra)
    return form


async def test_processor_policy_created_edited_and_deleted(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    empty = await console.get(POLICIES)
    assert empty.status_code == 200 and "No processor policy exists yet." in empty.text
    blank = await console.get(POLICIES + "/new")
    assert blank.status_code == 200 and 'name="processorMappings[0].subjectTokenProcessor.id"' in blank.text
    assert "Processor saml2 (saml2)" in html.unescape(blank.text)

    saved = await console.post(POLICIES + "/new", _policy_form(), follow_redirects=True)
    assert saved.status_code == 200 and "Processor policy &#39;Orders policy&#39; saved." in saved.text
    doc = await admin.ok("GET", API_POLICIES + "/pol")
    assert doc["name"] == "Orders policy" and doc["actorTokenRequired"] is False
    assert doc["attributeContract"] == {"coreAttributes": [{"name": "subject"}],
                                        "extendedAttributes": [{"name": "role"}]}
    first, second = doc["processorMappings"]
    assert first["subjectTokenType"] == TT + "saml2" and first["subjectTokenProcessor"]["id"] == "saml2"
    assert "actorTokenType" not in first and "actorTokenProcessor" not in first
    assert second["actorTokenType"] == TT + "saml2" and second["actorTokenProcessor"]["id"] == "saml2"
    assert second["attributeContractFulfillment"]["role"] == {"source": {"type": "ACTOR_TOKEN"}, "value": "role"}
    assert second["issuanceCriteria"]["conditionalCriteria"] == [{
        "source": {"type": "CONTEXT"}, "attributeName": "ClientId", "condition": "EQUALS", "value": "xapp",
        "errorResult": "not for you"}]
    listing = html.unescape((await console.get(POLICIES)).text)
    assert "Orders policy" in listing and "Processor saml2, Processor saml1" in listing

    # the edit form shows what is stored; removing the second mapping keeps the first as it was
    form = await console.get(POLICIES + "/edit", params={"id": "pol"})
    assert form.status_code == 200 and 'value="not for you"' in form.text
    edited = _policy_form(name="Orders policy v2", actorTokenRequired="true")
    edited = {k: v for k, v in edited.items() if not k.startswith(M1)}
    edited.update({f"{M0}._orig": "0", f"{M0}.actorTokenType": TT + "saml1", f"{M0}.actorTokenProcessor.id": "saml1"})
    done = await console.post(POLICIES + "/edit?id=pol", edited)
    assert done.status_code == 303, done.text
    doc = await admin.ok("GET", API_POLICIES + "/pol")
    assert doc["name"] == "Orders policy v2" and doc["actorTokenRequired"] is True
    assert [m["actorTokenProcessor"]["id"] for m in doc["processorMappings"]] == ["saml1"]
    # an attribute renamed without redrawing the tables: the stale fulfilment row is dropped and the
    # new attribute's missing fulfilment is shown at its (now drawn) row
    renamed = await console.post(POLICIES + "/edit?id=pol", {
        **edited, "attributeContract.extendedAttributes[0].name": "group"})
    assert renamed.status_code == 422
    assert "needs a fulfilment" in " ".join(field_errors(renamed.text)[field_id(f"{F0}.group")])
    assert f'name="{F0}.group.value"' in renamed.text

    confirm = await console.get(POLICIES + "/delete", params={"id": "pol"})
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    forged = await console.post(POLICIES + "/delete?id=pol", csrf="not-the-token")
    assert forged.status_code == 403
    assert (await admin.get(API_POLICIES + "/pol")).status_code == 200
    gone = await console.post(POLICIES + "/delete?id=pol", follow_redirects=True)
    assert gone.status_code == 200 and "deleted" in gone.text
    assert (await admin.get(API_POLICIES + "/pol")).status_code == 404
    assert (await console.get(POLICIES + "/edit", params={"id": "pol"})).status_code == 404


async def test_refused_policy_shows_the_messages_and_keeps_the_values(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    bad = _policy_form(actorTokenRequired="true", name="Kept name")
    bad.update({f"{M0}.subjectTokenType": TT + "jwt", f"{M1}.actorTokenProcessor.id": "",
                f"{F0}.role.source.type": "ACTOR_TOKEN"})
    refused = await console.post(POLICIES + "/new", bad)
    assert refused.status_code == 422
    errors = field_errors(refused.text)
    assert "cannot validate subject tokens" in " ".join(errors[field_id(f"{M0}.subjectTokenProcessor.id")])
    assert "actorTokenRequired is set" in " ".join(errors[field_id(f"{M0}.actorTokenType")])
    assert "go together" in " ".join(errors[field_id(f"{M1}.actorTokenProcessor")])
    assert "ACTOR_TOKEN is not available" in " ".join(errors[field_id(f"{F0}.role.source.type")])
    assert 'value="Kept name"' in refused.text and 'value="not for you"' in refused.text
    assert (await admin.get(API_POLICIES + "/pol")).status_code == 404
    nothing = await console.post(POLICIES + "/new", {"_action": "save", "id": "", "name": ""})
    assert nothing.status_code == 422
    errors = field_errors(nothing.text)
    assert errors[field_id("id")] and errors[field_id("name")] and errors[field_id("processorMappings")]
    forged = await console.post(POLICIES + "/new", _policy_form(), csrf="forged")
    assert forged.status_code == 403 and (await admin.get(API_POLICIES + "/pol")).status_code == 404


async def test_policy_rows_are_added_and_removed(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    added = await console.post(POLICIES + "/new", _policy_form(_action="add:processorMappings"))
    assert added.status_code == 200 and 'name="processorMappings[2].subjectTokenType"' in added.text
    removed = await console.post(POLICIES + "/new", _policy_form(_action="remove:processorMappings:0"))
    assert 'name="processorMappings[1].subjectTokenType"' not in removed.text
    assert 'value="not for you"' in removed.text  # the second mapping is now the first
    contract = await console.post(POLICIES + "/new", _policy_form(
        _action="add:attributeContract.extendedAttributes"))
    assert 'name="attributeContract.extendedAttributes[1].name"' in contract.text


async def test_in_use_policy_and_group_deletes_are_refused(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    assert (await console.post(POLICIES + "/new", _policy_form())).status_code == 303
    assert (await console.post(GROUPS + "/new", _group_form())).status_code == 303
    assert (await console.post(POLICIES + "/default", {"defaultProcessorPolicyRef.id": "pol"})).status_code == 303
    assert (await console.post(GROUPS + "/default", {"defaultGeneratorGroupRef.id": "grp"})).status_code == 303
    processor_settings = await admin.ok("GET", "/oauth/tokenExchange/processor/settings")
    assert processor_settings["defaultProcessorPolicyRef"]["id"] == "pol"
    generator_settings = await admin.ok("GET", "/oauth/tokenExchange/generator/settings")
    assert generator_settings["defaultGeneratorGroupRef"]["id"] == "grp"
    await admin.client_app("xapp", grants=("TOKEN_EXCHANGE",), tokenExchangeProcessorPolicyRef={"id": "pol"})

    confirm = html.unescape((await console.get(POLICIES + "/delete", params={"id": "pol"})).text)
    assert "is in use and cannot be deleted" in confirm and "OAuth client 'xapp'" in confirm
    assert "default processor policy" in confirm
    refused = await console.post(POLICIES + "/delete?id=pol")
    assert refused.status_code == 422 and (await admin.get(API_POLICIES + "/pol")).status_code == 200
    group = await console.post(GROUPS + "/delete?id=grp")
    assert group.status_code == 422 and "default generator group" in group.text
    assert (await admin.get(API_GROUPS + "/grp")).status_code == 200

    missing = await console.post(GROUPS + "/default", {"defaultGeneratorGroupRef.id": "nope"}, follow_redirects=True)
    assert "was not changed" in html.unescape(missing.text) and "does not exist" in missing.text
    cleared = await console.post(GROUPS + "/default", {"defaultGeneratorGroupRef.id": ""}, follow_redirects=True)
    assert "There is no default generator group now." in cleared.text
    assert await admin.ok("GET", "/oauth/tokenExchange/generator/settings") == {}
    assert (await console.post(GROUPS + "/delete?id=grp")).status_code == 303
    assert (await admin.get(API_GROUPS + "/grp")).status_code == 404


async def test_generator_group_created_edited_and_refused(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    await generator(admin, "saml1gen", plugin="org.sourceid.wstrust.generator.saml.Saml11TokenGenerator")
    assert "No generator group exists yet." in (await console.get(GROUPS)).text
    saved = await console.post(GROUPS + "/new", _group_form(), follow_redirects=True)
    assert "Generator group &#39;Orders group&#39; saved." in saved.text
    doc = await admin.ok("GET", API_GROUPS + "/grp")
    assert doc["resourceUris"] == ["https://api.example.com/orders"]
    assert [(m["requestedTokenType"], m["tokenGenerator"]["id"], m["defaultMapping"])
            for m in doc["generatorMappings"]] == [(TT + "saml2", "saml2gen", True)]

    two = _group_form(**{"generatorMappings[1].requestedTokenType": TT + "saml1",
                         "generatorMappings[1].tokenGenerator.id": "saml1gen", "generatorMappings._default": "1",
                         "name": "Orders group v2"})
    assert (await console.post(GROUPS + "/edit?id=grp", two)).status_code == 303
    doc = await admin.ok("GET", API_GROUPS + "/grp")
    assert doc["name"] == "Orders group v2"
    assert [(m["tokenGenerator"]["id"], m["defaultMapping"]) for m in doc["generatorMappings"]] == [
        ("saml2gen", False), ("saml1gen", True)]
    listing = html.unescape((await console.get(GROUPS)).text)
    assert "Generator saml2gen, Generator saml1gen" in listing and "https://api.example.com/orders" in listing

    bad = _group_form(id="other", name="Orders group v2", resourceUris="relative/path\nhttps://api.example.com/orders",
                      **{"generatorMappings[0].requestedTokenType": TT + "saml1"})
    refused = await console.post(GROUPS + "/new", bad)
    assert refused.status_code == 422
    errors = field_errors(refused.text)
    assert "already has name" in " ".join(errors[field_id("name")])
    uris = " ".join(errors[field_id("resourceUris")])
    assert "absolute" in uris and "already has resource URI" in uris
    assert "issues" in " ".join(errors[field_id("generatorMappings[0].requestedTokenType")])
    assert "relative/path" in refused.text and 'value="Orders group v2"' in refused.text
    assert (await admin.get(API_GROUPS + "/other")).status_code == 404
    none = await console.post(GROUPS + "/new", _group_form(id="e", name="E", **{
        "generatorMappings[0].tokenGenerator.id": ""}))
    assert none.status_code == 422
    assert "at least one" in " ".join(field_errors(none.text)[field_id("generatorMappings")])
    forged = await console.post(GROUPS + "/edit?id=grp", _group_form(name="Forged"), csrf="forged")
    assert forged.status_code == 403
    assert (await admin.ok("GET", API_GROUPS + "/grp"))["name"] == "Orders group v2"
    added = await console.post(GROUPS + "/edit?id=grp", _group_form(_action="add:generatorMappings"))
    assert added.status_code == 200 and 'name="generatorMappings[1].tokenGenerator.id"' in added.text


async def test_navigation_links(console: ConsoleClient) -> None:
    home = (await console.get("/")).text
    assert f'href="/console{POLICIES}"' in home and f'href="/console{GROUPS}"' in home


async def test_policy_to_generator_mapping_page(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    assert (await console.post(POLICIES + "/new", _policy_form())).status_code == 303
    page = "/token-exchange/policy-mappings"
    assert "No policy-to-generator mapping exists yet." in (await console.get(page)).text
    shown = await console.post(page + "/new", {"_action": "refresh", "sourceId": "pol", "targetId": "saml2gen"})
    assert shown.status_code == 200 and 'name="attributeContractFulfillment.SAML_SUBJECT.value"' in shown.text
    assert "Policy attributes: subject, role." in shown.text
    form = {"_action": "save", "sourceId": "pol", "targetId": "saml2gen",
            "attributeContractFulfillment._names": ["SAML_SUBJECT", "role"],
            "attributeContractFulfillment.SAML_SUBJECT.source.type": "TOKEN_EXCHANGE_PROCESSOR_POLICY",
            "attributeContractFulfillment.SAML_SUBJECT.value": "subject",
            "attributeContractFulfillment.role.source.type": "TOKEN_EXCHANGE_PROCESSOR_POLICY",
            "attributeContractFulfillment.role.value": "nope"}
    refused = await console.post(page + "/new", form)
    assert refused.status_code == 422
    assert field_errors(refused.text)[field_id("attributeContractFulfillment.role.value")]
    assert 'value="nope"' in refused.text
    form["attributeContractFulfillment.role.value"] = "role"
    assert (await console.post(page + "/new", form)).status_code == 303
    doc = await admin.ok("GET", "/oauth/tokenExchange/tokenGeneratorMappings/pol|saml2gen")
    assert doc["attributeContractFulfillment"]["role"] == {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"},
                                                           "value": "role"}
    assert "Orders policy" in html.unescape((await console.get(page)).text)
    in_use = html.unescape((await console.get(POLICIES + "/delete", params={"id": "pol"})).text)
    assert "mapping 'pol|saml2gen'" in in_use
    forged = await console.post(page + "/delete?id=pol|saml2gen", csrf="forged")
    assert forged.status_code == 403
    assert (await console.post(page + "/delete?id=pol|saml2gen")).status_code == 303
    assert (await admin.get("/oauth/tokenExchange/tokenGeneratorMappings/pol|saml2gen")).status_code == 404


async def test_client_form_names_its_processor_policy(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    assert (await console.post(POLICIES + "/new", _policy_form())).status_code == 303
    await admin.client_app("xapp", grants=("TOKEN_EXCHANGE",))
    form = await console.get("/oauth/clients/edit", params={"id": "xapp"})
    assert 'name="tokenExchangeProcessorPolicyRef.id"' in form.text and "Orders policy (pol)" in form.text
    body = {"_action": "save", "name": "X app", "enabled": "true", "grantTypes": "TOKEN_EXCHANGE",
            "clientAuth.type": "SECRET", "refreshRolling": "SERVER_DEFAULT",
            "clientSecretRetentionPeriodType": "SERVER_DEFAULT", "tokenExchangeProcessorPolicyRef.id": "pol"}
    saved = await console.post("/oauth/clients/edit?id=xapp", body)
    assert saved.status_code == 303, field_errors(saved.text)
    assert (await admin.ok("GET", "/oauth/clients/xapp"))["tokenExchangeProcessorPolicyRef"]["id"] == "pol"
    refused = await console.post("/oauth/clients/edit?id=xapp", {**body, "tokenExchangeProcessorPolicyRef.id": "gone"})
    assert refused.status_code == 422
    assert "does not exist" in " ".join(field_errors(refused.text)[field_id("tokenExchangeProcessorPolicyRef.id")])
    cleared = await console.post("/oauth/clients/edit?id=xapp", {**body, "tokenExchangeProcessorPolicyRef.id": ""})
    assert cleared.status_code == 303
    assert "tokenExchangeProcessorPolicyRef" not in await admin.ok("GET", "/oauth/clients/xapp")


async def test_access_token_mapping_in_the_policy_context(console: ConsoleClient, admin: Admin) -> None:
    await _setup(admin)
    assert (await console.post(POLICIES + "/new", _policy_form())).status_code == 303
    await admin.reference_atm("ref", attributes=("sub",))
    listing = html.unescape((await console.get(POLICIES)).text)
    link = "/console/oauth/access-token-mappings/new?context=TOKEN_EXCHANGE_PROCESSOR_POLICY&policy=pol"
    assert link in listing
    page = "/oauth/access-token-mappings"
    shown = await console.post(page + "/new", {"_action": "refresh", "context.type": "TOKEN_EXCHANGE_PROCESSOR_POLICY",
                                               "context.contextRef.id": "pol", "accessTokenManagerRef.id": "ref"})
    assert shown.status_code == 200 and "Policy attributes: subject, role." in shown.text
    assert "Orders policy (pol)" in shown.text and 'value="TOKEN_EXCHANGE_PROCESSOR_POLICY"' in shown.text
    form = {"_action": "save", "context.type": "TOKEN_EXCHANGE_PROCESSOR_POLICY", "context.contextRef.id": "pol",
            "accessTokenManagerRef.id": "ref", "attributeContractFulfillment._names": "sub",
            "attributeContractFulfillment.sub.source.type": "TOKEN_EXCHANGE_PROCESSOR_POLICY",
            "attributeContractFulfillment.sub.value": "nope"}
    refused = await console.post(page + "/new", form)
    assert refused.status_code == 422
    assert "contract of processor policy" in " ".join(
        field_errors(refused.text)[field_id("attributeContractFulfillment.sub.value")])
    assert (await console.post(page + "/new", {**form, "attributeContractFulfillment.sub.value": "subject"}
                               )).status_code == 303
    doc = await admin.ok("GET", "/oauth/accessTokenMappings/pol%7Cref")
    assert doc["context"]["contextRef"]["id"] == "pol"
    assert doc["attributeContractFulfillment"]["sub"] == {"source": {"type": "TOKEN_EXCHANGE_PROCESSOR_POLICY"},
                                                          "value": "subject"}
    in_use = html.unescape((await console.get(POLICIES + "/delete", params={"id": "pol"})).text)
    assert "Access token mapping 'pol|ref' uses it as its context" in in_use


FUZZ_NAMES = {
    POLICIES + "/new": ["id", "name", "actorTokenRequired", "attributeContract.extendedAttributes[0].name",
                        f"{M0}._orig", f"{M0}.subjectTokenType", f"{M0}.subjectTokenProcessor.id",
                        f"{M0}.actorTokenType", f"{M0}.actorTokenProcessor.id", f"{F0}._names",
                        f"{F0}.subject.source.type", f"{F0}.subject.value", f"{F0}.role.value",
                        f"{M1}.issuanceCriteria.conditionalCriteria[0].source.type",
                        f"{M1}.issuanceCriteria.conditionalCriteria[0].condition", "_action"],
    POLICIES + "/edit?id=pol": ["name", f"{M0}._orig", f"{M0}.subjectTokenProcessor.id", f"{F0}._names",
                                f"{F0}.subject.value", "_action"],
    POLICIES + "/default": ["defaultProcessorPolicyRef.id"],
    GROUPS + "/new": ["id", "name", "resourceUris", "generatorMappings[0].requestedTokenType",
                      "generatorMappings[0].tokenGenerator.id", "generatorMappings[3].tokenGenerator.id",
                      "generatorMappings._default", "_action"],
    GROUPS + "/default": ["defaultGeneratorGroupRef.id"],
    "/token-exchange/policy-mappings/new": ["sourceId", "targetId", "attributeContractFulfillment._names",
                                            "attributeContractFulfillment.SAML_SUBJECT.source.type",
                                            "attributeContractFulfillment.SAML_SUBJECT.value", "_action"],
}
FUZZ_VALUES = st.one_of(st.text(max_size=16), st.sampled_from([
    "", "true", "0", "1", "99999999999999999999", "pol", "grp", "saml2", "saml1", "saml2gen", "subject", "role",
    "SAML_SUBJECT", "SUBJECT_TOKEN", "ACTOR_TOKEN", "CONTEXT", "TEXT", "TOKEN_EXCHANGE_PROCESSOR_POLICY", "save",
    "refresh", TT + "saml2", TT + "jwt", "add:processorMappings", "remove:processorMappings:0",
    "up:processorMappings:1", "add:generatorMappings", "remove:generatorMappings:5",
    "add:attributeContract.extendedAttributes", f"add:{M0}.issuanceCriteria.conditionalCriteria"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(FUZZ_NAMES)), data=st.data())
async def test_no_token_exchange_form_post_answers_500(console: ConsoleClient, admin: Admin, path: str,
                                                       data: st.DataObject) -> None:
    if (await admin.get(API_POLICIES + "/pol")).status_code == 404:
        await _setup(admin)
        assert (await console.post(POLICIES + "/new", _policy_form())).status_code == 303
    names = FUZZ_NAMES[path]
    form = data.draw(st.dictionaries(st.sampled_from(names), FUZZ_VALUES, max_size=len(names)))
    response = await console.post(path, form)
    assert response.status_code in (200, 303, 404, 422), (response.status_code, response.text)
    for page in (POLICIES + "/edit", GROUPS + "/delete", "/token-exchange/policy-mappings/edit"):
        answer = await console.get(page, params={"id": data.draw(FUZZ_VALUES)})
        assert answer.status_code in (200, 404), (answer.status_code, answer.text)

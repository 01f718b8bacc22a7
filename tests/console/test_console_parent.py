"""Parent and child instances through the console: the form offers the parent's instances, marks
fields inherited, and the child stores its own value only where it overrides the parent."""

from __future__ import annotations

import base64

from tests.conftest import Admin
from tests.console.conftest import ConsoleClient, field_errors
from tokensmith.admin.kinds import access_token_managers
from tokensmith.atm.jwt.descriptor import PLUGIN_ID as JWT
from tokensmith.config.model import ATM
from tokensmith.node import Node

BASE = "/oauth/access-token-managers"
KEY = base64.urlsafe_b64encode(b"k" * 32).rstrip(b"=").decode()


async def test_a_child_inherits_what_it_does_not_override(console: ConsoleClient, admin: Admin, node: Node) -> None:
    await admin.ok("POST", "/oauth/accessTokenManagers", {
        "id": "parentjwt", "name": "Parent JWT", "pluginDescriptorRef": {"id": JWT},
        "configuration": {
            "fields": [{"name": "JWS Algorithm", "value": "HS256"}, {"name": "Active Symmetric Key ID", "value": "s1"},
                       {"name": "Token Lifetime", "value": "30"}],
            "tables": [{"name": "Symmetric Keys", "rows": [{"fields": [
                {"name": "Key ID", "value": "s1"}, {"name": "Key", "value": KEY},
                {"name": "Encoding", "value": "b64u"}]}]}]}})
    descriptor = access_token_managers().get(JWT)
    assert descriptor is not None and descriptor.supports_parent

    form = await console.get(BASE + "/new", params={"type": JWT})
    assert '<option value="parentjwt">Parent JWT</option>' in form.text
    applied = await console.post(BASE + "/new", {"pluginDescriptorRef.id": JWT, "parentRef.id": "parentjwt",
                                                 "name": "Child", "id": "childjwt", "_action": "refresh"})
    assert applied.status_code == 200
    assert 'name="configuration.fields[Token Lifetime].inherited"' in applied.text
    assert 'name="configuration.tables[Symmetric Keys].inherited"' in applied.text

    body = {"pluginDescriptorRef.id": JWT, "parentRef.id": "parentjwt", "name": "Child", "id": "childjwt",
            "configuration.fields[Token Lifetime]": "60", "_action": "save"}
    for f in descriptor.fields:
        if f.name != "Token Lifetime":
            body[f"configuration.fields[{f.name}].inherited"] = "true"
    for t in descriptor.tables:
        body[f"configuration.tables[{t.name}].inherited"] = "true"
    saved = await console.post(BASE + "/new", body)
    assert saved.status_code == 303, field_errors(saved.text)
    child = node.model().get(ATM, "childjwt")
    assert child is not None and child["parentRef"] == {"id": "parentjwt"}
    fields = {f["name"]: f for f in child["configuration"]["fields"]}
    assert fields["Token Lifetime"]["value"] == "60" and not fields["Token Lifetime"].get("inherited")
    assert fields["JWS Algorithm"]["value"] == "HS256" and fields["JWS Algorithm"]["inherited"] is True

    edit = await console.get(BASE + "/edit", params={"id": "childjwt"})
    assert 'name="configuration.fields[JWS Algorithm].inherited" value="true" checked' in edit.text
    assert 'name="configuration.fields[Token Lifetime].inherited" value="true">' in edit.text

    refused = await console.get(BASE + "/delete", params={"id": "parentjwt"})
    assert "childjwt" in refused.text and "cannot be deleted" in refused.text

"""RFC 6749 §4.4: the client credentials grant, for confidential clients only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.httpmsg import Response
from tokensmith.mapping import Sources
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.types import ClientGrantType, Grant
from tokensmith.oauth.selection import select
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

NAME = "client_credentials"


async def handle(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                 context: dict[str, Any], now: float) -> Response:
    if not client.confidential:
        raise issuing.unauthorized(NAME)
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    atm = select(form, client, snapshot)
    scope = issuing.scope_string(names, atm, snapshot)
    context["OAuthScopes"] = scope.split()
    sources = Sources(context, {}, {})
    mapping = issuing.mapping_for(snapshot, atm, "client_credentials")
    attrs = issuing.attributes(atm, mapping, sources)
    extra = issuing.token_endpoint_attributes(atm, mapping, sources, scope)
    issued = await issuing.issue(rt, atm, client.client_id, scope, attrs, now, None)
    return issuing.response(issued, now, extra=extra)


GRANT = Grant(NAME, ClientGrantType("CLIENT_CREDENTIALS", "Client Credentials", confidential_only=True), handle)

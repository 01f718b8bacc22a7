"""RFC 6749 §6: refreshing an access token from a persistent grant, narrowing the scope if asked and
rolling the refresh token when the client (or the server default) says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.types import ClientGrantType, Grant
from tokensmith.state.base import token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

NAME = "refresh_token"


async def handle(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                 context: dict[str, Any], now: float) -> Response:
    presented = form.get("refresh_token")
    if not presented:
        raise invalid_request("refresh_token is required")
    old_hash = token_digest(presented)
    grant = await rt.state.get_grant_by_refresh(old_hash)
    if grant is None or grant.client_id != client.client_id or (
            grant.expires_at is not None and grant.expires_at <= now):
        raise OAuthError("invalid_grant", "The refresh token is not valid")
    atm = snapshot.atms.get(grant.atm_id)
    if atm is None:
        raise OAuthError("invalid_grant", "The grant's access token manager no longer exists")
    if not atm.allows(client.client_id):
        raise OAuthError("access_denied", f"This client may no longer use access token manager '{atm.id}'")
    names = scope_rules.narrow(form.get("scope"), grant.scope.split(), snapshot.scopes)
    scope_rules.grant(" ".join(names), client, snapshot.scopes)  # still defined and still allowed
    scope = issuing.scope_string(names, atm, snapshot)
    refresh: str | None = None
    roll = client.roll_refresh if client.roll_refresh is not None else snapshot.roll_refresh_tokens
    if roll:
        refresh = issuing.new_refresh(snapshot)
        if not await rt.state.replace_refresh(grant.grant_id, old_hash, token_digest(refresh)):
            raise OAuthError("invalid_grant", "The refresh token is not valid")
    issued = await issuing.issue(rt, atm, client.client_id, scope, grant.attributes, now, grant.grant_id)
    return issuing.response(issued, now, refresh or presented)


GRANT = Grant(NAME, ClientGrantType("REFRESH_TOKEN", "Refresh Token"), handle)

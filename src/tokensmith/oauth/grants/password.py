"""RFC 6749 §4.3: the resource owner password credentials grant, checked by the password credential
validators under the per-user sign-in throttle; a refresh token comes with it when the client may
use refresh tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response
from tokensmith.mapping import Sources
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.clientauth import admit
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.types import ClientGrantType, Grant
from tokensmith.oauth.selection import select
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.state.throttle import Attempt
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

NAME = "password"


async def admit_user(rt: Runtime, username: str, address: str) -> Attempt:
    """The throttle's go-ahead for checking a user's password (before the cache or any hash)."""
    return await admit(rt.throttle, "password", username, address, "invalid_grant",
                       "Too many failed sign-ins for this user; try again later")


async def match_user(snapshot: Snapshot, username: str, password: str, now: float) -> tuple[str, dict[str, Any]] | None:
    """The first validator that accepts the username and password, with the attributes it returned
    (PingFederate tries the validators in order); None when none does. The password grant and the
    sign-in pages both check passwords this way."""
    for validator in snapshot.validators:
        found = await VERIFIED_PASSWORDS.validate(validator, username, password, now)
        if found is not None:
            return validator.id, found
    return None


async def handle(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                 context: dict[str, Any], now: float) -> Response:
    username, password = form.get("username"), form.get("password")
    if not username or password is None:
        raise invalid_request("username and password are required")
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    atm = select(form, client, snapshot)
    if not snapshot.validators:
        raise OAuthError("invalid_grant", "No password credential validator is configured")
    attempt = await admit_user(rt, username, str(context.get("ClientIp", "")))
    matched = await match_user(snapshot, username, password, now)
    await (attempt.failed() if matched is None else attempt.succeeded())
    if matched is None:
        raise OAuthError("invalid_grant", "The username or password is not correct")
    validator_id, validator_attrs = matched
    scope = issuing.scope_string(names, atm, snapshot)
    context["OAuthScopes"] = scope.split()
    grant_attrs = {"USER_KEY": username, "USER_NAME": username}
    sources = Sources(context, grant_attrs, validator_attrs)
    mapping = issuing.mapping_for(snapshot, atm, validator_id)
    attrs = issuing.attributes(atm, mapping, sources)
    extra = issuing.token_endpoint_attributes(atm, mapping, sources, scope)

    if not issuing.issues_refresh(snapshot, client, names):
        issued = await issuing.issue(rt, atm, client.client_id, scope, attrs, now, None)
        return issuing.response(issued, now, extra=extra)
    refresh, grant_id = await issuing.new_grant(rt, snapshot, client, atm, username, " ".join(names), attrs, now,
                                                   GRANT.client.value)
    issued = await issuing.issue(rt, atm, client.client_id, scope, attrs, now, grant_id)
    return issuing.response(issued, now, refresh, extra=extra)


GRANT = Grant(NAME, ClientGrantType("RESOURCE_OWNER_CREDENTIALS", "Resource Owner Password Credentials"), handle)

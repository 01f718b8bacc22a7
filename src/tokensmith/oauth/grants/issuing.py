"""What every grant handler shares: the mapping lookup, issuance criteria, the token call and the
RFC 6749 §5.1 response."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.atm.base import AccessTokenRequest, IssuedAccessToken
from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.errors import OAuthError
from tokensmith.httpmsg import Response, json_response
from tokensmith.mapping import CompiledMapping, Sources
from tokensmith.oauth import scopes as scope_rules
from tokensmith.state.base import GrantRecord, token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeAtm, RuntimeClient, Snapshot


def unauthorized(grant_type: str) -> OAuthError:
    return OAuthError("unauthorized_client", f"This client may not use the {grant_type} grant")


def mapping_for(snapshot: Snapshot, atm: RuntimeAtm, *context_ids: str) -> CompiledMapping | None:
    for context_id in (*context_ids, "default"):
        found = snapshot.mappings.get(f"{context_id}|{atm.id}")
        if found is not None:
            return found
    return None


def attributes(atm: RuntimeAtm, mapping: CompiledMapping | None, sources: Sources) -> dict[str, Any]:
    if mapping is None:
        return {}
    failed = mapping.failed_criterion(sources)
    if failed is not None:
        raise OAuthError("access_denied", failed.error_result or "Issuance criteria were not met")
    return mapping.attributes(sources, atm.attributes)


def scope_string(names: list[str], atm: RuntimeAtm, snapshot: Snapshot) -> str:
    if atm.expand_scope_groups:
        names = scope_rules.expand(names, snapshot.scopes)
    return " ".join(names)


async def issue(rt: Runtime, atm: RuntimeAtm, client_id: str, scope: str, attrs: dict[str, Any],
                now: float, grant_id: str | None) -> tuple[IssuedAccessToken, str]:
    token = await atm.issue(rt, AccessTokenRequest(client_id, tuple(scope.split()), attrs, now, grant_id))
    return token, scope


def token_endpoint_attributes(atm: RuntimeAtm, mapping: CompiledMapping | None, sources: Sources,
                              scope: str) -> dict[str, Any]:
    """The manager's token endpoint attributes for this response (those whose mapped scopes, if any,
    were granted), filled by the same mapping as the token's own attributes."""
    wanted = atm.common.token_endpoint_multi_valued(scope.split())
    if mapping is None or not wanted:
        return {}
    return mapping.attributes(sources, wanted)


def response(issued: tuple[IssuedAccessToken, str], now: float, refresh: str | None = None,
             extra: dict[str, Any] | None = None) -> Response:
    token, scope = issued
    payload: dict[str, Any] = {**(extra or {}), "access_token": token.value, "token_type": "Bearer",
                               "expires_in": int(token.expires_at - now)}
    if scope:
        payload["scope"] = scope
    if refresh:
        payload["refresh_token"] = refresh
    return json_response(payload)


def new_refresh(snapshot: Snapshot) -> str:
    return urlsafe_token(snapshot.refresh_token_length)


def grant_lifetime(snapshot: Snapshot, client: RuntimeClient) -> float | None:
    """Seconds a new persistent grant (and so its refresh token) lives; None for no expiry. The
    client's ``persistentGrantExpiration*`` override wins over the server's ``persistentGrantLifetime``."""
    if client.grant_lifetime_override:
        return client.grant_lifetime
    return snapshot.persistent_grant_lifetime


async def new_grant(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, atm: RuntimeAtm, user_key: str,
                    scope: str, attrs: dict[str, Any], now: float, grant_type: str) -> tuple[str, str]:
    """Store a persistent grant with a new refresh token for a user's authorization; returns the
    refresh token and the grant id (the access token carries the id, so revoking the grant revokes it).
    ``grant_type`` is the client grant type value of the grant that issues it (for the grant APIs)."""
    refresh = new_refresh(snapshot)
    lifetime = grant_lifetime(snapshot, client)
    grant = GrantRecord(urlsafe_token(22), token_digest(refresh), client.client_id, atm.id, user_key, scope, attrs,
                        now, None if lifetime is None else now + lifetime, grant_type)
    await rt.state.put_grant(grant)
    return refresh, grant.grant_id


OFFLINE_ACCESS = "offline_access"


def issues_refresh(snapshot: Snapshot, client: RuntimeClient, scope_names: list[str]) -> bool:
    """Whether a user's grant gets a refresh token: the client needs REFRESH_TOKEN, and where
    ``requireOfflineAccessScopeToIssueRefreshTokens`` is on (the client's YES/NO, else the server's)
    the granted scopes must hold ``offline_access``."""
    if "REFRESH_TOKEN" not in client.grant_types:
        return False
    required = client.offline_access_scope if client.offline_access_scope is not None else snapshot.offline_access_scope
    return not required or OFFLINE_ACCESS in scope_names


def offline_consent_needed(snapshot: Snapshot, client: RuntimeClient, scope_names: list[str]) -> bool:
    """Whether the consent page is shown although the client bypasses it: ``offline_access`` was
    asked for and ``offlineAccessRequireConsentPrompt`` is on (the client's YES/NO, else the server's)."""
    wanted = client.offline_access_consent
    if wanted is None:
        wanted = snapshot.offline_access_consent
    return wanted and OFFLINE_ACCESS in scope_names


async def approved_before(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, user_key: str,
                          scope_names: list[str], now: float) -> bool:
    """Whether the consent page is skipped because the user already approved this (PingFederate's
    ``bypassAuthorizationForApprovedGrants``): one of the user's unexpired persistent grants to this
    client holds every scope asked for now. Revoking that grant brings the consent page back."""
    if not snapshot.grants.bypass_approved:
        return False
    wanted = set(scope_names)
    return any(grant.client_id == client.client_id and wanted <= set(grant.scope.split())
               for grant in await rt.state.list_grants(now, user_key=user_key))


ADAPTER_CONTEXT = "idp_adapter:"  # mapping ids of the IDP_ADAPTER context: idp_adapter:<validator id>|<manager>


async def for_signed_in_user(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, atm: RuntimeAtm,
                             granted: str, user_key: str, validator_id: str, user_attributes: dict[str, Any],
                             context: dict[str, Any], now: float, grant_type: str,
                             ) -> tuple[Response, str | None, bytes]:
    """Issue for a user who signed in on the authorization pages (the code and device grants): the
    ``IDP_ADAPTER`` mapping of the validator that accepted the password (else the manager's default),
    ``USER_KEY``/``USER_NAME`` the username, a refresh token and persistent grant when the client has
    ``REFRESH_TOKEN``. Returns the response, the grant id and the access token's state key."""
    scope = scope_string(granted.split(), atm, snapshot)
    context["OAuthScopes"] = scope.split()
    grant_attrs = {"USER_KEY": user_key, "USER_NAME": user_key}
    sources = Sources(context, grant_attrs, user_attributes)
    mapping = mapping_for(snapshot, atm, ADAPTER_CONTEXT + validator_id)
    attrs = attributes(atm, mapping, sources)
    extra = token_endpoint_attributes(atm, mapping, sources, scope)
    refresh: str | None = None
    grant_id: str | None = None
    if issues_refresh(snapshot, client, granted.split()):
        refresh, grant_id = await new_grant(rt, snapshot, client, atm, user_key, granted, attrs, now, grant_type)
    issued = await issue(rt, atm, client.client_id, scope, attrs, now, grant_id)
    return response(issued, now, refresh, extra=extra), grant_id, rt.state.token_key(issued[0].value)

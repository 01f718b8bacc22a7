"""The token endpoint (RFC 6749 §3.2, §4.3, §4.4, §6): client credentials, password, refresh."""

from __future__ import annotations

from typing import Any

from tokensmith.atm.base import IssuedToken, IssueRequest
from tokensmith.config.snapshot import RuntimeAtm, RuntimeClient, Snapshot
from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.clientauth import admit, authenticate
from tokensmith.oauth.exchange import GRANT_TOKEN_EXCHANGE, token_exchange
from tokensmith.oauth.http import Request, Response, error_response, json_response, parse_form
from tokensmith.oauth.mapping import CompiledMapping, Sources
from tokensmith.oauth.runtime import Runtime
from tokensmith.oauth.selection import select
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.state.base import GrantRecord, token_digest
from tokensmith.state.throttle import Attempt

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_PASSWORD = "password"
GRANT_REFRESH = "refresh_token"
ALLOWED = {
    GRANT_CLIENT_CREDENTIALS: "CLIENT_CREDENTIALS",
    GRANT_PASSWORD: "RESOURCE_OWNER_CREDENTIALS",
    GRANT_REFRESH: "REFRESH_TOKEN",
    GRANT_TOKEN_EXCHANGE: "TOKEN_EXCHANGE",
}


def _unauthorized(grant_type: str) -> OAuthError:
    return OAuthError("unauthorized_client", f"This client may not use the {grant_type} grant")


async def token_endpoint(rt: Runtime, request: Request) -> Response:
    try:
        return await _token(rt, request)
    except OAuthError as error:
        rt.count_malformed(error.malformed)
        return error_response(error)


async def _token(rt: Runtime, request: Request) -> Response:
    form = parse_form(request)
    snapshot = rt.snapshot()
    now = rt.clock.now()
    client = await authenticate(request.headers, form, snapshot, rt.box, now, rt.throttle,
                                request.client_ip)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required")
    if grant_type not in ALLOWED:
        raise OAuthError("unsupported_grant_type", f"Grant type '{grant_type}' is not supported")
    if client is None:
        raise invalid_client("Client authentication is required")
    if ALLOWED[grant_type] not in client.grant_types:
        raise _unauthorized(grant_type)
    context = {"ClientId": client.client_id, "ClientIp": request.client_ip, "GrantType": grant_type}
    if grant_type == GRANT_CLIENT_CREDENTIALS:
        if not client.confidential:
            raise _unauthorized(grant_type)
        return await _client_credentials(rt, snapshot, client, form, context, now)
    if grant_type == GRANT_PASSWORD:
        return await _password(rt, snapshot, client, form, context, now)
    if grant_type == GRANT_TOKEN_EXCHANGE:  # RFC 8693, issued through the STS generators
        return await token_exchange(rt, snapshot, client, form, context, now)
    return await _refresh(rt, snapshot, client, form, now)


def _mapping(snapshot: Snapshot, atm: RuntimeAtm, *context_ids: str) -> CompiledMapping | None:
    for context_id in (*context_ids, "default"):
        found = snapshot.mappings.get(f"{context_id}|{atm.id}")
        if found is not None:
            return found
    return None


def _attributes(snapshot: Snapshot, atm: RuntimeAtm, mapping: CompiledMapping | None,
                sources: Sources) -> dict[str, Any]:
    if mapping is None:
        return {}
    failed = mapping.failed_criterion(sources)
    if failed is not None:
        raise OAuthError("access_denied", failed.error_result or "Issuance criteria were not met")
    return mapping.attributes(sources, atm.attributes)


def _scope_string(names: list[str], atm: RuntimeAtm, snapshot: Snapshot) -> str:
    if atm.expand_scope_groups:
        names = scope_rules.expand(names, snapshot.scopes)
    return " ".join(names)


async def _issue(rt: Runtime, atm: RuntimeAtm, client_id: str, scope: str, attributes: dict[str, Any],
                 now: float, grant_id: str | None) -> tuple[IssuedToken, str]:
    token = await atm.issue(rt, IssueRequest(client_id, tuple(scope.split()), attributes, now, grant_id))
    return token, scope


def _token_endpoint_attributes(atm: RuntimeAtm, mapping: CompiledMapping | None, sources: Sources,
                               scope: str) -> dict[str, Any]:
    """The manager's token endpoint attributes for this response (those whose mapped scopes, if any,
    were granted), filled by the same mapping as the token's own attributes."""
    wanted = atm.common.token_endpoint_multi_valued(scope.split())
    if mapping is None or not wanted:
        return {}
    return mapping.attributes(sources, wanted)


def _response(issued: tuple[IssuedToken, str], now: float, refresh: str | None = None,
              extra: dict[str, Any] | None = None) -> Response:
    token, scope = issued
    payload: dict[str, Any] = {**(extra or {}), "access_token": token.value, "token_type": "Bearer",
                               "expires_in": int(token.expires_at - now)}
    if scope:
        payload["scope"] = scope
    if refresh:
        payload["refresh_token"] = refresh
    return json_response(payload)


async def _client_credentials(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                              context: dict[str, Any], now: float) -> Response:
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    atm = select(form, client, snapshot)
    scope = _scope_string(names, atm, snapshot)
    context["OAuthScopes"] = scope.split()
    sources = Sources(context, {}, {})
    mapping = _mapping(snapshot, atm, "client_credentials")
    attributes = _attributes(snapshot, atm, mapping, sources)
    extra = _token_endpoint_attributes(atm, mapping, sources, scope)
    return _response(await _issue(rt, atm, client.client_id, scope, attributes, now, None), now, extra=extra)


async def _admit_user(rt: Runtime, username: str, address: str) -> Attempt:
    """The throttle's go-ahead for checking a user's password (before the cache or any hash)."""
    return await admit(rt.throttle, "password", username, address, "invalid_grant",
                       "Too many failed sign-ins for this user; try again later")


async def _password(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                    context: dict[str, Any], now: float) -> Response:
    username, password = form.get("username"), form.get("password")
    if not username or password is None:
        raise invalid_request("username and password are required")
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    atm = select(form, client, snapshot)
    if not snapshot.validators:
        raise OAuthError("invalid_grant", "No password credential validator is configured")
    attempt = await _admit_user(rt, username, str(context.get("ClientIp", "")))
    matched = None
    for validator in snapshot.validators:
        attrs = await VERIFIED_PASSWORDS.validate(validator, username, password, now)
        if attrs is not None:
            matched = validator.id, attrs
            break
    await (attempt.failed() if matched is None else attempt.succeeded())
    if matched is None:
        raise OAuthError("invalid_grant", "The username or password is not correct")
    validator_id, validator_attrs = matched
    scope = _scope_string(names, atm, snapshot)
    context["OAuthScopes"] = scope.split()
    grant_attrs = {"USER_KEY": username, "USER_NAME": username}
    sources = Sources(context, grant_attrs, validator_attrs)
    mapping = _mapping(snapshot, atm, validator_id)
    attributes = _attributes(snapshot, atm, mapping, sources)
    extra = _token_endpoint_attributes(atm, mapping, sources, scope)

    if "REFRESH_TOKEN" not in client.grant_types:
        return _response(await _issue(rt, atm, client.client_id, scope, attributes, now, None), now, extra=extra)
    refresh = _new_refresh(snapshot)
    lifetime = snapshot.persistent_grant_lifetime
    grant = GrantRecord(urlsafe_token(22), token_digest(refresh), client.client_id, atm.id,
                        username, " ".join(names), attributes, now,
                        None if lifetime is None else now + lifetime)
    await rt.state.put_grant(grant)
    issued = await _issue(rt, atm, client.client_id, scope, attributes, now, grant.grant_id)
    return _response(issued, now, refresh, extra=extra)


def _new_refresh(snapshot: Snapshot) -> str:
    length = snapshot.refresh_token_length
    return urlsafe_token(length)


async def _refresh(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                   now: float) -> Response:
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
    scope = _scope_string(names, atm, snapshot)
    refresh: str | None = None
    roll = client.roll_refresh if client.roll_refresh is not None else snapshot.roll_refresh_tokens
    if roll:
        refresh = _new_refresh(snapshot)
        if not await rt.state.replace_refresh(grant.grant_id, old_hash, token_digest(refresh)):
            raise OAuthError("invalid_grant", "The refresh token is not valid")
    issued = await _issue(rt, atm, client.client_id, scope, grant.attributes, now, grant.grant_id)
    return _response(issued, now, refresh or presented)

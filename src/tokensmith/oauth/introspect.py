"""Token introspection (RFC 7662).

The caller authenticates as a client with the ``ACCESS_TOKEN_VALIDATION`` grant type. An unknown,
expired or revoked token — or one whose manager does not admit the caller — is ``{"active": false}``.
A valid refresh token reports only ``active``. Validation may extend a reference token's lifetime
(see :meth:`tokensmith.atm.reference.ReferencePolicy.extended_expiry`).
"""

from __future__ import annotations

from typing import Any

from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.oauth.clientauth import authenticate
from tokensmith.oauth.http import Request, Response, error_response, json_response, parse_form
from tokensmith.oauth.runtime import Runtime
from tokensmith.state.base import token_digest

INACTIVE = b'{"active":false}'
RESERVED = {"active", "scope", "client_id", "token_type", "exp", "iat"}


async def introspection_endpoint(rt: Runtime, request: Request) -> Response:
    try:
        return await _introspect(rt, request)
    except OAuthError as error:
        return error_response(error)


def _inactive() -> Response:
    return Response(200, INACTIVE)


async def _introspect(rt: Runtime, request: Request) -> Response:
    form = parse_form(request)
    snapshot = rt.snapshot()
    now = rt.clock.now()
    client = authenticate(request.headers, form, snapshot, rt.box, now)
    if client is None or not client.confidential:
        raise invalid_client("Client authentication is required", basic=True)
    if "ACCESS_TOKEN_VALIDATION" not in client.grant_types:
        raise OAuthError("unauthorized_client", "This client may not introspect tokens "
                         "(it needs the ACCESS_TOKEN_VALIDATION grant type)")
    token = form.get("token")
    if not token:
        raise invalid_request("token is required")
    digest = token_digest(token)
    caller = client.client_id
    if form.get("token_type_hint") == "refresh_token":
        return await _refresh(rt, digest, now, caller) or await _access(rt, digest, now, caller) or _inactive()
    return await _access(rt, digest, now, caller) or await _refresh(rt, digest, now, caller) or _inactive()


async def _refresh(rt: Runtime, digest: bytes, now: float, caller: str) -> Response | None:
    grant = await rt.state.get_grant_by_refresh(digest)
    if grant is None or (grant.expires_at is not None and grant.expires_at <= now):
        return None
    atm = rt.snapshot().atms.get(grant.atm_id)
    if atm is None or not atm.allows(caller):
        return None
    return json_response({"active": True})


async def _access(rt: Runtime, digest: bytes, now: float, caller: str) -> Response | None:
    record = await rt.state.get_token(digest)
    if record is None or record.expires_at <= now:
        return None
    atm = rt.snapshot().atms.get(record.atm_id)
    if atm is None or not atm.allows(caller):
        return None
    expires_at = record.expires_at
    new_expiry = atm.policy.extended_expiry(record, now)
    if new_expiry is not None and await rt.state.extend_token(digest, new_expiry):
        expires_at = new_expiry
    payload: dict[str, Any] = {"active": True}
    if record.scope:
        payload["scope"] = record.scope
    payload["client_id"] = record.client_id
    payload["token_type"] = "Bearer"
    payload["exp"] = int(expires_at)
    payload["iat"] = int(record.issued_at)
    for name, value in record.attributes.items():
        if name not in RESERVED:
            payload[name] = value
    return json_response(payload)

"""Token introspection (RFC 7662).

The caller authenticates as a client with the ``ACCESS_TOKEN_VALIDATION`` grant type. An unknown,
expired or revoked token — or one whose manager does not admit the caller — is ``{"active": false}``.
A valid refresh token reports only ``active``. Access tokens are checked by each access token
manager type in turn (:meth:`tokensmith.atm.base.AtmType.introspect`): reference tokens by lookup
(which may extend their lifetime), JWTs by their signature and claims.
"""

from __future__ import annotations

from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.httpmsg import Request, Response, error_response, json_response, parse_form
from tokensmith.oauth.clientauth import authenticate
from tokensmith.state.base import token_digest
from tokensmith.worker import Runtime

INACTIVE = b'{"active":false}'


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
    client = await authenticate(request.headers, form, snapshot, rt.box, now, rt.throttle,
                                request.client_ip)
    if client is None or not client.confidential:
        raise invalid_client("Client authentication is required", basic=True)
    if "ACCESS_TOKEN_VALIDATION" not in client.grant_types:
        raise OAuthError("unauthorized_client", "This client may not introspect tokens "
                         "(it needs the ACCESS_TOKEN_VALIDATION grant type)")
    token = form.get("token")
    if not token:
        raise invalid_request("token is required")
    caller = client.client_id
    if form.get("token_type_hint") == "refresh_token":
        return await _refresh(rt, token, now, caller) or await _access(rt, token, now, caller) or _inactive()
    return await _access(rt, token, now, caller) or await _refresh(rt, token, now, caller) or _inactive()


async def _refresh(rt: Runtime, token: str, now: float, caller: str) -> Response | None:
    if "." in token:  # refresh tokens are URL-safe base64 strings
        return None
    grant = await rt.state.get_grant_by_refresh(token_digest(token))
    if grant is None or (grant.expires_at is not None and grant.expires_at <= now):
        return None
    atm = rt.snapshot().atms.get(grant.atm_id)
    if atm is None or not atm.allows(caller):
        return None
    return json_response({"active": True})


async def _access(rt: Runtime, token: str, now: float, caller: str) -> Response | None:
    snapshot = rt.snapshot()
    for atm_type in snapshot.atm_types:
        if atm_type.could_be(token):
            payload = await atm_type.introspect(rt, snapshot, token, now, caller)
            if payload is not None:
                return json_response(payload)
    return None

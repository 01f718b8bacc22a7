"""Token revocation (RFC 7009).

Unknown tokens get 200, as the RFC asks. A client may revoke only tokens issued to it. Revoking a
refresh token revokes its grant and every access token issued under that grant; revoking an
access token leaves its grant and refresh token alone. Access tokens are revoked by their access
token manager type (:meth:`tokensmith.atm.base.AtmType.revoke`): a reference token is deleted, a
JWT's ``jti`` is denied until the token expires (only where the manager enables revocation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokensmith.atm.base import RevokeOutcome
from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.httpmsg import JSON_HEADERS, Request, Response, error_response, parse_form
from tokensmith.oauth.clientauth import authenticate
from tokensmith.state.base import token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot


async def revocation_endpoint(rt: Runtime, request: Request) -> Response:
    try:
        return await _revoke(rt, request)
    except OAuthError as error:
        return error_response(error)


def _not_yours() -> OAuthError:
    return OAuthError("unauthorized_client", "The token was not issued to this client")


async def _revoke(rt: Runtime, request: Request) -> Response:
    form = parse_form(request)
    snapshot = rt.snapshot()
    client = await authenticate(request.headers, form, snapshot, rt.box, rt.clock.now(), rt.throttle,
                                request.client_ip)
    if client is None:
        raise invalid_client("Client authentication is required", basic=True)
    token = form.get("token")
    if not token:
        raise invalid_request("token is required")
    order = ("refresh", "access") if form.get("token_type_hint") == "refresh_token" else ("access", "refresh")
    for kind in order:
        done = (await _access(rt, snapshot, token, client.client_id) if kind == "access"
                else await _refresh(rt, token, client.client_id))
        if done:
            break
    return Response(200, b"", list(JSON_HEADERS[1:]))


async def _access(rt: Runtime, snapshot: Snapshot, token: str, client_id: str) -> bool:
    now = rt.clock.now()
    for atm_type in snapshot.atm_types:
        if not atm_type.could_be(token):
            continue
        outcome = await atm_type.revoke(rt, snapshot, token, client_id, now)
        if outcome is RevokeOutcome.NOT_YOURS:
            raise _not_yours()
        if outcome is RevokeOutcome.UNSUPPORTED:
            raise OAuthError("unsupported_token_type", "This access token cannot be revoked; its access token "
                             "manager does not enable token revocation")
        if outcome is RevokeOutcome.REVOKED:
            return True
    return False


async def _refresh(rt: Runtime, token: str, client_id: str) -> bool:
    if "." in token:  # refresh tokens are URL-safe base64 strings
        return False
    grant = await rt.state.get_grant_by_refresh(token_digest(token))
    if grant is None:
        return False
    if grant.client_id != client_id:
        raise _not_yours()
    await rt.state.revoke_grant(grant.grant_id)
    return True

"""Token revocation (RFC 7009).

Unknown tokens get 200, as the RFC asks. A client may revoke only tokens issued to it. Revoking a
refresh token revokes its grant and every access token issued under that grant; revoking an
access token leaves its grant and refresh token alone.
"""

from __future__ import annotations

from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.oauth.clientauth import authenticate
from tokensmith.oauth.http import JSON_HEADERS, Request, Response, error_response, parse_form
from tokensmith.oauth.runtime import Runtime
from tokensmith.state.base import token_digest


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
    client = authenticate(request.headers, form, snapshot, rt.box, rt.clock.now())
    if client is None:
        raise invalid_client("Client authentication is required", basic=True)
    token = form.get("token")
    if not token:
        raise invalid_request("token is required")
    digest = token_digest(token)
    order = ("refresh", "access") if form.get("token_type_hint") == "refresh_token" else ("access", "refresh")
    for kind in order:
        if kind == "access":
            record = await rt.state.get_token(digest)
            if record is not None:
                if record.client_id != client.client_id:
                    raise _not_yours()
                await rt.state.delete_token(digest)
                break
        else:
            grant = await rt.state.get_grant_by_refresh(digest)
            if grant is not None:
                if grant.client_id != client.client_id:
                    raise _not_yours()
                await rt.state.revoke_grant(grant.grant_id)
                break
    return Response(200, b"", list(JSON_HEADERS[1:]))

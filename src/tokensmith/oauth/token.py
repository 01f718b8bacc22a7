"""The token endpoint (RFC 6749 §3.2): authenticates the client, then hands the request to the grant
the ``grant_type`` names in the grant registry (``tokensmith.oauth.grants.registry``)."""

from __future__ import annotations

from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.httpmsg import Request, Response, error_response, parse_form
from tokensmith.oauth.clientauth import authenticate
from tokensmith.oauth.grants import issuing, registry
from tokensmith.worker import Runtime


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
    grant = registry.grant(grant_type)
    if grant is None:
        raise OAuthError("unsupported_grant_type", f"Grant type '{grant_type}' is not supported")
    if client is None:
        raise invalid_client("Client authentication is required")
    if grant.client.value not in client.grant_types:
        raise issuing.unauthorized(grant_type)
    context = {"ClientId": client.client_id, "ClientIp": request.client_ip, "GrantType": grant_type}
    return await grant.handler(rt, snapshot, client, form, context, now)

"""The pushed authorization request endpoint (RFC 9126): ``POST /as/par.oauth2``, PingFederate's path.

The client authenticates exactly as at the token endpoint (the same methods, the same guessing
throttle; a public client sends ``client_id``) and sends the parameters of an authorization request.
They are checked by the authorization endpoint's own rules (:func:`check_request`), so nothing the
browser could not send gets in this way, and problems are answered now, to the client, as RFC 6749
error JSON instead of later in the user's browser. A good request is stored in the token state under
a new one-time reference that the client sends the browser to the authorization endpoint with.

Why: the request travels from the authenticated client to the server directly, so nobody on the way
(the browser, its extensions, logs, referrers) can read or alter it, and the authorization endpoint
can require that requests come this way (``parStatus: REQUIRED`` or the client's
``requirePushedAuthorizationRequests``).
"""

from __future__ import annotations

import orjson

from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.httpmsg import JSON_HEADERS, Request, Response, error_response, parse_form
from tokensmith.oauth.authz_request import Refused, RequestError, check_request
from tokensmith.oauth.clientauth import authenticate
from tokensmith.oauth.pushed import new_reference
from tokensmith.state.base import PushedRequestRecord
from tokensmith.worker import Runtime

CREDENTIALS = ("client_secret",)  # client authentication, not part of the stored request


async def par_endpoint(rt: Runtime, request: Request) -> Response:
    try:
        return await _push(rt, request)
    except OAuthError as error:
        rt.count_malformed(error.malformed)
        return error_response(error)


async def _push(rt: Runtime, request: Request) -> Response:
    snapshot = rt.snapshot()
    if not snapshot.par.enabled:
        raise invalid_request("Pushed authorization requests are disabled on this server (parStatus)")
    form = parse_form(request)
    now = rt.clock.now()
    client = await authenticate(request.headers, form, snapshot, rt.box, now, rt.throttle, request.client_ip)
    if client is None:
        raise invalid_client("Client authentication is required")
    params = {k: v for k, v in form.items() if v != "" and k not in CREDENTIALS}  # RFC 6749 §3.1: empty = absent
    params["client_id"] = client.client_id  # RFC 9126 §2.1; a Basic-authenticated client may leave it out
    if "request_uri" in params:
        raise invalid_request("request_uri must not be sent to the pushed authorization request endpoint "
                              "(RFC 9126 §2.1)")
    try:
        check_request(snapshot, params, now, pushed=True)
    except Refused as refused:  # RFC 9126 §2.3: invalid_request where the redirect URI is the problem
        raise invalid_request(str(refused)) from None
    except RequestError as refused:
        raise refused.error from None
    uri, digest = new_reference(snapshot.par)
    await rt.state.put_pushed(PushedRequestRecord(digest, client.client_id, params, now + snapshot.par.timeout))
    body = {"request_uri": uri, "expires_in": int(snapshot.par.timeout)}
    return Response(201, orjson.dumps(body), list(JSON_HEADERS))

"""The authorization endpoint (RFC 6749 §4.1, PKCE RFC 7636, RFC 9207 ``iss``): ``GET`` or ``POST
/as/authorization.oauth2``.

The request is checked in two halves, by the same function as a pushed request
(:mod:`tokensmith.oauth.authz_request`). Until the client and its redirect URI are known to be good,
every problem is shown to the user on an error page and nothing is sent anywhere: redirecting to an
unverified URI would make this server an open redirector (RFC 6749 §4.1.2.1, §10.15). After that,
problems go back to the client as an error response on its redirect URI. A request with
``request_uri`` stands for the parameters the client pushed to the PAR endpoint (RFC 9126,
:mod:`tokensmith.oauth.pushed`); they are taken from the token state once and checked again here,
since the configuration may have changed since they were pushed.

A good request gets the sign-in page; the in-progress request lives in a sealed cookie
(:mod:`tokensmith.oauth.authz_flow`). The sign-in and consent forms post back to this endpoint with
``pf.action`` (the HTML Form Adapter's ``pf.username`` / ``pf.pass`` field names). The username and
password are checked by the password credential validators in creation order under the same
guessing throttle as the password grant. After consent (or straight after sign-in when the client
has ``bypassApprovalPage``), a single-use code bound to the client, redirect URI and PKCE challenge
is stored in the token state and sent to the client.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.errors import OAuthError
from tokensmith.httpmsg import Request, Response, form_params, parse_form
from tokensmith.oauth import redirects
from tokensmith.oauth.authz_flow import Flow, clear_cookie, cookie_value, seal, set_cookie, unseal
from tokensmith.oauth.authz_pages import consent_page, error_page, origin, respond, signin_page
from tokensmith.oauth.authz_request import RESPONSE_MODES as RESPONSE_MODES  # metadata reads it from here
from tokensmith.oauth.authz_request import Refused, RequestError, check_request
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.password import admit_user, match_user
from tokensmith.oauth.pushed import redeem
from tokensmith.state.base import CodeRecord, token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot


def page_params(request: Request) -> dict[str, str]:
    """The request's parameters: the query of a GET, the form body of a POST, decoded by the token
    endpoint's rules (:func:`parse_form`). RFC 6749 §3.1: an empty value counts as absent, and a
    repeated parameter is an error, shown on the page (the redirect URI is not trusted yet)."""
    if request.method not in ("GET", "POST"):
        raise Refused("The authorization endpoint accepts only GET and POST", 405)
    try:
        params = form_params(request.query) if request.method == "GET" else parse_form(request)
    except OAuthError as error:
        raise Refused(error.description) from None
    return {k: v for k, v in params.items() if v != ""}


async def authorization_endpoint(rt: Runtime, request: Request, issuer: str) -> Response:
    """Answer one request to the authorization endpoint; ``issuer`` is this server's issuer (RFC 8414)."""
    try:
        params = page_params(request)
        if request.method == "POST" and "pf.action" in params:
            return await _form(rt, request, params, issuer)
        return await _start(rt, params, issuer)
    except Refused as refused:
        return refused_page(refused)


def refused_page(refused: Refused) -> Response:
    """The error page for a problem found before the redirect URI is trusted (405 names the methods)."""
    response = error_page(str(refused), refused.status)
    if refused.status == 405:
        response.headers.append((b"allow", b"GET, POST"))
    return response


def _error_params(error: OAuthError, state: str | None, issuer: str) -> dict[str, str]:
    params = {"error": error.error}
    if error.description:
        params["error_description"] = error.description
    if state is not None:
        params["state"] = state
    params["iss"] = issuer
    return params


async def _start(rt: Runtime, params: dict[str, str], issuer: str) -> Response:
    """A new authorization request, sent whole or as a reference to a pushed one (``request_uri``)."""
    snapshot = rt.snapshot()
    now = rt.clock.now()
    pushed = "request_uri" in params
    if pushed:
        params = await redeem(rt, snapshot, params, now)
    try:
        flow = check_request(snapshot, params, now, pushed=pushed)
    except RequestError as refused:
        return respond(refused.redirect_uri, _error_params(refused.error, refused.state, issuer),
                       refused.response_mode)
    try:
        _can_sign_in(snapshot, params)
    except OAuthError as error:
        return respond(flow.redirect_uri, _error_params(error, flow.state, issuer), flow.response_mode)
    secure = issuer.startswith("https:")
    client = snapshot.clients[flow.client_id]
    return signin_page(client.name, flow.csrf, origin(flow.redirect_uri), username=params.get("login_hint", ""),
                       extra=[set_cookie(seal(rt.box, flow), secure)])


def _can_sign_in(snapshot: Snapshot, params: dict[str, str]) -> None:
    """What the sign-in itself needs, checked when the user arrives (also for a pushed request)."""
    if params.get("prompt") == "none":
        raise OAuthError("login_required", "The user must sign in")
    if not snapshot.validators:
        raise OAuthError("server_error", "No password credential validator is configured to sign users in")


async def _form(rt: Runtime, request: Request, params: dict[str, str], issuer: str) -> Response:
    """A post of the sign-in or consent form: only with the flow's cookie and its CSRF token."""
    now = rt.clock.now()
    secure = issuer.startswith("https:")
    value = cookie_value(request.headers)
    flow = unseal(rt.box, value, now) if value is not None else None
    if flow is None:
        raise Refused("This sign-in has expired or was started in another browser. Return to the application "
                       "and start again.")
    if not flow.csrf_ok(params.get("pf.csrf")):
        raise Refused("The form was not sent by this sign-in (its security token is missing or wrong). Return "
                       "to the application and start again.")
    snapshot = rt.snapshot()
    client = snapshot.clients.get(flow.client_id)
    if client is None or not client.enabled or not redirects.registered_match(client.redirect_uris, flow.redirect_uri):
        raise Refused("The application is no longer known to this server, or is disabled")
    action = params["pf.action"]
    if action == "signin" and flow.stage == "signin":
        return await _signin(rt, snapshot, client, flow, params, request.client_ip, issuer, secure)
    if action in ("allow", "deny") and flow.stage == "consent":
        if action == "deny":
            error = OAuthError("access_denied", "The user denied the request")
            return respond(flow.redirect_uri, _error_params(error, flow.state, issuer), flow.response_mode,
                           [clear_cookie(secure)])
        return await _issue_code(rt, snapshot, flow, issuer, secure)
    raise Refused("The form does not belong to this step of the sign-in. Return to the application and "
                   "start again.")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in form: who signed in (validator id, attributes), or the message to show
    again on the form with its status and ``Retry-After`` ("" for none)."""

    matched: tuple[str, dict[str, Any]] | None
    message: str = ""
    status: int = 200
    retry_after: str = ""

    def page_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"retry-after", self.retry_after.encode())] if self.retry_after else []


async def check_sign_in(rt: Runtime, snapshot: Snapshot, username: str, password: str, address: str) -> SignIn:
    """Check a sign-in form's username and password: under the password grant's guessing throttle, by
    each password credential validator in creation order (the first that accepts them wins). Shared by
    the authorization endpoint and the device flow's user page."""
    if not username or not password:
        return SignIn(None, "Enter your username and password.")
    try:
        attempt = await admit_user(rt, username, address)
    except OAuthError as locked:
        retry = locked.headers.get("retry-after", "")
        wait = f" Try again in {math.ceil(int(retry) / 60)} minute(s)." if retry.isdigit() else " Try again later."
        return SignIn(None, "Too many failed sign-ins for this account." + wait, 429, retry)
    now = rt.clock.now()
    matched = await match_user(snapshot, username, password, now)
    await (attempt.failed() if matched is None else attempt.succeeded())
    if matched is None:
        return SignIn(None, "The username or password is not correct.")
    return SignIn(matched)


async def _signin(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, flow: Flow, params: dict[str, str],
                  address: str, issuer: str, secure: bool) -> Response:
    username = params.get("pf.username", "")
    redirect_origin = origin(flow.redirect_uri)
    result = await check_sign_in(rt, snapshot, username, params.get("pf.pass", ""), address)
    if result.matched is None:
        return signin_page(client.name, flow.csrf, redirect_origin, result.message, username, result.status,
                           result.page_headers())
    flow = flow.signed_in(username, *result.matched)
    if client.bypass_approval and not issuing.offline_consent_needed(snapshot, client, flow.scope.split()):
        return await _issue_code(rt, snapshot, flow, issuer, secure)
    if await issuing.approved_before(rt, snapshot, client, username, flow.scope.split(), rt.clock.now()):
        return await _issue_code(rt, snapshot, flow, issuer, secure)
    return consent_page(client.name, username, flow.scope.split(), flow.csrf, redirect_origin,
                        [set_cookie(seal(rt.box, flow), secure)])


async def _issue_code(rt: Runtime, snapshot: Snapshot, flow: Flow, issuer: str, secure: bool) -> Response:
    """Store a new single-use code for the signed-in user and send it to the client (RFC 6749 §4.1.2)."""
    now = rt.clock.now()
    code = urlsafe_token(math.ceil(snapshot.codes.entropy * 4 / 3))
    await rt.state.put_code(CodeRecord(
        token_digest(code), flow.client_id, flow.sent_redirect_uri, flow.challenge, flow.challenge_method,
        flow.scope, flow.user_key, flow.validator_id, flow.user_attributes, now + snapshot.codes.timeout))
    params = {"code": code}
    if flow.state is not None:
        params["state"] = flow.state
    if snapshot.codes.include_issuer:
        params["iss"] = issuer
    return respond(flow.redirect_uri, params, flow.response_mode, [clear_cookie(secure)])

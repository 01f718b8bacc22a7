"""The checks of an authorization request's parameters (RFC 6749 §4.1.1, PKCE RFC 7636), shared by
the authorization endpoint and the pushed authorization request endpoint (RFC 9126), so that a
request pushed through the back channel is held to exactly the rules of one sent through the browser.

The checks come in two halves. Until the client and its redirect URI are known to be good, a problem
is a :class:`Refused`: the authorization endpoint shows it on an error page and sends nothing
anywhere, since redirecting to an unverified URI would make the server an open redirector (RFC 6749
§4.1.2.1, §10.15). After that, a problem is a :class:`RequestError` carrying where its error response
may go. The PAR endpoint answers both as RFC 6749 error JSON (RFC 9126 §2.3: ``invalid_request`` for
the problems that have no code of their own).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tokensmith.errors import OAuthError
from tokensmith.oauth import redirects
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.authz_flow import FLOW_LIFETIME, Flow

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1-4.2: unreserved, 43 to 128
RESPONSE_MODES = ("query", "form_post")
CHALLENGE_METHODS = ("S256", "plain")
MAX_STATE = 2048  # characters of state echoed back


class Refused(Exception):
    """A request problem found before the redirect URI is trusted: never sent to that URI."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class RequestError(Exception):
    """A request problem found after the client and redirect URI were verified: the error response
    may go to ``redirect_uri`` with ``state``, in ``response_mode``."""

    def __init__(self, error: OAuthError, redirect_uri: str, state: str | None, response_mode: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state
        self.response_mode = response_mode


def check_request(snapshot: Snapshot, params: dict[str, str], now: float, *, pushed: bool) -> Flow:
    """The verified request as a flow at its first stage, or :class:`Refused` / :class:`RequestError`.

    ``params`` are the request's parameters with empty ones left out; ``pushed`` says they came
    through the PAR endpoint (from an authenticated client), which is what ``parStatus: REQUIRED``
    and the client's ``requirePushedAuthorizationRequests`` ask for."""
    client, redirect_uri, sent = _verified_client(snapshot, params)
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE:
        raise Refused(f"The state parameter is longer than {MAX_STATE} characters")
    mode = params.get("response_mode", "query")
    if mode not in RESPONSE_MODES:
        error = OAuthError("invalid_request", "response_mode must be query or form_post")
        raise RequestError(error, redirect_uri, state, "query")
    try:
        _require_push(snapshot, client, pushed)
        return _check(snapshot, client, params, redirect_uri, sent, state, mode, now)
    except OAuthError as error:
        raise RequestError(error, redirect_uri, state, mode) from None


def _verified_client(snapshot: Snapshot, params: dict[str, str]) -> tuple[RuntimeClient, str, str | None]:
    """The client, the redirect URI the response goes to and the one the request sent (RFC 6749 §3.1.2.3:
    exact string match, or a registered wildcard pattern's match, :mod:`tokensmith.oauth.redirects`; a
    client with a single registered URI that is no pattern may leave it out)."""
    client_id = params.get("client_id")
    if client_id is None:
        raise Refused("The request names no client (client_id is missing)")
    client = snapshot.clients.get(client_id)
    if client is None or not client.enabled:
        raise Refused("The application is not known to this server, or is disabled")
    sent = params.get("redirect_uri")
    if sent is None:
        if len(client.redirect_uris) != 1:
            raise Refused("The request has no redirect_uri, and the application does not have exactly one "
                          "registered")
        if redirects.is_pattern(client.redirect_uris[0]):
            raise Refused("The request has no redirect_uri, and the application's registered one is a pattern: "
                          "the request must name the redirect URI")
        return client, client.redirect_uris[0], None
    if not redirects.registered_match(client.redirect_uris, sent):
        raise Refused("The redirect_uri is not registered for this application")
    return client, sent, sent


def _require_push(snapshot: Snapshot, client: RuntimeClient, pushed: bool) -> None:
    """RFC 9126 §5-6: a server or client that requires PAR refuses a request sent by the browser alone.
    A client requiring PAR while the server has it disabled cannot authorize at all (it fails closed)."""
    if pushed or not (snapshot.par.required or client.require_par):
        return
    if not snapshot.par.enabled:
        raise OAuthError("invalid_request", "This client requires pushed authorization requests, which are "
                         "disabled on this server")
    raise OAuthError("invalid_request", "Authorization requests must be pushed to the PAR endpoint first "
                     "(RFC 9126); send only client_id and request_uri here")


def _challenge(snapshot: Snapshot, client: RuntimeClient, params: dict[str, str]) -> tuple[str, str]:
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise OAuthError("invalid_request", "code_challenge_method was sent without code_challenge")
        if client.require_pkce:
            raise OAuthError("invalid_request", "This client must send a PKCE code_challenge (RFC 7636)")
        return "", ""
    method = method or "plain"  # RFC 7636 §4.3: plain when the method is left out
    if method not in CHALLENGE_METHODS:
        raise OAuthError("invalid_request", f"code_challenge_method '{method}' is not supported; use S256")
    if method == "plain" and snapshot.codes.disallow_plain_pkce:
        raise OAuthError("invalid_request", "The plain code_challenge_method is not allowed; use S256")
    if not PKCE_VALUE.match(challenge):
        raise OAuthError("invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    return challenge, method


def _check(snapshot: Snapshot, client: RuntimeClient, params: dict[str, str], redirect_uri: str,
           sent: str | None, state: str | None, mode: str, now: float) -> Flow:
    """The flow for a request from a verified client, or the OAuth error for its redirect URI."""
    if "request" in params:
        raise OAuthError("request_not_supported", "Request objects are not supported")
    response_type = params.get("response_type")
    if response_type is None:
        raise OAuthError("invalid_request", "response_type is required")
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported")
    if "AUTHORIZATION_CODE" not in client.grant_types:
        raise OAuthError("unauthorized_client", "This client may not use the authorization code grant")
    if client.response_types and "code" not in client.response_types:  # restrictedResponseTypes
        raise OAuthError("unauthorized_client", "This client may not use response_type=code")
    challenge, method = _challenge(snapshot, client, params)
    names = scope_rules.grant(params.get("scope"), client, snapshot.scopes)
    return Flow(client.client_id, redirect_uri, sent, state, challenge, method, " ".join(names), mode,
                now + FLOW_LIFETIME)

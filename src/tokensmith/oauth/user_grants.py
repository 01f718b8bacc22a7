"""The users' grant page: ``/as/oauth_access_grants.ping`` and ``/as/grants.oauth2`` (PingFederate's
paths). A user signs in on the authorization endpoint's sign-in page (the same password credential
validators, guessing throttle and lockout) and sees the persistent grants of their ``USER_KEY`` (the
username they signed in with), and can revoke each one, which revokes its tokens too.

As on the authorization pages the server keeps nothing between requests: who signed in travels in a
sealed ``HttpOnly`` ``SameSite=Lax`` cookie scoped to the page's path that lives ``FLOW_LIFETIME``
seconds from sign-in, and every form carries the session's CSRF token. A grant id posted by hand is
revoked only when it is one of the signed-in user's own grants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.httpmsg import Request, Response
from tokensmith.oauth.authorize import check_sign_in, page_params, refused_page
from tokensmith.oauth.authz_flow import (
    FLOW_LIFETIME,
    cookie_header,
    cookie_value,
    csrf_matches,
    seal_as,
    unseal_into,
)
from tokensmith.oauth.authz_pages import signin_page
from tokensmith.oauth.authz_request import Refused
from tokensmith.oauth.grant_pages import grants_page, signed_out_page
from tokensmith.worker import Runtime

PATHS = ("/as/oauth_access_grants.ping", "/as/grants.oauth2")
COOKIE = "tokensmith_grants"
KIND = "grant-page"
PAGE_NAME = "your application access"  # who the sign-in page says the user signs in to


@dataclass(frozen=True)
class GrantSession:
    expires_at: float
    csrf: str = field(default_factory=lambda: urlsafe_token(32))
    user_key: str = ""


def _cookie(rt: Runtime, path: str, session: GrantSession, secure: bool) -> list[tuple[bytes, bytes]]:
    return [cookie_header(COOKIE, path, seal_as(rt.box, KIND, asdict(session)), secure)]


def _session(rt: Runtime, request: Request) -> GrantSession | None:
    return unseal_into(rt.box, KIND, cookie_value(request.headers, COOKIE), GrantSession, rt.clock.now())


async def user_grants_endpoint(rt: Runtime, request: Request, issuer: str) -> Response:
    secure = issuer.startswith("https:")
    action = request.path.rsplit("/", 1)[-1]  # the forms post back to the path they came from
    try:
        params = page_params(request)
        session = _session(rt, request)
        if request.method == "POST" and "pf.action" in params:
            return await _form(rt, request, params, session, action, secure)
        if session is not None and session.user_key:
            return await _listing(rt, request.path, session, action, secure)
        fresh = GrantSession(rt.clock.now() + FLOW_LIFETIME)
        return signin_page(PAGE_NAME, fresh.csrf, "'self'", extra=_cookie(rt, request.path, fresh, secure),
                           action=action)
    except Refused as refused:
        return refused_page(refused)


async def _listing(rt: Runtime, path: str, session: GrantSession, action: str, secure: bool,
                   notice: str = "") -> Response:
    snapshot = rt.snapshot()
    grants = await rt.state.list_grants(rt.clock.now(), user_key=session.user_key)
    named = [(g, snapshot.clients[g.client_id].name if g.client_id in snapshot.clients else g.client_id)
             for g in grants]
    return grants_page(session.user_key, named, session.csrf, action, notice, _cookie(rt, path, session, secure))


async def _form(rt: Runtime, request: Request, params: dict[str, str], session: GrantSession | None, action: str,
                secure: bool) -> Response:
    if session is None:
        raise Refused("This page has expired or was opened in another browser. Open it again.")
    if not csrf_matches(params.get("pf.csrf"), session.csrf):
        raise Refused("The form was not sent by this page (its security token is missing or wrong). Open it again.")
    path, what = request.path, params["pf.action"]
    if what == "signin" and not session.user_key:
        username = params.get("pf.username", "")
        result = await check_sign_in(rt, rt.snapshot(), username, params.get("pf.pass", ""), request.client_ip)
        if result.matched is None:
            return signin_page(PAGE_NAME, session.csrf, "'self'", result.message, username, result.status,
                               _cookie(rt, path, session, secure) + result.page_headers(), action)
        signed_in = GrantSession(rt.clock.now() + FLOW_LIFETIME, urlsafe_token(32), username)
        return await _listing(rt, path, signed_in, action, secure)
    if what == "revoke" and session.user_key:
        grant = await rt.state.get_grant(params.get("pf.grant", ""))
        if grant is None or grant.user_key != session.user_key:
            return await _listing(rt, path, session, action, secure, "That access was already revoked.")
        await rt.state.revoke_grant(grant.grant_id)
        return await _listing(rt, path, session, action, secure, "Access revoked.")
    if what == "signout":
        return signed_out_page([cookie_header(COOKIE, path, "", secure, 0)])
    raise Refused("The form does not belong to this step. Open the page again.")

"""PingFederate's persistent grant management web services, over the token state's grants.

* The OAuth access grant management service, for administrators' tools:
  ``/pf-ws/rest/oauth/clients/<clientId>/grants[/<grantId>]`` and
  ``/pf-ws/rest/oauth/users/<userKey>/grants[/<grantId>]``. HTTP Basic credentials are checked by the
  one password credential validator the authorization server settings name
  (``adminWebServicePcvRef``), under the same failed-sign-in throttle and lockout as the password grant.
* The persistent grant management API, for a client acting for its user: ``/pf-ws/rest/oauth/grants
  [/<grantId>]`` with a bearer access token of the manager ``atmIdForOAuthGrantManagement`` that holds
  the scope ``scopeForOAuthGrantManagement``; it sees only the grants of the token's own user.

GET lists (``{"items": [...]}``) or reads one grant; DELETE revokes one grant, or every grant of the
client or user, and with each grant every access token issued under it. Both services require an
``X-XSRF-Header`` header with any value, as PingFederate's do: a browser cannot send it cross-site
without a CORS preflight, which these endpoints never grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from tokensmith.clock import iso_millis
from tokensmith.errors import OAuthError
from tokensmith.httpmsg import Request, Response, basic_credentials, error_response, json_response
from tokensmith.oauth.grants.password import admit_user
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.state.base import GrantRecord
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot

PREFIX = "/pf-ws/rest/oauth/"
XSRF_HEADER = "x-xsrf-header"
REALM = 'Basic realm="PingFederate"'


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item if isinstance(item, str) else orjson.dumps(item).decode() for item in items if item is not None]


def grant_json(grant: GrantRecord) -> dict[str, Any]:
    """A grant as PingFederate's grant services show it: the attributes stored with it (those its
    access tokens are filled from on refresh) as ``grantAttributes`` name/values pairs; ``updated``
    is when it was issued, since a grant here never changes after it is created (a rolled refresh
    token is not a change of the grant); ``expires`` is left out for a grant that does not expire."""
    shown: dict[str, Any] = {"id": grant.grant_id, "userKey": grant.user_key}
    if grant.grant_type:
        shown["grantType"] = grant.grant_type
    shown.update({"scopes": grant.scope.split(), "clientId": grant.client_id,
                  "issued": iso_millis(grant.created_at), "updated": iso_millis(grant.created_at)})
    if grant.expires_at is not None:
        shown["expires"] = iso_millis(grant.expires_at)
    shown["grantAttributes"] = [{"name": name, "values": _values(value)}
                                for name, value in sorted(grant.attributes.items())]
    return shown


def _answer(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Response:
    return error_response(OAuthError(error, description, status, headers))


@dataclass(frozen=True)
class _Target:
    """What a path names: whose grants (``kind`` 'clients', 'users', or 'self' until the bearer
    token says which user) and optionally one grant."""

    kind: str
    owner: str
    grant_id: str | None

    def owns(self, grant: GrantRecord) -> bool:
        return grant.client_id == self.owner if self.kind == "clients" else grant.user_key == self.owner


def _target(path: str) -> _Target | None:
    parts = path[len(PREFIX):].split("/")  # the listener has percent-decoded the path already
    if parts and parts[-1] == "":
        parts.pop()  # a trailing slash
    if not all(parts):
        return None  # an empty segment: no owner or grant id
    if parts[:1] == ["grants"] and len(parts) in (1, 2):
        return _Target("self", "", parts[1] if len(parts) == 2 else None)
    if len(parts) in (3, 4) and parts[0] in ("clients", "users") and parts[2] == "grants":
        return _Target(parts[0], parts[1], parts[3] if len(parts) == 4 else None)
    return None


async def grant_management_endpoint(rt: Runtime, request: Request) -> Response:
    target = _target(request.path)
    if target is None:
        return _answer(404, "not_found", "No such grant management resource")
    if request.method not in ("GET", "DELETE"):
        return _answer(405, "invalid_request", "This resource accepts GET and DELETE", {"allow": "GET, DELETE"})
    if not request.headers.get(XSRF_HEADER):
        return _answer(403, "access_denied", "The X-XSRF-Header header is required (any value): it protects "
                       "this service from cross-site request forgery")
    snapshot = rt.snapshot()
    now = rt.clock.now()
    try:
        if target.kind == "self":
            target = _Target("users", await _bearer_user(rt, snapshot, request, now), target.grant_id)
        else:
            await _check_admin(rt, snapshot, request, now)
    except OAuthError as error:
        return error_response(error)
    return await _serve(rt, request.method, target, now)


async def _serve(rt: Runtime, method: str, target: _Target, now: float) -> Response:
    state = rt.state
    if target.grant_id is not None:
        grant = await state.get_grant(target.grant_id)
        if grant is None or not grant.live(now) or not target.owns(grant):
            return _answer(404, "not_found", "There is no such grant")
        if method == "GET":
            return json_response(grant_json(grant))
        await state.revoke_grant(grant.grant_id)
        return Response(204, b"", [(b"cache-control", b"no-store")])
    if target.kind == "clients":
        grants = await state.list_grants(now, client_id=target.owner)
    else:
        grants = await state.list_grants(now, user_key=target.owner)
    if method == "GET":
        return json_response({"items": [grant_json(g) for g in grants]})
    for grant in grants:
        await state.revoke_grant(grant.grant_id)
    return Response(204, b"", [(b"cache-control", b"no-store")])


async def _check_admin(rt: Runtime, snapshot: Snapshot, request: Request, now: float) -> None:
    """HTTP Basic credentials accepted by the validator ``adminWebServicePcvRef`` names."""
    validator_id = snapshot.grants.admin_validator
    validator = next((v for v in snapshot.validators if v.id == validator_id), None) if validator_id else None
    if validator is None:
        raise OAuthError("access_denied", "The grant management web service is off: the authorization server "
                         "settings name no password credential validator for it (adminWebServicePcvRef)", 403)
    credentials = basic_credentials(request.headers.get("authorization", ""))
    if credentials is None:
        raise OAuthError("invalid_client", "HTTP Basic authentication is required", 401, {"www-authenticate": REALM})
    username, password = credentials
    attempt = await admit_user(rt, username, request.client_ip)
    accepted = await VERIFIED_PASSWORDS.validate(validator, username, password, now)
    await (attempt.failed() if accepted is None else attempt.succeeded())
    if accepted is None:
        raise OAuthError("invalid_client", "The username or password is not correct", 401, {"www-authenticate": REALM})


def _bearer_error(status: int, error: str, description: str) -> OAuthError:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return OAuthError(error, description, status, {"www-authenticate": challenge})


async def _bearer_user(rt: Runtime, snapshot: Snapshot, request: Request, now: float) -> str:
    """The USER_KEY whose grants a bearer token may manage (RFC 6750 errors otherwise). The token must
    be a live reference token of the grant management manager holding its scope, issued under a
    persistent grant: that grant says who the user is."""
    settings = snapshot.grants
    if not settings.atm_id or not settings.scope:
        raise OAuthError("access_denied", "The persistent grant management API is off: the authorization server "
                         "settings name no manager and scope for it (atmIdForOAuthGrantManagement, "
                         "scopeForOAuthGrantManagement)", 403)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OAuthError("invalid_request", "A bearer access token is required", 401, {"www-authenticate": "Bearer"})
    record = await rt.state.get_token(rt.state.token_key(token.strip()))
    if record is None or record.expires_at <= now or record.atm_id != settings.atm_id:
        raise _bearer_error(401, "invalid_token", "The access token is not valid for grant management")
    if settings.scope not in record.scope.split():
        raise _bearer_error(403, "insufficient_scope", f"The access token lacks the scope {settings.scope}")
    grant = await rt.state.get_grant(record.grant_id) if record.grant_id else None
    if grant is None or not grant.live(now):
        raise _bearer_error(403, "insufficient_scope", "The access token was issued under no persistent grant, "
                            "so whose grants it may manage is unknown")
    return grant.user_key


"""The device flow's user page (RFC 8628 §3.3): ``GET`` or ``POST /as/user_authz.oauth2``.

The user opens it on a phone or computer, enters the activation code the device shows (or arrives
with ``user_code`` from ``verification_uri_complete``), signs in on the authorization endpoint's
sign-in page (the same password credential validators and guessing throttle), and approves or
denies on its consent page. ``activationCodeCheckMode`` puts the code before sign-in
(``BEFORE_AUTHENTICATION``) or after it (``AFTER_AUTHENTICATION``, the default). A code that came
with the link is shown for the user to confirm, unless ``bypassActivationCodeConfirmation`` (or the
client's override) says not to; the consent page is skipped for a client with ``bypassApprovalPage``.

Wrong codes count as guesses on the token state's throttle (kind ``user_code``, per source address):
while locked the page says so with 429 and no code is looked up. As on the authorization endpoint,
the flow lives in a sealed cookie and every form carries its CSRF token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.errors import OAuthError
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
from tokensmith.oauth.authz_pages import consent_page, signin_page
from tokensmith.oauth.authz_request import Refused
from tokensmith.oauth.clientauth import admit
from tokensmith.oauth.device import display, normalize_user_code, user_code_digest
from tokensmith.oauth.device_pages import ACTION, code_page, done_page
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.device_code import GRANT
from tokensmith.state.base import DEVICE_PENDING
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

COOKIE = "tokensmith_device"
COOKIE_PATH = "/as/user_authz.oauth2"
KIND = "device-flow"
SELF = "'self'"  # the forms post only here (no redirect to a client follows them)
MAX_ENTERED = 32  # characters of an entered code kept (echoed on the page, sealed in the cookie)
WRONG_CODE = "That code is not valid, or it has expired. Check the code shown on your device."


@dataclass(frozen=True)
class DeviceFlow:
    """How far the user got: the code from the link (until tried), the verified code, who signed in."""

    expires_at: float
    csrf: str = field(default_factory=lambda: urlsafe_token(32))
    entered: str = ""  # the user_code the link carried, shown for confirmation
    from_link: bool = False  # not yet tried automatically
    user_hash: str = ""  # hex digest of the verified user code ("" until verified)
    client_id: str = ""
    user_key: str = ""
    validator_id: str = ""
    user_attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return bool(self.user_key)


def _cookie(rt: Runtime, flow: DeviceFlow, secure: bool) -> list[tuple[bytes, bytes]]:
    return [cookie_header(COOKIE, COOKIE_PATH, seal_as(rt.box, KIND, asdict(flow)), secure)]


def _flow(rt: Runtime, request: Request, now: float) -> DeviceFlow | None:
    return unseal_into(rt.box, KIND, cookie_value(request.headers, COOKIE), DeviceFlow, now)


async def user_authorization_endpoint(rt: Runtime, request: Request, issuer: str) -> Response:
    """Answer one request to the user page; ``issuer`` tells whether cookies must be ``Secure``."""
    secure = issuer.startswith("https:")
    try:
        params = page_params(request)
        if request.method == "POST" and "pf.action" in params:
            return await _form(rt, request, params, secure)
        entered = params.get("user_code", "")[:MAX_ENTERED]
        flow = DeviceFlow(rt.clock.now() + FLOW_LIFETIME, entered=entered, from_link=bool(entered))
        return await _next(rt, flow, request.client_ip, secure)
    except Refused as refused:
        return refused_page(refused)


def _device_client(snapshot: Snapshot, client_id: str) -> RuntimeClient | None:
    client = snapshot.clients.get(client_id)
    return client if client is not None and client.enabled and GRANT.client.value in client.grant_types else None


async def _check_code(rt: Runtime, entered: str, address: str) -> tuple[DeviceFlow | None, str, int, str]:
    """Look up an entered code under the guessing throttle: (a flow template holding the verified code
    and its client, or None), the message to show, its status and ``Retry-After``."""
    try:
        attempt = await admit(rt.throttle, "user_code", "device", address, "slow_down", "")
    except OAuthError as locked:
        retry = locked.headers.get("retry-after", "")
        return None, "Too many wrong codes were entered. Wait a while, then try again.", 429, retry
    normalized = normalize_user_code(entered)
    record = await rt.state.get_device(user_code_digest(normalized)) if normalized else None
    now = rt.clock.now()
    if (record is None or record.status != DEVICE_PENDING or record.expires_at <= now
            or _device_client(rt.snapshot(), record.client_id) is None):
        await attempt.failed()
        return None, WRONG_CODE, 200, ""
    return DeviceFlow(0.0, user_hash=record.user_hash.hex(), client_id=record.client_id), "", 200, ""


def _code_step(rt: Runtime, flow: DeviceFlow, secure: bool, error: str = "", status: int = 200,
               retry: str = "") -> Response:
    headers = _cookie(rt, flow, secure) + ([(b"retry-after", retry.encode())] if retry else [])
    return code_page(flow.csrf, flow.entered, error or None, status, headers)


async def _next(rt: Runtime, flow: DeviceFlow, address: str, secure: bool) -> Response:
    """The page for the flow's next step."""
    snapshot = rt.snapshot()
    if not flow.user_hash and (snapshot.device.check_before or flow.signed_in):
        if not flow.from_link:
            return _code_step(rt, flow, secure)
        flow = replace(flow, from_link=False)  # try the link's code once, on its own
        found, message, status, retry = await _check_code(rt, flow.entered, address)
        if found is None:
            return _code_step(rt, flow, secure, message, status, retry)
        client = _device_client(snapshot, found.client_id)
        if client is None or not snapshot.device.for_client(client).bypass_confirmation:
            flow = replace(flow, entered=display(normalize_user_code(flow.entered) or ""))
            return _code_step(rt, flow, secure)  # shown for the user to confirm against the device
        flow = replace(flow, user_hash=found.user_hash, client_id=found.client_id)
    client = _device_client(snapshot, flow.client_id) if flow.client_id else None
    if flow.client_id and client is None:
        raise Refused("The application is no longer known to this server, or is disabled")
    if not flow.signed_in:
        name = client.name if client is not None else "your device"
        return signin_page(name, flow.csrf, SELF, extra=_cookie(rt, flow, secure), action=ACTION)
    if not flow.user_hash or client is None:  # cannot happen: the code step comes first once signed in
        raise Refused("The form does not belong to this step. Open the address shown on your device again.")
    if client.bypass_approval:
        return await _decide(rt, client, flow, True, secure)
    record = await rt.state.get_device(bytes.fromhex(flow.user_hash))
    scopes = record.scope.split() if record is not None else []
    if record is not None and await issuing.approved_before(rt, snapshot, client, flow.user_key, scopes,
                                                            rt.clock.now()):
        return await _decide(rt, client, flow, True, secure)
    return consent_page(client.name, flow.user_key, scopes, flow.csrf, SELF, _cookie(rt, flow, secure), ACTION)


async def _form(rt: Runtime, request: Request, params: dict[str, str], secure: bool) -> Response:
    """A post of one of the page's forms: only with the flow's cookie and its CSRF token."""
    flow = _flow(rt, request, rt.clock.now())
    if flow is None:
        raise Refused("This page has expired or was opened in another browser. Open the address shown on your "
                       "device again.")
    if not csrf_matches(params.get("pf.csrf"), flow.csrf):
        raise Refused("The form was not sent by this page (its security token is missing or wrong). Open the "
                       "address shown on your device again.")
    action, address = params["pf.action"], request.client_ip
    if action == "code" and not flow.user_hash:
        flow = replace(flow, entered=params.get("user_code", "")[:MAX_ENTERED], from_link=False)
        found, message, status, retry = await _check_code(rt, flow.entered, address)
        if found is None:
            return _code_step(rt, flow, secure, message, status, retry)
        return await _next(rt, replace(flow, user_hash=found.user_hash, client_id=found.client_id), address, secure)
    if action == "signin" and not flow.signed_in:
        snapshot = rt.snapshot()
        username = params.get("pf.username", "")
        result = await check_sign_in(rt, snapshot, username, params.get("pf.pass", ""), address)
        if result.matched is None:
            client = _device_client(snapshot, flow.client_id)
            return signin_page(client.name if client is not None else "your device", flow.csrf, SELF,
                               result.message, username, result.status,
                               _cookie(rt, flow, secure) + result.page_headers(), ACTION)
        validator_id, attributes = result.matched
        flow = replace(flow, user_key=username, validator_id=validator_id, user_attributes=dict(attributes))
        return await _next(rt, flow, address, secure)
    if action in ("allow", "deny") and flow.user_hash and flow.signed_in:
        client = _device_client(rt.snapshot(), flow.client_id)
        if client is None:
            raise Refused("The application is no longer known to this server, or is disabled")
        return await _decide(rt, client, flow, action == "allow", secure)
    raise Refused("The form does not belong to this step. Open the address shown on your device again.")


async def _decide(rt: Runtime, client: RuntimeClient, flow: DeviceFlow, approved: bool, secure: bool) -> Response:
    done = await rt.state.decide_device(bytes.fromhex(flow.user_hash), rt.clock.now(), approved, flow.user_key,
                                        flow.validator_id, flow.user_attributes)
    if not done:
        raise Refused("This code has expired or was already used. Start again on your device.")
    return done_page(client.name, approved, [cookie_header(COOKIE, COOKIE_PATH, "", secure, 0)])

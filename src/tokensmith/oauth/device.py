"""The device authorization endpoint (RFC 8628 §3.1-3.2): ``POST /as/device_authz.oauth2``.

A device that cannot show a browser asks here for a device code (which it then polls the token
endpoint with, :mod:`tokensmith.oauth.grants.device_code`) and a user code that its user types on
the user page (:mod:`tokensmith.oauth.user_authz`) on another device. The client authenticates as at
the token endpoint (a public client sends only ``client_id``) and needs the ``DEVICE_CODE`` grant
type; the scope is checked by the same rules as every grant.

User codes follow PingFederate's shape: 8 characters shown as ``XXXX-XXXX``, drawn from 20 consonants
(RFC 8628 §6.1: no vowels, so no words; no digits, so no 0/O or 1/I confusion), about 34.6 bits.
Entry ignores case, dashes and spaces. Only SHA-256 digests of both codes are stored; the device code
carries 256 bits of randomness.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.errors import OAuthError, invalid_client
from tokensmith.httpmsg import Request, Response, error_response, json_response, parse_form
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.clientauth import authenticate
from tokensmith.oauth.grants.device_code import GRANT
from tokensmith.state.base import DeviceRecord, token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import DeviceSettings

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEVICE_CODE_LENGTH = 43  # base64url characters: 258 bits
USER_PAGE_PATH = "/as/user_authz.oauth2"
PUT_ATTEMPTS = 5  # fresh user codes tried when one collides with a live one


def normalize_user_code(entered: str) -> str | None:
    """The user code as stored (8 upper-case letters of the alphabet), or None when ``entered`` cannot be
    one: case, dashes and whitespace are ignored, as users type codes every which way."""
    code = "".join(c for c in entered.upper() if c != "-" and not c.isspace())
    if len(code) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in code):
        return None
    return code


def user_code_digest(code: str) -> bytes:
    return token_digest("user_code:" + code)


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def verification_uri(settings: DeviceSettings, base: str) -> str:
    return settings.user_authorization_url or base + USER_PAGE_PATH


def complete_uri(uri: str, shown: str) -> str:
    """RFC 8628 §3.3.1: the verification URI with the user code in it (for a link or QR code)."""
    separator = "&" if urlsplit(uri).query else ("" if uri.endswith("?") else "?")
    return uri + separator + urlencode({"user_code": shown})


async def device_authorization_endpoint(rt: Runtime, request: Request, base: str) -> Response:
    """Answer one device authorization request; ``base`` is this server's base URL (the issuer)."""
    try:
        return await _authorize(rt, request, base)
    except OAuthError as error:
        rt.count_malformed(error.malformed)
        return error_response(error)


async def _authorize(rt: Runtime, request: Request, base: str) -> Response:
    form = parse_form(request)
    snapshot = rt.snapshot()
    now = rt.clock.now()
    client = await authenticate(request.headers, form, snapshot, rt.box, now, rt.throttle, request.client_ip)
    if client is None:
        raise invalid_client("Client authentication is required (a public client sends client_id)")
    if GRANT.client.value not in client.grant_types:
        raise OAuthError("unauthorized_client", "This client may not use the device authorization grant")
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    settings = snapshot.device.for_client(client)
    device_code = urlsafe_token(DEVICE_CODE_LENGTH)
    for attempt in range(PUT_ATTEMPTS):
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        record = DeviceRecord(token_digest(device_code), user_code_digest(user_code), client.client_id,
                              " ".join(names), now + settings.timeout, settings.interval)
        try:
            await rt.state.put_device(record)
            break
        except ValueError:
            if attempt == PUT_ATTEMPTS - 1:
                raise OAuthError("temporarily_unavailable", "No free user code was found; try again", 503,
                                 {"retry-after": "1"}) from None
    uri = verification_uri(settings, base)
    return json_response({
        "device_code": device_code,
        "user_code": display(user_code),
        "verification_uri": uri,
        "verification_uri_complete": complete_uri(uri, display(user_code)),
        "expires_in": int(settings.timeout),
        "interval": int(settings.interval),
    })

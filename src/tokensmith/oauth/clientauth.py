"""Client authentication at the token, introspection and revocation endpoints.

``client_secret_basic`` (RFC 6749 §2.3.1: id and secret form-encoded, then Basic) and
``client_secret_post``; a public client sends only ``client_id``. Using two methods at once is an
error. Secrets are checked against the keyed digest in the snapshot, in constant time.

Every check of a client is throttled (:mod:`tokensmith.state.throttle`): the throttle is asked about
the client id the request names, and its source address, before the secret is looked at; while
either is locked the answer is ``invalid_client`` with status 429 and ``Retry-After``, whatever the
secret. The verified-header cache below only tells which client a header names.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from tokensmith.crypto.keyedcache import KeyedCache
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.errors import OAuthError, invalid_client, invalid_request
from tokensmith.state.throttle import UNTHROTTLED, Attempt, Throttle, Throttled

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("The Authorization header is not valid Basic credentials", basic=True) from exc
    if ":" not in decoded:
        raise invalid_client("The Authorization header is not valid Basic credentials", basic=True)
    client_id, _, secret = decoded.partition(":")
    if "%" in client_id or "+" in client_id:
        client_id = unquote_plus(client_id)
    if "%" in secret or "+" in secret:
        secret = unquote_plus(secret)
    return client_id, secret


class VerifiedCredentials:
    """Basic credentials this worker has already verified against the current snapshot.

    A client sends the same Authorization header on every call, and checking it (base64, form
    decoding, a keyed digest) is a noticeable share of a token or introspection request. Only
    successful checks are remembered, keyed by a keyed BLAKE2b of the header (the header itself
    is not kept: :class:`~tokensmith.crypto.keyedcache.KeyedCache`), and everything is forgotten
    when the snapshot changes (a new secret, a disabled client). A match on a secondary secret is
    remembered only until that secret expires.
    """

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._entries: KeyedCache[tuple[RuntimeClient, float]] = KeyedCache(digest_size=16)

    def get(self, header: str, snapshot: Snapshot, now: float) -> RuntimeClient | None:
        if self._snapshot is not snapshot:
            self._snapshot = snapshot
            self._entries.clear()
            return None
        hit = self._entries.get(header)
        return hit[0] if hit is not None and hit[1] > now else None

    def put(self, header: str, snapshot: Snapshot, client: RuntimeClient, until: float) -> None:
        if self._snapshot is not snapshot:
            return
        self._entries.put(header, (client, until))


VERIFIED = VerifiedCredentials()


async def admit(throttle: Throttle | None, kind: str, identity: str, address: str, error: str,
                message: str) -> Attempt:
    """The throttle's go-ahead for checking ``identity``'s secret, or the OAuth error ``error`` with
    status 429 and ``Retry-After`` while it or ``address`` is locked (the secret is not looked at)."""
    if throttle is None:
        return UNTHROTTLED
    try:
        return await throttle.begin(kind, identity, address)
    except Throttled as locked:
        raise OAuthError(error, message, 429, {"retry-after": str(locked.retry_after)}) from None


async def _admit(throttle: Throttle | None, client_id: str, address: str) -> Attempt:
    return await admit(throttle, "client", client_id, address, "invalid_client",
                       "Too many failed client authentications; try again later")


async def authenticate(headers: dict[str, str], form: dict[str, str], snapshot: Snapshot, box: SecretBox,
                       now: float, throttle: Throttle | None = None, address: str = "") -> RuntimeClient | None:
    """The authenticated client, or None when the request names no client at all."""
    secret: str | None
    header = headers.get("authorization")
    if header:
        known = VERIFIED.get(header, snapshot, now)
        if known is not None:
            if "client_secret" in form:
                raise invalid_request("Use one client authentication method, not both Basic and client_secret")
            if "client_id" in form and form["client_id"] != known.client_id:
                raise invalid_request("client_id does not match the Authorization header")
            await (await _admit(throttle, known.client_id, address)).succeeded()
            return known
    basic = _basic(header) if header else None
    if basic is not None:
        if "client_secret" in form:
            raise invalid_request("Use one client authentication method, not both Basic and client_secret")
        if "client_id" in form and form["client_id"] != basic[0]:
            raise invalid_request("client_id does not match the Authorization header")
        client_id, secret = basic
        via_basic = True
    elif "client_id" in form:
        client_id, secret = form["client_id"], form.get("client_secret")
        via_basic = False
    else:
        if "client_secret" in form:
            raise invalid_request("client_secret was sent without client_id")
        return None

    attempt = await _admit(throttle, client_id, address)
    client = snapshot.clients.get(client_id)
    if client is None or not client.enabled:
        await attempt.failed()
        raise invalid_client("Client authentication failed", basic=via_basic)
    if client.confidential:
        until = _secret_ok(client, secret, box, now) if secret else None
        if until is None:
            await attempt.failed()
            raise invalid_client("Client authentication failed", basic=via_basic)
        if via_basic and header:
            VERIFIED.put(header, snapshot, client, until)
    elif secret:
        await attempt.failed()
        raise invalid_client("This client does not use a secret", basic=via_basic)
    await attempt.succeeded()
    return client


def _secret_ok(client: RuntimeClient, secret: str, box: SecretBox, now: float) -> float | None:
    """Until when this secret is good (infinity for the primary secret), or None if it is wrong."""
    digest = box.digest(secret)
    until: float | None = None
    if client.secret_digest is not None and hmac.compare_digest(digest, client.secret_digest):
        until = math.inf
    for other, expires in client.secondary:
        if expires > now and hmac.compare_digest(digest, other):
            until = max(until or 0.0, expires)
    return until

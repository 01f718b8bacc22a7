"""Admin API authentication: HTTP Basic against the administrator accounts, plus the
``X-XSRF-Header`` that every request must carry (browsers cannot add it cross-site).

Sign-ins are throttled (:mod:`tokensmith.state.throttle`, shared with the console's sign-in form):
the throttle is asked before the password (or the cache of verified passwords) is looked at, and a
locked username or address gets 429 with ``Retry-After`` whatever the password."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from tokensmith.config.store import ConfigStore
from tokensmith.crypto.passwords import verify_password
from tokensmith.errors import AdminApiError, Forbidden, TemporarilyUnavailable, TooManyRequests, Unauthorized
from tokensmith.state.throttle import UNTHROTTLED, Attempt, Throttle, Throttled

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
                   Awaitable[None]]
CACHE_LIMIT = 256
NO_CREDENTIALS = "Authentication required: send the administrator's credentials with HTTP Basic."
WRONG_CREDENTIALS = ("The user name or password is wrong. If the password is lost, set a new one with "
                     "'tokensmith admin set-password' on the server.")
MAX_BODY = 1024 * 1024


class AdminAuthenticator:
    """Verifies admin credentials; remembers recent successes so each call is not a slow hash."""

    def __init__(self, store: ConfigStore) -> None:
        self.store = store
        self._pepper = secrets.token_bytes(32)
        self._verified: dict[tuple[str, bytes], str] = {}

    def _key(self, username: str, password: str) -> tuple[str, bytes]:
        return username, hmac.new(self._pepper, password.encode(), hashlib.sha256).digest()

    async def check(self, username: str, password: str) -> bool:
        stored = self.store.admin_password_hash(username)
        if stored is None:
            return False
        key = self._key(username, password)
        if self._verified.get(key) == stored:
            return True
        ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, stored, password)
        if ok:
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[key] = stored
        return ok


def _credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, _, password = decoded.partition(":")
    return user, password


class AdminSecurityMiddleware:
    def __init__(self, app: ASGIApp, authenticator: AdminAuthenticator, open_paths: set[str],
                 throttle: Throttle | None = None) -> None:
        self.app = app
        self.authenticator = authenticator
        self.open_paths = open_paths
        self.throttle = throttle

    async def _admit(self, scope: Scope, send: Any, username: str) -> Attempt | None:
        """The throttle's go-ahead for checking this sign-in, or None once a refusal has been sent."""
        if self.throttle is None:
            return UNTHROTTLED
        client = scope.get("client")
        try:
            return await self.throttle.begin("admin", username, str(client[0]) if client else "")
        except Throttled as locked:
            await _reject(send, TooManyRequests(f"Too many failed sign-ins; try again in {locked.retry_after} "
                                                "seconds."), [(b"retry-after", str(locked.retry_after).encode())])
        except TemporarilyUnavailable:
            await _reject(send, Unavailable("Sign-ins cannot be checked while the token state is unavailable; "
                                            "try again shortly."), [(b"retry-after", b"1")])
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        creds = _credentials(headers.get("authorization", ""))
        attempt = await self._admit(scope, send, creds[0]) if creds is not None else UNTHROTTLED
        if attempt is None:
            return
        if creds is None or not await self.authenticator.check(*creds):
            if creds is not None:
                await attempt.failed()
            await _reject(send, Unauthorized(WRONG_CREDENTIALS if creds else NO_CREDENTIALS),
                          [(b"www-authenticate", b'Basic realm="Tokensmith admin API"')])
            return
        await attempt.succeeded()
        if not headers.get("x-xsrf-header"):
            await _reject(send, Forbidden("Every admin API request must carry an X-XSRF-Header header "
                                          "(for example 'X-XSRF-Header: PingFederate')."), [])
            return
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            await _reject(send, PayloadTooLarge(f"The request body must be at most {MAX_BODY} bytes."), [])
            return
        has_body = int(length) > 0 or "chunked" in headers.get("transfer-encoding", "").lower()
        if has_body and not is_json(headers.get("content-type", "")):
            await _reject(send, UnsupportedMediaType(
                "Request bodies must be JSON: send 'Content-Type: application/json'."),
                [(b"accept", b"application/json")])
            return
        scope.setdefault("state", {})["admin_user"] = creds[0]
        await self.app(scope, bounded_receive(receive), send)


def is_json(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, any parameters (``; charset=utf-8``) allowed."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class UnsupportedMediaType(AdminApiError):
    status_code = 415
    result_id = "unsupported_media_type"


class PayloadTooLarge(AdminApiError):
    status_code = 413
    result_id = "request_too_large"


class Unavailable(AdminApiError):
    status_code = 503
    result_id = "service_unavailable"


def bounded_receive(receive: Any, limit: int = MAX_BODY) -> Any:
    """An ASGI ``receive`` that stops reading a streamed (chunked) body once it passes ``limit`` bytes."""
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message: dict[str, Any] = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return wrapped


async def _reject(send: Any, error: AdminApiError, extra: list[tuple[bytes, bytes]]) -> None:
    body = error.body()
    await send({"type": "http.response.start", "status": error.status_code,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})

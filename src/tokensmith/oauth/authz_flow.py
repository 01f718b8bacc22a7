"""The authorization request in progress, kept in the user's browser as a sealed cookie.

Between the authorization request, the sign-in form and the consent form the server keeps nothing:
the verified request (client, redirect URI, state, PKCE challenge, granted scope), the stage reached
and, after sign-in, who signed in travel in one cookie encrypted and authenticated under the node's
master key (:class:`tokensmith.crypto.secretbox.SecretBox`, AES-256-GCM), so every worker and node of
a cluster can continue the flow and nobody can read or alter it. The cookie is ``HttpOnly``,
``SameSite=Lax``, ``Secure`` when the issuer is https, scoped to the authorization endpoint's path
and lives ``FLOW_LIFETIME`` seconds; its expiry is also inside the sealed value, so an old cookie
replayed by hand is refused.

Each flow carries a random CSRF token that the forms send back; a form post counts only when its
token equals the one sealed in the cookie (compared in constant time), so another site cannot post
the forms on the user's behalf (RFC 6749 §10.12).
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, TypeVar

import orjson

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.crypto.secretbox import PREFIX, SecretBox, SecretBoxError

COOKIE = "tokensmith_authz"
COOKIE_PATH = "/as/authorization.oauth2"
FLOW_LIFETIME = 600  # seconds a user has to sign in and consent
KIND = "authorization-flow"  # sealed values of other uses of the box never pass for a flow


@dataclass(frozen=True)
class Flow:
    """One verified authorization request and how far the user got with it."""

    client_id: str
    redirect_uri: str  # where the response goes (the registered URI, matched or implied)
    sent_redirect_uri: str | None  # as the request sent it (None: omitted), for the code binding
    state: str | None
    challenge: str
    challenge_method: str
    scope: str  # the granted scope names, space-separated
    response_mode: str  # query | form_post
    expires_at: float
    csrf: str = field(default_factory=lambda: urlsafe_token(32))
    stage: str = "signin"  # signin | consent
    user_key: str = ""
    validator_id: str = ""
    user_attributes: dict[str, Any] = field(default_factory=dict)

    def signed_in(self, user_key: str, validator_id: str, attributes: dict[str, Any]) -> Flow:
        return replace(self, stage="consent", user_key=user_key, validator_id=validator_id,
                       user_attributes=dict(attributes))

    def csrf_ok(self, presented: str | None) -> bool:
        return csrf_matches(presented, self.csrf)


def csrf_matches(presented: str | None, expected: str) -> bool:
    """Whether a form's CSRF token is the one sealed in its page's cookie (compared in constant time);
    every user page checks its forms this way."""
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


class _Expiring(Protocol):
    @property
    def expires_at(self) -> float: ...


T = TypeVar("T", bound=_Expiring)


def seal_as(box: SecretBox, kind: str, data: dict[str, Any]) -> str:
    """``data`` sealed under the node's master key, tagged with ``kind`` so that no other use of the box
    (another flow's cookie) passes for it."""
    return box.encrypt(orjson.dumps({"kind": kind, **data}).decode())[len(PREFIX):]


def unseal_as(box: SecretBox, kind: str, value: str) -> dict[str, Any] | None:
    """The data sealed by :func:`seal_as` with this ``kind``, or None when altered, foreign or not sealed."""
    try:
        data = orjson.loads(box.decrypt(PREFIX + value))
    except (SecretBoxError, orjson.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.pop("kind", None) != kind:
        return None
    return data


def seal(box: SecretBox, flow: Flow) -> str:
    return seal_as(box, KIND, asdict(flow))


def unseal_into(box: SecretBox, kind: str, value: str | None, cls: type[T], now: float) -> T | None:
    """The dataclass ``cls`` sealed by :func:`seal_as` as ``kind`` in a cookie value, or None when the
    value is missing, altered, foreign, of another shape or expired (its ``expires_at``). The
    authorization flow, the device flow and the grant page's session are all read this way."""
    data = unseal_as(box, kind, value) if value is not None else None
    if data is None:
        return None
    try:
        found = cls(**data)
    except TypeError:
        return None
    return found if found.expires_at > now else None


def unseal(box: SecretBox, value: str, now: float) -> Flow | None:
    """The flow in a cookie value, or None when it is missing, altered, foreign or expired."""
    return unseal_into(box, KIND, value, Flow, now)


def cookie_value(headers: dict[str, str], name: str = COOKIE) -> str | None:
    """A flow cookie from a ``Cookie`` header (RFC 6265 §5.4), or None."""
    for part in headers.get("cookie", "").split(";"):
        found, _, value = part.strip().partition("=")
        if found == name and value:
            return value.strip('"')
    return None


def cookie_header(name: str, path: str, value: str, secure: bool, max_age: int = FLOW_LIFETIME) -> tuple[bytes, bytes]:
    """A flow cookie: ``HttpOnly``, ``SameSite=Lax``, scoped to its endpoint, ``Secure`` under https."""
    attrs = f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    return b"set-cookie", (attrs + ("; Secure" if secure else "")).encode("latin-1")


def set_cookie(value: str, secure: bool) -> tuple[bytes, bytes]:
    return cookie_header(COOKIE, COOKIE_PATH, value, secure)


def clear_cookie(secure: bool) -> tuple[bytes, bytes]:
    return cookie_header(COOKIE, COOKIE_PATH, "", secure, 0)

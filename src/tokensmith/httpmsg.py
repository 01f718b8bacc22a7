"""The plain request and response objects the protocol cores work with (no web framework)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import orjson

from tokensmith.errors import OAuthError, invalid_request

JSON_HEADERS = [
    (b"content-type", b"application/json;charset=UTF-8"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]
MAX_FORM_PARAMS = 64


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    client_ip: str = ""
    query: str = ""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: list(JSON_HEADERS))


def basic_credentials(header: str) -> tuple[str, str] | None:
    """User and password of an HTTP Basic ``Authorization`` header (RFC 7617: UTF-8, split at the
    first colon, nothing else decoded); None when the header is absent, of another scheme or broken.
    OAuth client credentials add a form-decoding step of their own (RFC 6749 §2.3.1)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def json_response(payload: object, status: int = 200) -> Response:
    return Response(status, orjson.dumps(payload))


def error_response(error: OAuthError) -> Response:
    headers = list(JSON_HEADERS)
    headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items())
    return Response(error.status_code, error.body(), headers)


def parse_form(request: Request) -> dict[str, str]:
    """The request's form parameters. RFC 6749 §3.2: POST, form-encoded, no repeated parameters."""
    if request.method != "POST":
        raise OAuthError("invalid_request", "This endpoint accepts only POST", 405,
                         {"allow": "POST"})
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise invalid_request("The body must be application/x-www-form-urlencoded")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid_request("The body is not a valid form") from exc
    return form_params(text)


def form_params(text: str) -> dict[str, str]:
    """Form-encoded parameters, of a body or a query string: at most ``MAX_FORM_PARAMS``, strictly
    UTF-8 after percent-decoding, no repeated name (an ``invalid_request`` error otherwise)."""
    parts = text.split("&")
    if len(parts) > MAX_FORM_PARAMS:
        raise invalid_request("The body is not a valid form")
    form: dict[str, str] = {}
    for part in parts:  # what parse_qsl does, without its per-call overhead on the hot path
        if not part:
            continue
        name, _, value = part.partition("=")
        try:
            if "%" in name or "+" in name:
                name = unquote_plus(name, errors="strict")
            if "%" in value or "+" in value:
                value = unquote_plus(value, errors="strict")
        except UnicodeDecodeError as exc:
            raise invalid_request("The body is not a valid form") from exc
        if name in form:
            raise invalid_request(f"Parameter '{name}' appears more than once")
        form[name] = value
    return form

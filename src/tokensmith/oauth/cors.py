"""Cross-origin resource sharing for the OAuth endpoints a browser application calls directly.

A single-page application that uses the authorization code grant with PKCE exchanges its code at
the token endpoint from JavaScript, on another origin than the authorization server's. Browsers
allow that only when the server names the application's origin in ``Access-Control-Allow-Origin``
(and answers the preflight ``OPTIONS`` request the ``Authorization`` header causes). PingFederate
does this for the origins listed in the authorization server settings' ``allowedOrigins``, on the
token, revocation, persistent grant management, JWKS and OpenID configuration endpoints; so does
Tokensmith, on the same endpoints (plus the OAuth authorization server metadata, the same document).

An entry is an origin as a browser sends it, ``https://app.example.com`` or
``https://app.example.com:8443``, where

* ``:*`` stands for any explicit port (the ``Origin`` must then carry one, as PingFederate says);
* a ``*`` in the host stands for one or more whole DNS labels (``https://*.example.com`` matches
  ``https://a.example.com`` and ``https://a.b.example.com``, never ``https://example.com`` or
  ``https://evil-example.com``);
* a path (``https://app.example.com/*``) is ignored: an ``Origin`` has none;
* ``*`` alone allows every origin.

The ``null`` origin (sandboxed frames, ``file:`` pages) is never allowed. No response allows
credentials (cookies or HTTP authentication the browser holds): a browser application presents its
own ``Authorization`` header or form parameters, so nothing it did not put in the request is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tokensmith.httpmsg import Request, Response

ANY = "*"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Request headers a preflight may ask for (the CORS-safelisted ones need no permission).
ALLOWED_HEADERS = frozenset({"authorization", "content-type", "x-xsrf-header", "accept", "accept-language",
                             "content-language"})
MAX_AGE = b"600"  # seconds a browser may cache a successful preflight
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# An Origin header as browsers send it (RFC 6454 §7): scheme, host and optional port, nothing else;
# anything else (spaces, control characters, user information, a path) is never allowed or echoed.
_ORIGIN = re.compile(r"^https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")
_HOST_CHARS = re.compile(r"^[a-z0-9.*-]+$|^[0-9a-f:.]+$")  # a name (with wildcards), IPv4, or IPv6


_NOT_AN_ORIGIN = "must be an http or https origin, e.g. https://app.example.com or https://app.example.com:*"


def _host_pattern(host: str) -> re.Pattern[str] | None:
    labels = host.split(".")
    if any(label == "" or ("*" in label and label != "*") for label in labels):
        return None
    wildcard = rf"{_LABEL}(?:\.{_LABEL})*"
    return re.compile("^" + r"\.".join(wildcard if label == "*" else re.escape(label) for label in labels) + "$")


@dataclass(frozen=True)
class _Pattern:
    scheme: str
    host: re.Pattern[str]
    port: int | None  # None: any explicit port (":*")


def _parse(entry: object) -> _Pattern | str | None:
    """One ``allowedOrigins`` entry read once: its pattern, None for ``*`` (every origin), or why it
    cannot be an allowed origin (the admin API's message)."""
    if not isinstance(entry, str):
        return "must be a string"
    if entry == ANY:
        return None
    if any(c.isspace() for c in entry):
        return "must not contain spaces"
    try:
        parts = urlsplit(entry)
        any_port = parts.netloc.endswith(":*")
        port = None if any_port else parts.port  # ValueError for a port that is not 0 to 65535
    except ValueError:
        return _NOT_AN_ORIGIN
    host = parts.hostname or ""
    if parts.scheme not in DEFAULT_PORTS or not host or parts.query or parts.fragment or "@" in parts.netloc \
            or not _HOST_CHARS.match(host):
        return _NOT_AN_ORIGIN
    pattern = _host_pattern(host) if "*" in host else re.compile("^" + re.escape(host) + "$")
    if pattern is None:
        return "a * in the host must stand for whole labels, e.g. https://*.example.com"
    return _Pattern(parts.scheme, pattern, None if any_port else (port or DEFAULT_PORTS[parts.scheme]))


def entry_problem(entry: object) -> str | None:
    """Why ``entry`` cannot be an allowed origin (None: it can)."""
    parsed = _parse(entry)
    return parsed if isinstance(parsed, str) else None


@dataclass(frozen=True)
class Origins:
    """The compiled ``allowedOrigins`` of the authorization server settings."""

    patterns: tuple[_Pattern, ...] = ()
    any_origin: bool = False

    @property
    def enabled(self) -> bool:
        return self.any_origin or bool(self.patterns)

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` (an ``Origin`` header's value) is allowed."""
        origin = origin.strip().lower()
        if not _ORIGIN.match(origin):  # also "null" and "": only scheme, host and port get past this
            return False
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError:  # a port above 65535
            return False
        if self.any_origin:
            return True
        host = parts.hostname or ""
        explicit = port is not None
        port = port or DEFAULT_PORTS[parts.scheme]
        return any(p.scheme == parts.scheme and p.host.match(host) is not None
                   and (explicit if p.port is None else p.port == port) for p in self.patterns)


def compile_origins(entries: object) -> Origins:
    """``allowedOrigins`` as stored; entries that are not origins (never accepted by the admin API,
    but possible in an old export) match nothing."""
    if not isinstance(entries, list):
        return Origins()
    parsed = [_parse(e) for e in entries]
    return Origins(tuple(p for p in parsed if isinstance(p, _Pattern)), ANY in entries)


# --------------------------------------------------------------------------- responses


def preflight(request: Request, origins: Origins, methods: tuple[str, ...]) -> Response | None:
    """The answer to a CORS preflight on an endpoint answering ``methods``, or None when ``request``
    is not one (it is then handled as any other request)."""
    origin = request.headers.get("origin")
    wanted = request.headers.get("access-control-request-method")
    if request.method != "OPTIONS" or origin is None or wanted is None:
        return None
    asked = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")
             if h.strip()]
    if not origins.allows(origin) or wanted not in methods or any(h not in ALLOWED_HEADERS for h in asked):
        return Response(403, b'{"error":"invalid_request","error_description":"The cross-origin request is not '
                             b'allowed: its origin, method or headers are not accepted here"}',
                        [(b"content-type", b"application/json;charset=UTF-8"), (b"vary", b"Origin"),
                         (b"cache-control", b"no-store")])
    headers = [(b"access-control-allow-origin", origin.encode("latin-1")),
               (b"access-control-allow-methods", ", ".join(methods).encode("latin-1")),
               (b"access-control-max-age", MAX_AGE), (b"vary", b"Origin")]
    if asked:
        headers.append((b"access-control-allow-headers", ", ".join(asked).encode("latin-1")))
    return Response(204, b"", headers)


def decorate(request: Request, response: Response, origins: Origins) -> Response:
    """``response`` with the CORS headers an allowed ``Origin`` needs (errors included, so that the
    application can read them), and ``Vary: Origin`` whenever the answer depends on the origin. A new
    response: endpoints may hand out one they keep (the JWKS document), which must not change."""
    headers = list(response.headers)
    origin = request.headers.get("origin")
    if origin is not None and origins.allows(origin):
        headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
        headers.append((b"access-control-expose-headers", b"WWW-Authenticate"))
    headers.append((b"vary", b"Origin"))
    return Response(response.status, response.body, headers)

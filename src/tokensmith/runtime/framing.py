"""RFC 9112 rules the runtime listener applies to each request head, kept apart from the protocol.

httptools (llhttp) splits the bytes into a request line, header fields and a body; what a request
*means* is decided here:

* ``Host`` (RFC 9112 §3.2): an HTTP/1.1 request carries exactly one, an HTTP/1.0 request at most
  one, and its value is ``uri-host [ ":" port ]`` in RFC 3986 syntax (an empty value is allowed);
  anything else is a 400. Its value never becomes a URL this server hands out (the advertised
  base URL is configured, see docs/configuration.md).
* Versions (RFC 9112 §2.6, RFC 9110 §15.6.6): any ``HTTP/1.x`` with x ≥ 1 is served as HTTP/1.1,
  ``HTTP/1.0`` as 1.0, every other major version is answered 505.
* Request targets (RFC 9112 §3.2): origin-form (``/path?query``); absolute-form
  (``http://authority/path``), served when the authority is this server's own and refused with
  421 Misdirected Request (RFC 9110 §15.5.20) when it names another, since this server is no
  proxy; asterisk-form only with ``OPTIONS``; ``CONNECT`` (authority-form) is not implemented
  (501). Everything else is a 400.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import httptools

_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]"  # IPv6 literal (checked by ipaddress below)
    r"|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]"  # IPvFuture
    r"|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"  # IPv4 address or reg-name (may be empty)
    r"(?::[0-9]*)?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Refusal(Exception):
    """A request head that is answered with ``status`` and then the connection closed."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def valid_host(value: str) -> bool:
    """Whether a ``Host`` value is ``uri-host [ ":" port ]`` (RFC 9110 §7.2, RFC 3986 §3.2.2)."""
    if _HOST.fullmatch(value) is None:
        return False
    if value.startswith("[") and not value.startswith(("[v", "[V")):
        literal = value[1:value.index("]")]
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return False
    return True


def check_version(version: str) -> bool:
    """True for HTTP/1.0 semantics, False for HTTP/1.1 (also 1.2-1.9); 505 for other majors."""
    if version == "1.1":
        return False
    if version == "1.0":
        return True
    if version[:2] == "1.":
        return False
    raise Refusal(505, "Only HTTP/1.1 and HTTP/1.0 are supported")


def authority(host: str, port: int | None, scheme: str) -> str:
    """``host:port`` in one spelling: lower case, IPv6 in brackets, the scheme's default port filled in."""
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port if port is not None else _DEFAULT_PORTS.get(scheme, 80)}"


def url_authority(url: str) -> str:
    """The normalised authority of an ``http(s)://`` base URL (``""`` when it has none)."""
    try:
        parsed = httptools.parse_url(url.encode("latin-1"))
    except (httptools.HttpParserInvalidURLError, UnicodeEncodeError):
        return ""
    if parsed.host is None or parsed.schema is None:
        return ""
    return authority(parsed.host.decode("latin-1"), parsed.port, parsed.schema.decode("latin-1").lower())


@dataclass(frozen=True, slots=True)
class AbsoluteTarget:
    authority: str  # normalised, see authority()
    target: bytes  # the origin-form equivalent: path and query


def absolute_target(method: bytes, url: bytes) -> AbsoluteTarget | None:
    """Check a request target that is not origin-form; the absolute-form's parts, or None for ``*``."""
    if method == b"CONNECT":
        raise Refusal(501, "CONNECT is not supported")
    if url == b"*":
        if method != b"OPTIONS":
            raise Refusal(400, "The asterisk request target is only allowed with OPTIONS")
        return None
    scheme = url[:8].lower()
    if not scheme.startswith((b"http://", b"https://")):
        raise Refusal(400, "The request target is not valid")
    try:
        parsed = httptools.parse_url(url)
    except httptools.HttpParserInvalidURLError as exc:
        raise Refusal(400, "The request target is not valid") from exc
    if parsed.host is None or not parsed.host or parsed.userinfo is not None or parsed.fragment is not None:
        raise Refusal(400, "The request target is not valid")
    target = parsed.path or b"/"
    if parsed.query is not None:
        target += b"?" + parsed.query
    return AbsoluteTarget(authority(parsed.host.decode("latin-1"), parsed.port,
                                    parsed.schema.decode("latin-1").lower()), target)


def local_authorities(sockname: object) -> set[str]:
    """The authorities a connection's local address answers to (``localhost`` too on loopback)."""
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return set()
    host, port = str(sockname[0]), int(sockname[1])
    names = {authority(host, port, "http")}
    try:
        if ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
            names.add(f"localhost:{port}")
    except ValueError:
        pass
    return names

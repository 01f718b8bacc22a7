"""Registered redirect URIs: what may be registered, and whether a request's ``redirect_uri`` matches.

A URI without ``*`` matches only itself, character for character (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
PingFederate also allows wildcards ("make the URL as restrictive as possible, for example
``https://*.company.com/*``"); Tokensmith matches them by URI component, never as one string, so
that a wildcard can never stretch across a component boundary into another site:

* the scheme is compared exactly (case-insensitively);
* in the host, ``*`` stands for one or more DNS labels (letters, digits, ``-``, joined by dots): it
  can never take in ``/``, ``?``, ``#``, ``@`` or ``:``, so ``https://*.company.com/`` cannot match
  ``https://evil.example/.company.com/`` or ``https://evil.example?.company.com/``; a port ``*``
  stands for digits;
* in the path and the query, ``*`` stands for any characters (the requested URI has no fragment), and
  a pattern whose path ends in ``*`` and that has no query of its own accepts any query;
* the requested URI must itself be a plain absolute URI: no user information, no fragment.

Native apps may also register a private-use scheme named after a domain they own (RFC 8252 §7.1,
``com.example.app:/callback``); loopback ``http`` URIs may give the port as ``*`` (RFC 8252 §7.3).
A wildcard host needs at least two fixed labels after it (``*.company.com``): ``*``, ``*.com`` or
``*.co.uk``-like patterns would hand codes to any site. As PingFederate says, a request to a client
with a wildcard URI (or more than one URI) must send ``redirect_uri``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

LOOPBACK = {"127.0.0.1", "[::1]", "localhost"}
HOST = re.compile(r"^([A-Za-z0-9\-.]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")
WILD_HOST = re.compile(r"^(?P<host>[A-Za-z0-9\-.*]+)(?::(?P<port>[0-9]{1,5}|\*))?$")
LABELS = r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
URI_CHARS = '"<>\\^`{|}'
PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$")


def _split(uri: str) -> SplitResult | None:
    try:
        return urlsplit(uri)
    except ValueError:  # e.g. an unclosed "[" in the host
        return None


def _plain(uri: str) -> bool:
    """Only printable ASCII that URIs allow: nothing that could break out of a Location header."""
    return not any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7e or c in URI_CHARS for c in uri)


def registration_problem(uri: object) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI (None: it can)."""
    if not isinstance(uri, str) or not uri:
        return "A redirect URI must be a non-empty string"
    if not _plain(uri):
        return "A redirect URI may hold only printable ASCII characters that URIs allow"
    parts = _split(uri)
    if parts is None:
        return "A redirect URI must be an absolute URI (its host part cannot be read)"
    if parts.fragment or "#" in uri:
        return "A redirect URI must not have a fragment (RFC 6749 section 3.1.2)"
    if "@" in parts.netloc:
        return "A redirect URI must not carry user information"
    if PRIVATE_SCHEME.match(parts.scheme) and not parts.netloc:
        # a native app's private-use scheme (RFC 8252 §7.1: reverse domain name, as com.example.app:/cb)
        return None if "*" not in uri and parts.path else (
            "A private-use scheme redirect URI needs a path and takes no wildcard")
    wild = "*" in parts.netloc
    if wild:
        problem = _wild_host_problem(parts.netloc)
        if problem is not None:
            return problem
    elif not HOST.match(parts.netloc):
        return "A redirect URI must be absolute, with a host name or address (and no user information)"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and (parts.hostname or "") in {h.strip("[]") for h in LOOPBACK}:
        return None
    return "A redirect URI must use https, or http on 127.0.0.1, [::1] or localhost (RFC 8252)"


def _wild_host_problem(netloc: str) -> str | None:
    found = WILD_HOST.match(netloc)
    if found is None:
        return "A wildcard redirect URI's host may hold only letters, digits, '-', '.' and '*' (and a port)"
    labels = found.group("host").split(".")
    if any(not label or ("*" in label and label != "*") for label in labels):
        return "In a redirect URI's host a wildcard must be a whole label, as in https://*.company.com/"
    fixed = 0
    for label in reversed(labels):
        if label == "*":
            break
        fixed += 1
    if "*" in labels and fixed < 2:
        return ("A wildcard host needs at least two fixed labels after the wildcard (https://*.company.com/): "
                "a broader pattern would send codes to any site")
    return None


def is_pattern(uri: str) -> bool:
    return "*" in uri


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> tuple[str, re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None:
    parts = _split(pattern)
    if parts is None:
        return None
    host_port = parts.netloc.split(":")
    host = re.escape(host_port[0]).replace(re.escape("*"), LABELS)
    if len(host_port) == 2:
        host += ":" + ("[0-9]{1,5}" if host_port[1] == "*" else re.escape(host_port[1]))

    def glob(text: str) -> re.Pattern[str]:
        return re.compile(re.escape(text).replace(re.escape("*"), ".*"), re.DOTALL)

    # a path ending in "*" with no query in the pattern lets any query through, as the one-string
    # pattern https://*.company.com/* would
    query = glob("*") if parts.path.endswith("*") and "?" not in pattern else glob(parts.query)
    return parts.scheme.lower(), re.compile(host, re.IGNORECASE), glob(parts.path), query


def matches(registered: str, sent: str) -> bool:
    """Whether a request's ``redirect_uri`` matches one registered URI (exact, or by its wildcards)."""
    if not is_pattern(registered):
        return sent == registered
    if "#" in sent or "@" in sent or not _plain(sent):
        return False
    compiled, parts = _compiled(registered), _split(sent)
    if compiled is None or parts is None:
        return False
    scheme, host, path, query = compiled
    return (parts.scheme.lower() == scheme and host.fullmatch(parts.netloc) is not None
            and path.fullmatch(parts.path) is not None and query.fullmatch(parts.query) is not None)


def registered_match(registered: tuple[str, ...], sent: str) -> bool:
    """Whether ``sent`` matches any of a client's redirect URIs."""
    return sent in registered or any(matches(uri, sent) for uri in registered if is_pattern(uri))

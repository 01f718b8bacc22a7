"""The URLs this server hands out: the issuer, discovery endpoints, admin API links.

They come from configuration and never from a request: a forged ``Host`` (or a proxy that passes
any ``Host`` along) must not be able to change the ``issuer`` of a cacheable metadata document,
so every place that builds an absolute URL asks this module.

Runtime base URL, first that is set:

1. ``federationInfo.baseUrl`` in ``/serverSettings`` (PingFederate's base URL; the same on every
   node of a cluster and live after an admin change or a configuration import);
2. ``--base-url`` (``TOKENSMITH_BASE_URL``);
3. derived from the listen address: ``http(s)://<--host>:<--port>`` (the host name of the machine
   when ``--host`` is a wildcard address such as ``0.0.0.0``).

Admin API base URL (``location`` links): ``--admin-base-url``, else derived the same way from
``--host`` and ``--admin-port``.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tokensmith.settings import Settings

WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # wildcard listen addresses


def problem(url: str) -> str | None:
    """Why ``url`` cannot be a base URL (``None`` when it can): absolute http(s), a host, no query,
    fragment or userinfo."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "must be an http:// or https:// URL with a valid host and port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "must not have a query or a fragment"
    if parts.username is not None or "@" in parts.netloc:
        return "must not contain user information"
    if port == 0:
        return "must not name port 0"
    if any(c.isspace() or c in "\"<>\\^`{|}" for c in url):
        return "must not contain spaces or the characters \" < > \\ ^ ` { | }"
    return None


def listen_url(settings: Settings, port: int) -> str:
    """``scheme://host:port`` for a listener bound to ``--host`` (the machine's name for a wildcard)."""
    scheme = "https" if settings.tls else "http"
    host = settings.host
    if host in WILDCARDS:
        host = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def runtime_base_url(settings: Settings, configured: str = "") -> str:
    """The runtime base URL (issuer): ``configured`` (federationInfo.baseUrl), ``--base-url``, or the
    listen address; without a trailing ``/``."""
    for url in (configured, settings.base_url):
        if url:
            return url.rstrip("/")
    return listen_url(settings, settings.port)


def admin_base_url(settings: Settings) -> str:
    """The admin listener's base URL (without the API path): ``--admin-base-url`` or the listen address."""
    if settings.admin_base_url:
        return settings.admin_base_url.rstrip("/")
    return listen_url(settings, settings.admin_port)

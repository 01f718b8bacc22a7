"""The admin console: server-rendered pages under ``/console/`` on the admin listener.

It calls the same resource services as the admin API (:mod:`tokensmith.admin.atms`, ...), inside
the same one-transaction ``Node.change``, so what the console accepts and refuses is exactly what
the API accepts and refuses. See ``docs/console.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tokensmith.web.console.pages import (
    atms,
    auth,
    clients,
    grants,
    keypairs,
    mappings,
    pcvs,
    scopes,
    sp_connections,
    sts_instances,
    sts_mappings,
    token_exchange,
    tx_mappings,
)
from tokensmith.web.console.web import PREFIX, Console
from tokensmith.web.routing import Deps

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
# Page modules in navigation order; each adds its routes and navigation entries.
PAGES = (auth, atms, mappings, clients, grants, scopes, sts_instances, sts_mappings, sp_connections, token_exchange,
         tx_mappings, pcvs, keypairs)


def build_console(deps: Deps) -> Console:
    console = Console(deps)
    for module in PAGES:
        module.register(console)
    return console


def with_console(api: ASGIApp, deps: Deps) -> ASGIApp:
    """The admin listener's application: ``/console`` and below go to the console, the rest to ``api``."""
    built = build_console(deps)
    console = built.asgi()
    icon = built.favicon()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await console(scope, receive, send)
        elif path == "/favicon.ico":  # browsers ask for it without credentials; a 401 would prompt for them
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"image/svg+xml"), (b"content-length", str(len(icon)).encode()),
                                    (b"cache-control", b"public, max-age=86400")]})
            await send({"type": "http.response.body", "body": icon})
        else:
            await api(scope, receive, send)

    return app

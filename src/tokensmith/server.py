"""One worker process: both listeners on one event loop, each on its own SO_REUSEPORT socket.

Every worker binds its own sockets with ``SO_REUSEPORT``, so the kernel spreads new connections
across workers instead of letting one worker's accept loop take most of them.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn

from tokensmith.admin.api import create_admin_app
from tokensmith.node import Node
from tokensmith.runtime.asgi import RuntimeApp
from tokensmith.settings import Settings


class PortDispatch:
    """Routes each connection to the runtime or the admin application by the local port."""

    def __init__(self, runtime: RuntimeApp, admin: Any, admin_port: int) -> None:
        self.runtime = runtime
        self.admin = admin
        self.admin_port = admin_port

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.runtime(scope, receive, send)
            return
        server = scope.get("server")
        if server is not None and server[1] == self.admin_port:
            await self.admin(scope, receive, send)
        else:
            await self.runtime(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build_app(node: Node, settings: Settings, worker_label: str = "") -> PortDispatch:
    return PortDispatch(RuntimeApp(node, worker_label), create_admin_app(node), settings.admin_port)


def run_worker(settings: Settings, index: int) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s "
                        f"[worker {index}] %(message)s")
    node = Node(settings)
    app = build_app(node, settings, f"{settings.node_id}/{index}")
    sockets = [bind(settings.host, settings.port), bind(settings.host, settings.admin_port)]
    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", lifespan="on", access_log=False, log_level="warning",
        server_header=False, date_header=False, timeout_keep_alive=30, backlog=2048,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ssl_certfile=str(settings.cert_file) if settings.cert_file else None,
        ssl_keyfile=str(settings.key_file) if settings.key_file else None,
    )
    uvicorn.Server(config).run(sockets=sockets)

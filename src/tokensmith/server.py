"""One worker process: both listeners on one event loop, each on its own SO_REUSEPORT socket.

Every worker binds its own sockets with ``SO_REUSEPORT``, so the kernel spreads new connections
across workers instead of letting one worker's accept loop take most of them.

The admin API is a FastAPI application served by uvicorn, which also owns the worker's lifecycle
(signals, lifespan). The runtime endpoints are served by Tokensmith's own HTTP/1.1 listener
(:mod:`tokensmith.runtime.listener`), started and stopped from the lifespan events, because the
token hot path cannot afford a general ASGI server's per-request overhead.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from tokensmith.node import Node
from tokensmith.runtime.asgi import RuntimeApp
from tokensmith.runtime.balance import ConnectionBalance
from tokensmith.runtime.listener import RuntimeServer
from tokensmith.settings import Settings
from tokensmith.web.api import create_admin_app

Hook = Callable[[], Awaitable[None]]


class PortDispatch:
    """Routes each connection to the runtime or the admin application by the local port.

    Lifespan events start and stop the node, plus whatever ``startup`` / ``shutdown`` hooks the
    worker adds (its runtime listener).
    """

    def __init__(self, runtime: RuntimeApp, admin: Any, admin_port: int) -> None:
        self.runtime = runtime
        self.admin = admin
        self.admin_port = admin_port
        self.startup: list[Hook] = [runtime.node.start]
        self.shutdown: list[Hook] = [runtime.node.stop]

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in self.startup:
                        await hook()
                except Exception as exc:
                    logging.getLogger("tokensmith").exception("worker start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.shutdown:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
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
    runtime_sock = bind(settings.host, settings.port)
    balance = ConnectionBalance(settings.data_dir / "workers.bin", index, settings.workers)
    listener = RuntimeServer(app.runtime.dispatch, base_url=node.base_url,
                             forwarded_allow_ips=settings.forwarded_allow_ips, balance=balance,
                             metrics=node.metrics)

    async def start_runtime() -> None:
        await listener.start(runtime_sock, _tls_context(settings))

    app.startup.append(start_runtime)
    async def stop_runtime() -> None:
        await listener.stop()
        balance.close()

    app.shutdown.insert(0, stop_runtime)
    sockets = [bind(settings.host, settings.admin_port)]
    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", lifespan="on", access_log=False, log_level="warning",
        server_header=False, date_header=False, timeout_keep_alive=30, backlog=2048,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ssl_certfile=str(settings.cert_file) if settings.cert_file else None,
        ssl_keyfile=str(settings.key_file) if settings.key_file else None,
    )
    uvicorn.Server(config).run(sockets=sockets)


def _tls_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.cert_file is None or settings.key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.cert_file, settings.key_file)
    context.set_alpn_protocols(["http/1.1"])
    return context

"""The runtime listener: one worker's socket, its connections (:mod:`tokensmith.runtime.http11`),
the once-a-second sweeper, and a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from email.utils import formatdate

from tokensmith.metrics import INDEX, Metrics
from tokensmith.runtime.balance import ConnectionBalance
from tokensmith.runtime.framing import local_authorities, url_authority
from tokensmith.runtime.http11 import Connection, Dispatch
from tokensmith.runtime.proxy import ProxyTrust

SWEEP_INTERVAL = 1.0
REFUSALS = "tokensmith_http_refusals_total"


class Clockwork:
    """The cached ``Date`` header value, refreshed by the sweeper once a second."""

    def __init__(self) -> None:
        self.date = b""
        self.tick()

    def tick(self) -> None:
        self.date = formatdate(time.time(), usegmt=True).encode("latin-1")


class RuntimeServer:
    """One worker's runtime listener on an already bound socket."""

    def __init__(self, dispatch: Dispatch, *, base_url: Callable[[], str] | None = None,
                 forwarded_allow_ips: str | None = None,
                 keep_alive: float = 30.0, request_timeout: float = 30.0, max_body: int = 64 * 1024,
                 balance: ConnectionBalance | None = None, metrics: Metrics | None = None) -> None:
        self.dispatch = dispatch
        self.metrics = metrics
        self.balance = balance
        self.base_url = base_url  # the advertised base URL (Node.base_url): its authority is this server's
        self.proxies = ProxyTrust(forwarded_allow_ips)
        self.keep_alive = keep_alive
        self.request_timeout = request_timeout
        self.max_body = max_body
        self.connections: set[Connection] = set()
        self.clock = Clockwork()
        self.own: set[str] = set()  # the bound address's authorities, served in absolute-form targets
        self.stopping = False
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    async def start(self, sock: socket.socket, ssl_context: ssl.SSLContext | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self.own = local_authorities(sock.getsockname())
        self._server = await self._loop.create_server(lambda: Connection(self), sock=sock, ssl=ssl_context,
                                                      backlog=2048)
        self._sweeper = self._loop.create_task(self._sweep(), name="tokensmith-runtime-sweeper")

    def authorities(self, transport: asyncio.BaseTransport | None) -> set[str]:
        """The authorities this server answers for on a connection: the configured base URL's,
        the bound address's and the connection's local address (binding 0.0.0.0 has many)."""
        names = set(self.own)
        if self.base_url is not None:
            names.add(url_authority(self.base_url()))
        if transport is not None:
            names |= local_authorities(transport.get_extra_info("sockname"))
        return names

    def refused(self, status: int) -> None:
        """Count a request the listener refused (``tokensmith_http_refusals_total``)."""
        label = str(status)
        if self.metrics is not None and (REFUSALS, label) in INDEX:
            self.metrics.inc(REFUSALS, label)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            self.clock.tick()
            now = self.loop.time()
            for conn in list(self.connections):
                conn.sweep(now)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``grace`` seconds), close the rest."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.shutdown()
        deadline = time.monotonic() + grace
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            for conn in list(self.connections):
                conn.shutdown()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

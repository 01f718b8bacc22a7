"""The runtime listener's HTTP/1.1 server: an asyncio protocol on uvloop and httptools.

The runtime endpoints answer small form posts with small JSON bodies, many thousands per second.
A general ASGI server spends most of that budget on its own bookkeeping (measured here: a
trivial ASGI app under uvicorn answers ~26k requests/s on two workers, the same parser driven by
a plain protocol ~85k/s), so this listener skips ASGI: httptools parses, each complete request
becomes a :class:`tokensmith.oauth.http.Request`, and the endpoint core's
:class:`tokensmith.oauth.http.Response` is written straight to the transport.

What it does, so that nothing else has to:

* keep-alive and pipelining (answers go out in request order), HTTP/1.0 and ``Connection: close``;
* ``Expect: 100-continue``; bounded request line, headers and body (414 / 431 / 413, then close);
* malformed requests get a 400 in OAuth's JSON error format, then the connection is closed;
* an idle keep-alive connection is closed after ``keep_alive`` seconds, a request that has not
  arrived completely within ``request_timeout`` seconds gets its connection closed (slow clients
  cannot hold connections open for free); one sweeper per server checks every second;
* back-pressure: reading pauses while the transport's write buffer is full or too many pipelined
  requests are waiting;
* ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from the configured proxy addresses;
* graceful stop: stop accepting, let in-flight requests finish, close the rest after a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Coroutine
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote

import httptools
import orjson

from tokensmith.oauth.http import Request, Response
from tokensmith.runtime.balance import ConnectionBalance
from tokensmith.runtime.proxy import ProxyTrust

log = logging.getLogger("tokensmith.runtime")

Dispatch = Callable[[Request], Coroutine[Any, Any, Response]]
MAX_URL = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
MAX_QUEUED = 32  # pipelined requests waiting on one connection before reading pauses
SWEEP_INTERVAL = 1.0
_REASONS = {s.value: s.phrase.encode("latin-1") for s in HTTPStatus}


def _error_body(status: int, error: str, description: str) -> Response:
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(status, body, [(b"content-type", b"application/json;charset=UTF-8"),
                                   (b"cache-control", b"no-store")])


class Clockwork:
    """The cached ``Date`` header value, refreshed by the sweeper once a second."""

    def __init__(self) -> None:
        self.date = b""
        self.tick()

    def tick(self) -> None:
        self.date = formatdate(time.time(), usegmt=True).encode("latin-1")


class Connection(asyncio.Protocol):
    __slots__ = (
        "body",
        "body_bytes",
        "busy",
        "closing",
        "eof",
        "header_bytes",
        "headers",
        "parser",
        "paused",
        "peer",
        "queue",
        "reading",
        "scheme",
        "server",
        "shed",
        "since",
        "transport",
        "url",
        "write_paused",
    )

    def __init__(self, server: RuntimeServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = ""
        self.scheme = server.scheme
        self.queue: deque[tuple[Request, bool]] = deque()
        self.busy = False
        self.shed = False  # told to close so that the node's connections spread evenly
        self.eof = False
        self.closing = False
        self.paused = False
        self.write_paused = False
        self.since = 0.0
        self.reading = False  # a request has begun and is not complete yet
        self.url = b""
        self.headers: dict[str, str] = {}
        self.header_bytes = 0
        self.body: list[bytes] = []
        self.body_bytes = 0

    # ------------------------------------------------------------------ transport events

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        self.since = self.server.loop.time()
        self.server.connections.add(self)
        if self.server.balance is not None:
            self.server.balance.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        if self.server.balance is not None and self.transport is not None:
            self.server.balance.closed(self.shed)
        self.closing = True
        self.queue.clear()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Protocol upgrades are not supported")
        except httptools.HttpParserError:
            if not self.closing:
                self._fail(400, "The request is not valid HTTP/1.1")

    def eof_received(self) -> bool | None:
        """The client will send nothing more: answer what is owed, then close."""
        if self.busy or self.queue:
            self.eof = True
            return True  # keep our side open for the answers
        return None  # nothing owed: close our side too

    def pause_writing(self) -> None:
        self.write_paused = True
        self._pause()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._resume()

    # ------------------------------------------------------------------ parser callbacks

    def on_message_begin(self) -> None:
        self.reading = True
        self.since = self.server.loop.time()
        self.url = b""
        self.headers = {}
        self.header_bytes = 0
        self.body = []
        self.body_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > MAX_URL:
            self._fail(414, "The request URI is too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > MAX_HEADER_BYTES or len(self.headers) >= MAX_HEADERS:
            self._fail(431, "The request headers are too large")
            return
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self.headers.get(key)
        self.headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        length = self.headers.get("content-length")
        limit = self.server.max_body
        if length is not None and length.isdigit() and int(length) > limit:
            self._fail(413, "The request body is too large")
        elif self.headers.get("expect", "").lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        if self.closing:
            return
        self.body.append(chunk)
        self.body_bytes += len(chunk)
        if self.body_bytes > self.server.max_body:
            self.body = []
            self._fail(413, "The request body is too large")

    def on_message_complete(self) -> None:
        self.reading = False
        if self.closing:
            return
        keep_alive = self.parser.should_keep_alive()
        path, _, query = self.url.partition(b"?")
        method = self.parser.get_method().decode("latin-1")
        headers = self.headers
        client, scheme = self.peer, self.scheme
        trust = self.server.proxies
        if trust.enabled and trust.trusts(client):
            proto = headers.get("x-forwarded-proto")
            if proto in ("http", "https"):
                scheme = proto
            forwarded = headers.get("x-forwarded-for")
            if forwarded:
                client = trust.client(client, forwarded)
        target = path.decode("latin-1")
        if "%" in target:
            target = unquote(target)
        request = Request(method, target, headers, b"".join(self.body), client,
                          self.server.base_url or f"{scheme}://{headers.get('host') or self.server.authority}",
                          query.decode("latin-1"))
        self.queue.append((request, keep_alive))
        if len(self.queue) > MAX_QUEUED:
            self._pause()
        if not self.busy:
            self._next()

    # ------------------------------------------------------------------ requests and responses

    def _next(self) -> None:
        if self.write_paused or self.closing or not self.queue:
            return
        request, keep_alive = self.queue.popleft()
        self.busy = True
        self.since = self.server.loop.time()
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        task = self.server.loop.create_task(self.server.dispatch(request))
        task.add_done_callback(lambda done: self._finished(done, keep_alive, head))
        if self.paused and len(self.queue) <= MAX_QUEUED // 2:
            self._resume()

    def _finished(self, task: asyncio.Task[Response], keep_alive: bool, head: bool) -> None:
        self.busy = False
        self.since = self.server.loop.time()
        if self.transport is None or self.closing:
            return
        if task.cancelled():
            self.transport.close()
            return
        exc = task.exception()
        if exc is not None:
            log.error("unhandled error answering a runtime request", exc_info=exc)
            response = _error_body(500, "server_error", "The server could not complete the request")
        else:
            response = task.result()
        keep_alive = keep_alive and not self.server.stopping and not (self.eof and not self.queue)
        balance = self.server.balance
        if keep_alive and balance is not None and not self.queue and not self.shed and balance.should_shed():
            keep_alive = False  # this worker holds more than its share: let the client reconnect
            self.shed = True
        self._write(response, keep_alive, head)
        if not keep_alive:
            self.closing = True
            self.transport.close()
            return
        if self.queue:
            self._next()

    def _write(self, response: Response, keep_alive: bool, head: bool = False) -> None:
        assert self.transport is not None
        status = response.status
        parts = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))]
        for name, value in response.headers:
            parts.append(b"%s: %s\r\n" % (name, value))
        parts.append(b"date: %s\r\ncontent-length: %d\r\n" % (self.server.clock.date, len(response.body)))
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if not head:
            parts.append(response.body)
        self.transport.write(b"".join(parts))

    def _fail(self, status: int, description: str) -> None:
        """Answer a request that cannot be parsed or accepted, then close the connection."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.queue.clear()
        if not self.busy:  # otherwise an answer is still owed for an earlier request: just close
            self._write(_error_body(status, "invalid_request", description), keep_alive=False)
        self.transport.close()

    def _pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.paused and not self.write_paused and self.transport is not None \
                and len(self.queue) <= MAX_QUEUED // 2:
            self.paused = False
            self.transport.resume_reading()

    # ------------------------------------------------------------------ housekeeping

    def sweep(self, now: float) -> None:
        if self.transport is None or self.busy or self.queue:
            return
        limit = self.server.request_timeout if self.reading else self.server.keep_alive
        if now - self.since > limit:
            self.closing = True
            self.transport.close()

    def shutdown(self) -> None:
        """Close now if idle; otherwise after the answer that is in progress."""
        if self.transport is not None and not self.busy and not self.queue:
            self.closing = True
            self.transport.close()


class RuntimeServer:
    """One worker's runtime listener on an already bound socket."""

    def __init__(self, dispatch: Dispatch, *, base_url: str | None = None, forwarded_allow_ips: str | None = None,
                 keep_alive: float = 30.0, request_timeout: float = 30.0, max_body: int = 64 * 1024,
                 balance: ConnectionBalance | None = None) -> None:
        self.dispatch = dispatch
        self.balance = balance
        self.base_url = (base_url or "").rstrip("/")
        self.proxies = ProxyTrust(forwarded_allow_ips)
        self.keep_alive = keep_alive
        self.request_timeout = request_timeout
        self.max_body = max_body
        self.connections: set[Connection] = set()
        self.clock = Clockwork()
        self.scheme = "http"
        self.authority = "localhost"
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
        self.scheme = "https" if ssl_context is not None else "http"
        host, port = sock.getsockname()[:2]
        self.authority = f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
        self._server = await self._loop.create_server(lambda: Connection(self), sock=sock, ssl=ssl_context,
                                                      backlog=2048)
        self._sweeper = self._loop.create_task(self._sweep(), name="tokensmith-runtime-sweeper")

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

"""The runtime listener's HTTP/1.1 connections: an asyncio protocol on uvloop and httptools.

The runtime endpoints answer small form posts with small JSON bodies, many thousands per second.
A general ASGI server spends most of that budget on its own bookkeeping (measured here: a
trivial ASGI app under uvicorn answers ~26k requests/s on two workers, the same parser driven by
a plain protocol ~85k/s), so this listener skips ASGI: httptools parses, each complete request
becomes a :class:`tokensmith.httpmsg.Request`, and the endpoint core's
:class:`tokensmith.httpmsg.Response` is written straight to the transport.

What it does, so that nothing else has to:

* keep-alive and pipelining (answers go out in request order), HTTP/1.0 and ``Connection: close``;
* RFC 9112 framing rules (:mod:`tokensmith.runtime.framing`): one valid ``Host``, HTTP/1.x only
  (505 otherwise), origin-, absolute- (own authority only, else 421) and asterisk-form targets;
* ``Upgrade`` requests (``h2c``, ``websocket``) are answered over HTTP/1.1, ignoring the upgrade
  (RFC 9110 §7.8), and the connection keeps going;
* ``Expect: 100-continue``; bounded request line, headers and body (414 / 431 / 413, then close);
* a request that cannot be parsed or accepted gets its error (400 etc.) in OAuth's JSON error
  format *after* the answers owed to the requests pipelined before it, then the connection closes;
* an idle keep-alive connection is closed after ``keep_alive`` seconds, a request that has not
  arrived completely within ``request_timeout`` seconds gets its connection closed (slow clients
  cannot hold connections open for free); one sweeper per server checks every second;
* back-pressure: reading pauses while the transport's write buffer is full or too many pipelined
  requests are waiting;
* ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from the configured proxy addresses;
* graceful stop: stop accepting, let in-flight requests finish, close the rest after a deadline
  (:class:`tokensmith.runtime.listener.RuntimeServer`, which owns the socket and the connections).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import httptools
import orjson

from tokensmith.httpmsg import Request, Response
from tokensmith.runtime.framing import Refusal, absolute_target, check_version, valid_host

if TYPE_CHECKING:
    from tokensmith.runtime.listener import RuntimeServer

log = logging.getLogger("tokensmith.runtime")

Dispatch = Callable[[Request], Coroutine[Any, Any, Response]]
MAX_URL = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
MAX_QUEUED = 32  # pipelined requests waiting on one connection before reading pauses
_REASONS = {s.value: s.phrase.encode("latin-1") for s in HTTPStatus}


def error_body(status: int, error: str, description: str) -> Response:
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(status, body, [(b"content-type", b"application/json;charset=UTF-8"),
                                   (b"cache-control", b"no-store")])


class Connection(asyncio.Protocol):
    __slots__ = ("body", "body_bytes", "body_left", "busy", "closing", "eof", "header_bytes", "headers", "host_ok",
                 "parser", "paused", "peer", "pending", "queue", "reading", "refusal", "server", "shed",
                 "since", "transport", "upgrading", "url", "write_paused")

    def __init__(self, server: RuntimeServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = _parser(self)
        self.peer = ""
        self.queue: deque[tuple[Request, bool]] = deque()
        self.busy = False
        self.shed = False  # told to close so that the node's connections spread evenly
        self.eof = False
        self.closing = False  # the transport is closed or closing: write nothing more
        self.refusal: Response | None = None  # read nothing more; send this after the answers owed
        self.paused = False
        self.write_paused = False
        self.since = 0.0
        self.reading = False  # a request has begun and is not complete yet
        self.url = b""
        self.headers: dict[str, str] = {}
        self.header_bytes = 0
        self.body: list[bytes] = []
        self.body_bytes = 0
        self.body_left = 0  # body bytes still to come after an Upgrade request's head
        self.pending = (b"", False)  # that request's method and keep-alive, from the parser it had
        self.upgrading = False  # the request being read asks for a protocol upgrade
        self.host_ok = ""  # the last Host value found valid on this connection (clients repeat it)

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
        if self.refusal is not None or self.closing:
            return  # a refused request ends what this connection may send
        if self.body_left:
            data = self._take_body(data)
            if not data:
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self._upgraded(data[upgrade.args[0]:])
        except httptools.HttpParserError:
            if self.parser.get_http_version() == "2.0":  # e.g. the HTTP/2 connection preface
                self._fail(505, "Only HTTP/1.1 and HTTP/1.0 are supported")
            else:
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
        if not self.busy:
            self._next()  # answers (or the refusal) held back while the buffer was full

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
        if previous is None:
            self.headers[key] = text
        elif key == "host":
            self._fail(400, "The request has more than one Host header")
        else:
            self.headers[key] = f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        if self.refusal is not None or self.closing:
            return
        headers = self.headers
        parser = self.parser
        try:
            version = parser.get_http_version()
            http10 = False if version == "1.1" else check_version(version)
            host = headers.get("host")
            if host is None:
                if not http10:
                    raise Refusal(400, "An HTTP/1.1 request must have a Host header")
            elif host != self.host_ok:
                if not valid_host(host):
                    raise Refusal(400, "The Host header is not a valid host name and port")
                self.host_ok = host
            url = self.url
            if not url or url[0] != 47:  # not origin-form ("/...")
                self._target()
        except Refusal as refused:
            self._fail(refused.status, refused.description)
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.server.max_body:
            self._fail(413, "The request body is too large")
            return
        if "upgrade" in headers and parser.should_upgrade():
            if "transfer-encoding" in headers:
                self._fail(400, "A protocol upgrade request cannot have a chunked body here")
                return
            self.upgrading = True  # llhttp hands its body (if any) and what follows to us: see _upgraded()
        if headers.get("expect", "").lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _target(self) -> None:
        """A request target other than origin-form: serve absolute-form for this server only."""
        target = absolute_target(self.parser.get_method(), self.url)
        if target is None:
            return  # OPTIONS *
        if target.authority not in self.server.authorities(self.transport):
            raise Refusal(421, "The request target names another server")
        self.url = target.target

    def on_body(self, chunk: bytes) -> None:
        if self.closing or self.refusal is not None:
            return
        self.body.append(chunk)
        self.body_bytes += len(chunk)
        if self.body_bytes > self.server.max_body:
            self.body = []
            self._fail(413, "The request body is too large")

    def on_message_complete(self) -> None:
        if self.closing or self.refusal is not None:
            self.reading = False
            return
        parser = self.parser
        if self.upgrading:
            self.upgrading = False
            length = self.headers.get("content-length", "0")
            self.body_left = int(length) if length.isdigit() else 0
            if self.body_left:  # llhttp leaves an Upgrade request's body to us: see _upgraded()
                self.pending = (parser.get_method(), parser.should_keep_alive())
                return
        self._complete(parser.get_method(), parser.should_keep_alive())

    def _upgraded(self, rest: bytes) -> None:
        """llhttp stops after an ``Upgrade`` request's head; this server keeps speaking HTTP/1.1.

        The upgrade is ignored (RFC 9110 §7.8): the request's body (if any) is read here, the
        request answered like any other, and whatever follows is parsed as the next request.
        """
        self.parser = _parser(self)
        if self.body_left:
            rest = self._take_body(rest)
        if rest and self.refusal is None and not self.closing:
            self.data_received(rest)

    def _take_body(self, data: bytes) -> bytes:
        part = data[:self.body_left]
        self.body.append(part)
        self.body_bytes += len(part)
        self.body_left -= len(part)
        if not self.body_left:
            self._complete(*self.pending)
        return data[len(part):]

    def _complete(self, method_bytes: bytes, keep_alive: bool) -> None:
        self.reading = False
        path, _, query = self.url.partition(b"?")
        method = method_bytes.decode("latin-1")
        headers = self.headers
        client = self.peer
        trust = self.server.proxies
        if trust.enabled:
            client = trust.client_of(client, headers)
        target = path.decode("latin-1")
        if "%" in target:
            target = unquote(target)
        request = Request(method, target, headers, b"".join(self.body), client, query.decode("latin-1"))
        self.queue.append((request, keep_alive))
        if len(self.queue) > MAX_QUEUED:
            self._pause()
        if not self.busy:
            self._next()

    # ------------------------------------------------------------------ requests and responses

    def _next(self) -> None:
        if self.write_paused or self.closing:
            return
        if not self.queue:
            if self.refusal is not None:
                self._refuse()
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
            response = error_body(500, "server_error", "The server could not complete the request")
        else:
            response = task.result()
        keep_alive = keep_alive and not self.server.stopping and not (self.eof and not self.queue)
        balance = self.server.balance
        if keep_alive and balance is not None and not self.queue and self.refusal is None and not self.shed \
                and balance.should_shed():
            keep_alive = False  # this worker holds more than its share: let the client reconnect
            self.shed = True
        self._write(response, keep_alive, head)
        if not keep_alive:
            self.closing = True
            self.transport.close()
            return
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
        """Refuse a request that cannot be parsed or accepted: read nothing more, answer the
        requests before it, then this error, then close the connection (RFC 9112 §9.6)."""
        if self.closing or self.refusal is not None or self.transport is None:
            return
        self.refusal = error_body(status, "invalid_request", description)
        self.server.refused(status)
        self.reading = False
        self.body_left = 0
        if not self.paused:
            self.paused = True
            self.transport.pause_reading()
        if not self.busy and not self.queue:
            self._refuse()

    def _refuse(self) -> None:
        assert self.transport is not None and self.refusal is not None
        self.closing = True
        self._write(self.refusal, keep_alive=False)
        self.transport.close()

    def _pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.paused and not self.write_paused and self.refusal is None and self.transport is not None \
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


def _parser(protocol: Connection) -> httptools.HttpRequestParser:
    parser = httptools.HttpRequestParser(protocol)
    parser.set_dangerous_leniencies(lenient_version=True)  # versions are judged by framing.check_version
    return parser

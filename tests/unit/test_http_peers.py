"""The runtime listener next to h11 and uvicorn: the same raw requests, each one's answers, one table.

Each row is a raw byte stream (sent, then the write side closed) and the statuses that come back:
from Tokensmith's listener, from the h11 state machine (a ``Request`` counts as served, a
``RemoteProtocolError`` as its ``error_status_hint``) and from uvicorn (its default httptools
protocol, serving a trivial ASGI app on 127.0.0.1). Where the columns differ, the Tokensmith
column is what RFC 9112 / RFC 9110 ask for (see src/tokensmith/runtime/framing.py); h11 and
uvicorn are pinned in the project, so a change in their behaviour shows up here as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import h11
import pytest
import uvicorn

from tokensmith.httpmsg import Request, Response
from tokensmith.runtime.listener import RuntimeServer

H2C = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
WS = (b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")

# name, raw request(s) (PORT: the listening port), Tokensmith, h11, uvicorn
TABLE: list[tuple[str, bytes, list[int], list[int], list[int]]] = [
    ("plain GET", b"GET /x HTTP/1.1\r\nHost: a.example\r\n\r\n", [200], [200], [200]),
    ("two Host headers", b"GET /x HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\n\r\n", [400], [400], [200]),
    ("HTTP/1.1 without Host", b"GET /x HTTP/1.1\r\n\r\n", [400], [400], [200]),
    ("HTTP/1.0 without Host", b"GET /x HTTP/1.0\r\n\r\n", [200], [200], [200]),
    ("Host with markup", b'GET /x HTTP/1.1\r\nHost: "><script>\r\n\r\n', [400], [200], [200]),
    ("Host with a list", b"GET /x HTTP/1.1\r\nHost: a.example, evil.example/x?\r\n\r\n", [400], [200], [200]),
    ("Host with userinfo", b"GET /x HTTP/1.1\r\nHost: user@a.example\r\n\r\n", [400], [200], [200]),
    ("empty Host", b"GET /x HTTP/1.1\r\nHost:\r\n\r\n", [200], [200], [200]),
    ("IPv6 Host", b"GET /x HTTP/1.1\r\nHost: [::1]:9031\r\n\r\n", [200], [200], [200]),
    ("good then malformed", b"GET /x HTTP/1.1\r\nHost: a\r\n\r\nNOT HTTP\r\n\r\n", [200, 400], [200, 400], [400]),
    ("h2c upgrade, then another request",
     b"GET /x HTTP/1.1\r\nHost: a\r\n" + H2C + b"\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n", [200, 200], [200, 200],
     [200]),
    ("h2c upgrade on a POST with a body",
     b"POST /x HTTP/1.1\r\nHost: a\r\n" + H2C + b"Content-Length: 3\r\n\r\na=1", [200], [200], [200]),
    ("websocket upgrade", b"GET /x HTTP/1.1\r\nHost: a\r\n" + WS + b"\r\n", [200], [200], [200]),
    ("HTTP/2.0 request line", b"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", [505], [200], [200]),
    ("HTTP/3.0 request line", b"GET /x HTTP/3.0\r\nHost: a\r\n\r\n", [505], [200], [400]),
    ("HTTP/0.9 in the request line", b"GET /x HTTP/0.9\r\nHost: a\r\n\r\n", [505], [200], [200]),
    ("HTTP/1.2 (served as 1.1)", b"GET /x HTTP/1.2\r\nHost: a\r\n\r\n", [200], [200], [400]),
    ("HTTP/2 connection preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [505], [200, 400], [400]),
    ("absolute-form, own authority", b"GET http://127.0.0.1:PORT/x HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n",
     [200], [200], [200]),
    ("absolute-form, another authority", b"GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\n\r\n",
     [421], [200], [200]),
    ("GET *", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", [400], [200], [200]),
    ("OPTIONS *", b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", [200], [200], [200]),
    ("CONNECT", b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", [501], [200], [400]),
]
IDS = [row[0] for row in TABLE]


def h11_statuses(raw: bytes) -> list[int]:
    """What a server built on h11 would answer: 200 per request h11 accepts, its hint per error."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(raw)
    conn.receive_data(b"")
    out: list[int] = []
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            return [*out, exc.error_status_hint]
        if isinstance(event, h11.Request):
            out.append(200)
        elif isinstance(event, h11.EndOfMessage):
            conn.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
            if conn.our_state is h11.SWITCHED_PROTOCOL:
                return out  # CONNECT: a 2xx hands the connection over to the tunnel
            conn.send(h11.EndOfMessage())
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return out
            conn.start_next_cycle()
        elif event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
            return out


async def statuses(port: int, raw: bytes) -> list[int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw.replace(b"PORT", str(port).encode()))
    with contextlib.suppress(OSError):
        await writer.drain()
        writer.write_eof()
    data = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()
    out = []
    while data:  # every answer here has a Content-Length
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        out.append(int(lines[0].split()[1]))
        length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith(b"content-length:")), 0)
        data = rest[length:]
    return out


def bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


async def ok(request: Request) -> Response:
    return Response(200, b"ok", [(b"content-type", b"text/plain")])


async def trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
async def tokensmith_port() -> AsyncIterator[int]:
    sock = bound()
    server = RuntimeServer(ok)
    await server.start(sock)
    yield int(sock.getsockname()[1])
    await server.stop(grace=1.0)


@pytest.fixture
async def uvicorn_port() -> AsyncIterator[int]:
    sock = bound()
    server = uvicorn.Server(uvicorn.Config(trivial_app, http="httptools", lifespan="off", log_level="critical",
                                           timeout_keep_alive=2))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # at most 5 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    yield int(sock.getsockname()[1])
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.mark.parametrize(("name", "raw", "ours", "with_h11", "with_uvicorn"), TABLE, ids=IDS)
async def test_table(tokensmith_port: int, uvicorn_port: int, name: str, raw: bytes, ours: list[int],
                     with_h11: list[int], with_uvicorn: list[int]) -> None:
    assert await statuses(tokensmith_port, raw) == ours, name
    assert h11_statuses(raw.replace(b"PORT", b"9031")) == with_h11, name
    assert await statuses(uvicorn_port, raw) == with_uvicorn, name

"""The runtime listener's HTTP/1.1 server, over a real loopback socket with raw bytes.

Each test starts a :class:`RuntimeServer` on 127.0.0.1 with a small dispatch function and talks to
it the way clients (and misbehaving clients) do: keep-alive, pipelining, HTTP/1.0, oversized
parts, malformed bytes, slow senders, proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokensmith.httpmsg import Request, Response
from tokensmith.runtime.listener import RuntimeServer
from tokensmith.runtime.proxy import ProxyTrust

seen: list[Request] = []


async def echo(request: Request) -> Response:
    seen.append(request)
    if request.path == "/slow":
        await asyncio.sleep(0.05)
    if request.path == "/boom":
        raise RuntimeError("handler failed")
    body = orjson.dumps({"method": request.method, "path": request.path, "query": request.query,
                         "body": request.body.decode(), "client": request.client_ip})
    return Response(200, body, [(b"content-type", b"application/json")])


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


async def start(**options: object) -> tuple[RuntimeServer, int]:
    sock = listening_socket()
    server = RuntimeServer(echo, **options)  # type: ignore[arg-type]
    await server.start(sock)
    return server, int(sock.getsockname()[1])


@pytest.fixture
async def served() -> AsyncIterator[int]:
    seen.clear()
    server, port = await start()
    yield port
    await server.stop(grace=1.0)


async def exchange(port: int, data: bytes, *, until_close: bool = True, timeout: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        if until_close:
            return await asyncio.wait_for(reader.read(-1), timeout)
        return await asyncio.wait_for(reader.read(65536), timeout)
    finally:
        writer.close()


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a byte stream into (status, headers, body) using Content-Length."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:length]))
        raw = rest[length:]
    return out


def form_post(path: str, body: bytes, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return (b"POST " + path.encode() + b" HTTP/" + version + b"\r\nHost: sts.example\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


async def test_keep_alive_and_pipelined_requests_answer_in_order(served: int) -> None:
    data = form_post("/slow", b"a=1") + form_post("/fast", b"b=2") + (
        b"GET /last?x=1 HTTP/1.1\r\nHost: sts.example\r\nConnection: close\r\n\r\n")
    got = responses(await exchange(served, data))
    assert [s for s, _, _ in got] == [200, 200, 200]
    bodies = [orjson.loads(b) for _, _, b in got]
    assert [b["path"] for b in bodies] == ["/slow", "/fast", "/last"]
    assert bodies[1]["body"] == "b=2" and bodies[2]["query"] == "x=1"
    assert bodies[0]["client"] == "127.0.0.1"
    assert got[2][1]["connection"] == "close" and "date" in got[0][1]


async def test_http10_closes_after_the_answer(served: int) -> None:
    got = responses(await exchange(served, b"GET /x HTTP/1.0\r\n\r\n"))
    assert got[0][0] == 200 and got[0][1]["connection"] == "close"


async def test_head_has_headers_but_no_body(served: int) -> None:
    raw = await exchange(served, b"HEAD /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b" 200 " in head and b"content-length: " in head and rest == b""


async def test_malformed_request_gets_an_oauth_400_and_the_connection_closes(served: int) -> None:
    got = responses(await exchange(served, b"THIS IS NOT HTTP\r\n\r\n"))
    assert got[0][0] == 400
    assert orjson.loads(got[0][2])["error"] == "invalid_request"


async def test_oversized_body_is_refused_before_it_is_read(served: int) -> None:
    head = (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000\r\n\r\n")
    got = responses(await exchange(served, head + b"a" * 1000))
    assert got[0][0] == 413 and got[0][1]["connection"] == "close"
    assert not seen


async def test_oversized_chunked_body_is_refused(served: int) -> None:
    chunk = b"a" * 40000
    data = (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 3 + b"0\r\n\r\n")
    got = responses(await exchange(served, data))
    assert got[0][0] == 413 and not seen


async def test_too_many_header_bytes_get_431(served: int) -> None:
    data = b"GET /x HTTP/1.1\r\nHost: a\r\n" + b"X-Filler: " + b"y" * 20000 + b"\r\n\r\n"
    assert responses(await exchange(served, data))[0][0] == 431


async def test_too_long_uri_gets_414(served: int) -> None:
    data = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert responses(await exchange(served, data))[0][0] == 414


async def test_expect_100_continue(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    writer.write(b"a=1")
    final = await asyncio.wait_for(reader.readuntil(b"}"), 5)
    assert b" 200 " in final and b'"body":"a=1"' in final
    writer.close()


async def test_handler_error_is_a_500_in_oauth_format_and_the_connection_survives(served: int) -> None:
    data = (b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n"
            b"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    got = responses(await exchange(served, data))
    assert [s for s, _, _ in got] == [500, 200]
    assert orjson.loads(got[0][2])["error"] == "server_error"


async def test_a_cancelled_request_closes_its_connection_without_an_answer(served: int) -> None:
    """A request whose task is cancelled (the worker stopping hard) gets no half answer: the
    connection is closed, and the server goes on answering other connections."""
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
    await writer.drain()
    for _ in range(100):  # until the handler is running
        if any(r.path == "/slow" for r in seen):
            break
        await asyncio.sleep(0.005)
    running = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "echo"]  # type: ignore[union-attr]
    assert len(running) == 1
    running[0].cancel()
    assert await asyncio.wait_for(reader.read(-1), 5) == b""
    writer.close()
    got = responses(await exchange(served, b"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert [s for s, _, _ in got] == [200]


async def test_percent_encoded_path_is_decoded(served: int) -> None:
    got = responses(await exchange(served, b"GET /ext/my%20keys HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert orjson.loads(got[0][2])["path"] == "/ext/my keys"


async def test_idle_keep_alive_connections_are_closed() -> None:
    server, port = await start(keep_alive=0.2, request_timeout=0.2)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        await reader.readuntil(b"}")
        assert await asyncio.wait_for(reader.read(-1), 5) == b""  # closed by the server
        writer.close()
    finally:
        await server.stop(grace=1.0)


async def test_a_request_that_never_completes_is_cut_off() -> None:
    server, port = await start(keep_alive=30, request_timeout=0.2)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-part")
        assert await asyncio.wait_for(reader.read(-1), 5) == b""
        writer.close()
    finally:
        await server.stop(grace=1.0)


async def test_graceful_stop_finishes_the_request_in_flight() -> None:
    server, port = await start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
    await asyncio.sleep(0.01)
    await server.stop(grace=2.0)
    raw = await asyncio.wait_for(reader.read(-1), 5)
    assert b" 200 " in raw and b"connection: close" in raw
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_forwarded_headers_only_from_trusted_proxies() -> None:
    request = (b"GET /x HTTP/1.1\r\nHost: sts.example\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.2\r\n"
               b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
    untrusted, port = await start()
    try:
        body = orjson.loads(responses(await exchange(port, request))[0][2])
        assert body["client"] == "127.0.0.1"
    finally:
        await untrusted.stop(grace=1.0)
    trusted, port = await start(forwarded_allow_ips="127.0.0.1, 10.0.0.0/8")
    try:
        body = orjson.loads(responses(await exchange(port, request))[0][2])
        assert body["client"] == "203.0.113.9"
    finally:
        await trusted.stop(grace=1.0)


def test_proxy_trust_picks_the_rightmost_untrusted_hop() -> None:
    trust = ProxyTrust("10.0.0.1,192.168.0.0/16")
    assert trust.trusts("10.0.0.1") and trust.trusts("192.168.4.4") and not trust.trusts("10.0.0.2")
    assert trust.client("10.0.0.1", "1.1.1.1, 2.2.2.2, 192.168.1.1") == "2.2.2.2"
    assert trust.client("10.0.0.1", "192.168.1.1") == "192.168.1.1"
    assert not ProxyTrust(None).enabled and ProxyTrust("*").trusts("anything")


_JUNK = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda method, path, headers, body: method + b" " + path + b" HTTP/1.1\r\n" + headers + b"\r\n" + body,
              st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"\x00", b""]),
              st.binary(max_size=40),
              st.binary(max_size=120),
              st.binary(max_size=120)),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=_JUNK)
async def test_arbitrary_bytes_never_take_the_listener_down(served: int, junk: bytes) -> None:
    """Whatever arrives, the answer (if any) is well-formed HTTP, and the next client is served."""
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(junk)
    with contextlib.suppress(OSError):
        await writer.drain()
        writer.write_eof()
    raw = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()
    assert raw == b"" or raw.startswith(b"HTTP/1.1 ")
    assert b" 500 " not in raw.split(b"\r\n", 1)[0]
    got = responses(await exchange(served, b"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert got[0][0] == 200


async def test_a_client_that_half_closes_still_gets_its_answers(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
    writer.write_eof()
    got = responses(await asyncio.wait_for(reader.read(-1), 5))
    writer.close()
    assert [orjson.loads(b)["path"] for _, _, b in got] == ["/slow", "/b"]
    assert got[-1][1]["connection"] == "close"


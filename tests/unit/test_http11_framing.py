"""The runtime listener's RFC 9112 framing rules, over a real loopback socket with raw bytes.

``Host`` (exactly one, RFC 3986 authority syntax), versions (HTTP/1.x served, other majors 505),
request-target forms (absolute-form for this server only, else 421), ``Upgrade`` (ignored, the
connection goes on), and pipelining (answers owed go out before an error answer). The fuzz test
builds request heads from those parts and checks each answer against the rules stated here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_http11 import exchange, form_post, responses, seen, start
from tokensmith.runtime.framing import valid_host


@pytest.fixture
async def served() -> AsyncIterator[int]:
    seen.clear()
    server, port = await start()
    yield port
    await server.stop(grace=1.0)



def get(target: bytes = b"/x", *, version: bytes = b"1.1", headers: bytes = b"Host: a.example\r\n") -> bytes:
    return b"GET " + target + b" HTTP/" + version + b"\r\n" + headers + b"\r\n"


@pytest.mark.parametrize("headers", [
    b"Host: a.example\r\nHost: evil.example\r\n",
    b"Host: a.example\r\nhost: a.example\r\n",
    b"",
    b'Host: "><script>\r\n',
    b"Host: a.example, evil.example/x?\r\n",
    b"Host: user@a.example\r\n",
    b"Host: a.example/path\r\n",
    b"Host: [::1\r\n",
    b"Host: [not-v6]:80\r\n",
    b"Host: a.example:80a\r\n",
    b"Host: a b\r\n",
])
async def test_an_http11_request_without_exactly_one_valid_host_is_a_400(served: int, headers: bytes) -> None:
    got = responses(await exchange(served, get(headers=headers)))
    assert [s for s, _, _ in got] == [400]
    assert got[0][1]["connection"] == "close" and orjson.loads(got[0][2])["error"] == "invalid_request"
    assert b"<script" not in got[0][2] and b"evil.example" not in got[0][2]
    assert not seen


@pytest.mark.parametrize("host", [b"a.example", b"A.Example:9031", b"127.0.0.1:1", b"[::1]:9031", b"[v1.x]",
                                  b"", b"xn--nxasmq6b.example", b"a%2Db.example", b"a.example:"])
async def test_valid_host_values_are_served(served: int, host: bytes) -> None:
    got = responses(await exchange(served, get(headers=b"Host: " + host + b"\r\nConnection: close\r\n")))
    assert [s for s, _, _ in got] == [200]


async def test_http10_may_leave_out_host_but_not_send_two(served: int) -> None:
    assert responses(await exchange(served, get(version=b"1.0", headers=b"")))[0][0] == 200
    two = get(version=b"1.0", headers=b"Host: a\r\nHost: b\r\n")
    assert responses(await exchange(served, two))[0][0] == 400


async def test_pipelined_answers_owed_go_out_before_the_error(served: int) -> None:
    data = form_post("/slow", b"a=1") + get(b"/second") + b"NOT HTTP AT ALL\r\n\r\n" + get(b"/never")
    got = responses(await exchange(served, data))
    assert [s for s, _, _ in got] == [200, 200, 400]
    assert [orjson.loads(b)["path"] for _, _, b in got[:2]] == ["/slow", "/second"]
    assert got[2][1]["connection"] == "close"
    assert [r.path for r in seen] == ["/slow", "/second"]


@pytest.mark.parametrize(("bad", "status"), [
    (get(headers=b"Host: a\r\nHost: b\r\n"), 400),
    (get(version=b"2.0"), 505),
    (get(b"http://evil.example/x"), 421),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
])
async def test_every_kind_of_refusal_waits_for_the_answers_before_it(served: int, bad: bytes, status: int) -> None:
    got = responses(await exchange(served, form_post("/slow", b"a=1") + bad))
    assert [s for s, _, _ in got] == [200, status]


H2C = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"


async def test_an_h2c_upgrade_is_ignored_and_the_connection_goes_on(served: int) -> None:
    data = get(b"/first", headers=b"Host: a\r\n" + H2C) + get(b"/next", headers=b"Host: a\r\nConnection: close\r\n")
    got = responses(await exchange(served, data))
    assert [s for s, _, _ in got] == [200, 200]
    assert [orjson.loads(b)["path"] for _, _, b in got] == ["/first", "/next"]
    assert "upgrade" not in got[0][1]


async def test_an_upgrade_request_with_a_body_gets_its_body(served: int) -> None:
    post = form_post("/as/token.oauth2", b"grant_type=client_credentials", H2C)
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(post[:-10])
    await writer.drain()
    await asyncio.sleep(0.05)  # the rest of the body arrives later, with the next request
    writer.write(post[-10:] + get(b"/next", headers=b"Host: a\r\nConnection: close\r\n"))
    got = responses(await asyncio.wait_for(reader.read(-1), 5))
    writer.close()
    assert [orjson.loads(b)["body"] for _, _, b in got] == ["grant_type=client_credentials", ""]
    assert [orjson.loads(b)["method"] for _, _, b in got] == ["POST", "GET"]


async def test_a_websocket_upgrade_is_answered_over_http11(served: int) -> None:
    ws = (b"Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(get(headers=ws))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    assert head.startswith(b"HTTP/1.1 200 ")


async def test_an_upgrade_request_with_a_chunked_body_is_refused(served: int) -> None:
    data = (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" + H2C + b"\r\n3\r\na=1\r\n0\r\n\r\n")
    assert [s for s, _, _ in responses(await exchange(served, data))] == [400]


@pytest.mark.parametrize(("version", "status"), [(b"2.0", 505), (b"3.0", 505), (b"0.9", 505), (b"9.1", 505),
                                                 (b"1.2", 200), (b"1.9", 200)])
async def test_versions(served: int, version: bytes, status: int) -> None:
    got = responses(await exchange(served, get(version=version, headers=b"Host: a\r\nConnection: close\r\n")))
    assert [s for s, _, _ in got] == [status]
    assert orjson.loads(got[0][2]).get("error") == (None if status == 200 else "invalid_request")


async def test_a_higher_http1_minor_is_served_as_http11_with_keep_alive(served: int) -> None:
    data = get(b"/a", version=b"1.2") + get(b"/b", version=b"1.2", headers=b"Host: a\r\nConnection: close\r\n")
    got = responses(await exchange(served, data))
    assert [s for s, _, _ in got] == [200, 200] and "connection" not in got[0][1]


async def test_the_http2_connection_preface_is_a_505(served: int) -> None:
    got = responses(await exchange(served, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
    assert [s for s, _, _ in got] == [505]


async def test_absolute_form_for_this_server_is_served(served: int) -> None:
    for authority in (f"127.0.0.1:{served}", f"localhost:{served}", f"LOCALHOST:{served}"):
        target = f"http://{authority}/.well-known/x?y=1".encode()
        got = responses(await exchange(served, get(target, headers=b"Host: other.example\r\nConnection: close\r\n")))
        body = orjson.loads(got[0][2])
        assert got[0][0] == 200 and body["path"] == "/.well-known/x" and body["query"] == "y=1"
    got = responses(await exchange(served, get(f"http://127.0.0.1:{served}".encode(),
                                               headers=b"Host: a\r\nConnection: close\r\n")))
    assert orjson.loads(got[0][2])["path"] == "/"


@pytest.mark.parametrize("target", [b"http://evil.example/x", b"http://127.0.0.1/x", b"http://127.0.0.2:1/x",
                                    b"https://evil.example:443/"])
async def test_absolute_form_for_another_server_is_misdirected(served: int, target: bytes) -> None:
    got = responses(await exchange(served, get(target)))
    assert [s for s, _, _ in got] == [421] and not seen


async def test_absolute_form_names_the_configured_base_url() -> None:
    server, port = await start(base_url=lambda: "https://sts.example.com")
    try:
        ok = await exchange(port, get(b"https://STS.example.com:443/x", headers=b"Host: a\r\nConnection: close\r\n"))
        assert responses(ok)[0][0] == 200
        assert responses(await exchange(port, get(b"http://sts.example.com/x")))[0][0] == 421  # port 80
    finally:
        await server.stop(grace=1.0)


@pytest.mark.parametrize(("request_line", "status"), [
    (b"GET * HTTP/1.1", 400),
    (b"GET http://u:p@127.0.0.1:1/x HTTP/1.1", 400),
    (b"GET http:///x HTTP/1.1", 400),
    (b"GET ftp://127.0.0.1/x HTTP/1.1", 400),
    (b"CONNECT a.example:443 HTTP/1.1", 501),
])
async def test_other_request_targets_are_refused(served: int, request_line: bytes, status: int) -> None:
    got = responses(await exchange(served, request_line + b"\r\nHost: a.example\r\n\r\n"))
    assert [s for s, _, _ in got] == [status] and not seen


async def test_options_asterisk_reaches_the_dispatcher(served: int) -> None:
    got = responses(await exchange(served, b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert got[0][0] == 200 and orjson.loads(got[0][2])["path"] == "*"


# ---------------------------------------------------------------------- fuzz: heads built from parts

_REG_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=",
                    max_size=20)
_VALID_HOST = st.one_of(
    _REG_NAME,
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
).flatmap(lambda h: st.sampled_from([h, h + ":", h + ":9031", h + ":0"]))
_FORBIDDEN = '"<> /?#@\\^`{|}[]'
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=10)  # so OWS is inside
_INVALID_HOST = st.tuples(_LABEL, st.sampled_from([*_FORBIDDEN, "%zz", "%g0", "%\t", "\t"]), _LABEL).map(
    lambda parts: parts[0] + parts[1] + parts[2]).filter(lambda h: not _ipv6_literal(h))


def _ipv6_literal(host: str) -> bool:
    with contextlib.suppress(ValueError):
        if host.startswith("[") and "]" in host:
            ipaddress.IPv6Address(host[1:host.index("]")])
            return True
    return False


@st.composite
def _heads(draw: st.DrawFn) -> tuple[bytes, int]:
    """A request head and the status RFC 9112 asks for (the order is the order the checks meet them)."""
    major, minor = draw(st.sampled_from([(1, 1), (1, 0), (1, 2), (1, 9), (2, 0), (3, 0), (0, 9)]))
    hosts = draw(st.lists(st.one_of(_VALID_HOST.map(lambda h: (h, True)), _INVALID_HOST.map(lambda h: (h, False))),
                          max_size=2))
    target = draw(st.sampled_from(["/x", "http://127.0.0.1:PORT/x", "http://evil.example/x", "*"]))
    method = draw(st.sampled_from(["GET", "POST", "OPTIONS"]))
    lines = [f"{method} {target} HTTP/{major}.{minor}"] + [f"Host: {h}" for h, _ in hosts]
    head = ("\r\n".join(lines) + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").encode()
    rules = [  # in the order the listener meets them: header lines first, then the complete head
        (len(hosts) > 1, 400),
        (major != 1, 505),
        (not hosts and minor != 0, 400),
        (bool(hosts) and not hosts[0][1], 400),
        (target == "*" and method != "OPTIONS", 400),
        (target.startswith("http://evil"), 421),
    ]
    status = next((code for broken, code in rules if broken), 200)
    return head, status


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_heads())
async def test_request_heads_get_the_answer_rfc9112_asks_for(served: int, case: tuple[bytes, int]) -> None:
    """Pipelined after a good request: the good one is answered first, then this one as the rules say."""
    head, status = case
    head = head.replace(b"PORT", str(served).encode())
    got = responses(await exchange(served, b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n" + head))
    assert [s for s, _, _ in got] == [200, status], head
    assert got[-1][1]["connection"] == "close"


@given(host=_VALID_HOST)
def test_hosts_built_from_the_grammar_are_valid(host: str) -> None:
    assert valid_host(host)


@given(host=_INVALID_HOST)
def test_hosts_with_a_character_outside_the_grammar_are_invalid(host: str) -> None:
    assert not valid_host(host)

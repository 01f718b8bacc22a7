"""Reproductions of the HTTP framing findings against a real ``tokensmith serve`` (2 workers, 127.0.0.1).

Each test sends the raw bytes an attacker sent and checks the answer RFC 9112 asks for: a ``Host``
that is missing, doubled or not an authority is a 400 (and never reaches the discovery document);
a good request pipelined before a malformed one is still answered; ``Upgrade: h2c`` is answered
over HTTP/1.1; ``HTTP/2.0`` in the request line is a 505; an absolute-form target for this server
is served; a forged ``Host`` changes nothing the server advertises, on any worker.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.system.server import HOST, Server, server_factory

pytestmark = pytest.mark.system
METADATA = b"/.well-known/oauth-authorization-server"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with server_factory(tmp_path_factory.mktemp("http-edge")) as start:
        yield start(workers=2)


def send(server: Server, raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes on a new connection, close our side, read every answer until the server closes."""
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(raw.replace(b"PORT", str(server.port).encode()))
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        answers.append((int(lines[0].split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


def metadata_request(host_lines: bytes, version: bytes = b"1.1") -> bytes:
    return b"GET " + METADATA + b" HTTP/" + version + b"\r\n" + host_lines + b"Connection: close\r\n\r\n"


def test_two_host_headers_are_a_400(server: Server) -> None:
    answers = send(server, metadata_request(b"Host: a.example\r\nHost: evil.example\r\n"))
    assert [a[0] for a in answers] == [400]
    assert json.loads(answers[0][2])["error"] == "invalid_request"


def test_http11_without_host_is_a_400_but_http10_is_served(server: Server) -> None:
    assert [a[0] for a in send(server, metadata_request(b""))] == [400]
    answers = send(server, metadata_request(b"", b"1.0"))
    assert [a[0] for a in answers] == [200] and "issuer" in json.loads(answers[0][2])


@pytest.mark.parametrize("host", [b'"><script>', b"a.example, evil.example/x?"])
def test_a_host_that_is_not_an_authority_is_a_400_and_never_reflected(server: Server, host: bytes) -> None:
    answers = send(server, metadata_request(b"Host: " + host + b"\r\n"))
    assert [a[0] for a in answers] == [400]
    assert host not in answers[0][2] and b"<script" not in answers[0][2]
    good = send(server, metadata_request(b"Host: 127.0.0.1:PORT\r\n"))
    assert b"script" not in good[0][2] and b"evil" not in good[0][2]


def test_a_good_request_pipelined_before_a_malformed_one_is_answered(server: Server) -> None:
    raw = b"GET /pf/heartbeat.ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nTHIS IS NOT HTTP\r\n\r\n"
    answers = send(server, raw)
    assert [a[0] for a in answers] == [200, 400]
    assert answers[0][2] == b"OK" and answers[1][1]["connection"] == "close"


def test_an_h2c_upgrade_is_answered_over_http11(server: Server) -> None:
    raw = (b"GET /pf/heartbeat.ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
           b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
           b"GET /pf/heartbeat.ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answers = send(server, raw)
    assert [(a[0], a[2]) for a in answers] == [(200, b"OK"), (200, b"OK")]


@pytest.mark.parametrize("version", [b"2.0", b"3.0"])
def test_http2_in_the_request_line_is_a_505(server: Server, version: bytes) -> None:
    answers = send(server, metadata_request(b"Host: 127.0.0.1\r\n", version))
    assert [a[0] for a in answers] == [505]


def test_an_absolute_form_target_for_this_server_is_served(server: Server) -> None:
    raw = b"GET http://127.0.0.1:PORT/.well-known/oauth-authorization-server HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n" \
          b"Connection: close\r\n\r\n"
    answers = send(server, raw)
    assert answers[0][0] == 200 and json.loads(answers[0][2])["token_endpoint"].endswith("/as/token.oauth2")
    foreign = send(server, b"GET http://evil.example/pf/heartbeat.ping HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    assert [a[0] for a in foreign] == [421]


def refusals(server: Server, status: str) -> float:
    text = httpx.get(f"{server.scheme}://{HOST}:{server.admin_port}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("tokensmith_http_refusals_total{") and f'status="{status}"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no refusal series for {status}:\n{text}")


def test_refusals_are_counted_for_the_whole_node(server: Server) -> None:
    before = refusals(server, "505"), refusals(server, "421")
    for _ in range(4):  # new connections, so both workers see some
        send(server, metadata_request(b"Host: 127.0.0.1\r\n", b"2.0"))
    send(server, b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    assert (refusals(server, "505"), refusals(server, "421")) == (before[0] + 4, before[1] + 1)


def issuers(server: Server, host: bytes, rounds: int = 6) -> set[str]:
    """The issuer of both discovery documents over several new connections (so on every worker)."""
    seen = set()
    for _ in range(rounds):
        for path in (METADATA, b"/.well-known/openid-configuration"):
            raw = b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
            (status, _, body), = send(server, raw)
            assert status == 200
            doc = json.loads(body)
            assert {doc["token_endpoint"], doc["jwks_uri"]} == {doc["issuer"] + "/as/token.oauth2",
                                                                 doc["issuer"] + "/pf/JWKS"}
            seen.add(doc["issuer"])
    return seen


def test_a_forged_host_does_not_change_the_advertised_issuer(server: Server) -> None:
    assert issuers(server, b"evil.example") == {server.runtime_url}
    assert issuers(server, b"127.0.0.1:PORT") == {server.runtime_url}


def test_the_issuer_follows_the_server_settings_base_url_on_every_worker(server: Server) -> None:
    with server.admin() as admin:
        put = admin.put("/serverSettings", json={"federationInfo": {"baseUrl": "https://sts.example.com"}})
        assert put.status_code == 200, put.text
        try:
            assert issuers(server, b"evil.example") == {"https://sts.example.com"}
            bad = admin.put("/serverSettings", json={"federationInfo": {"baseUrl": 'https://"><script>'}})
            assert bad.status_code == 422
        finally:
            assert admin.put("/serverSettings", json={"federationInfo": {}}).status_code == 200
    assert issuers(server, b"evil.example") == {server.runtime_url}

"""Even shares of runtime connections across workers (runtime/balance.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.test_http11 import echo, exchange, listening_socket, responses
from tokensmith.runtime.balance import ConnectionBalance
from tokensmith.runtime.listener import RuntimeServer


def test_a_worker_above_its_fair_share_sheds_until_even(tmp_path: Path) -> None:
    a, b = (ConnectionBalance(tmp_path / "workers.bin", i, 2) for i in range(2))
    for _ in range(20):
        a.opened()
    for _ in range(12):
        b.opened()
    assert (a.counts(), b.counts()) == ([20, 12], [20, 12])
    shed = 0
    while a.should_shed():  # fair share 16, one connection of slack
        shed += 1
    assert shed == 3 and not b.should_shed()
    for _ in range(shed):  # the clients reconnect; say all land on the other worker
        a.closed(was_shed=True)
        b.opened()
    assert a.counts() == [17, 15] and not a.should_shed() and not b.should_shed()
    a.close()
    assert b.counts() == [0, 15]


def test_a_single_worker_never_sheds(tmp_path: Path) -> None:
    only = ConnectionBalance(tmp_path / "workers.bin", 0, 1)
    for _ in range(50):
        only.opened()
    assert not only.should_shed()


async def test_the_listener_closes_a_connection_the_balance_sheds(tmp_path: Path) -> None:
    other = ConnectionBalance(tmp_path / "workers.bin", 1, 2)  # another worker holding nothing
    mine = ConnectionBalance(tmp_path / "workers.bin", 0, 2)
    sock = listening_socket()
    server = RuntimeServer(echo, balance=mine)
    await server.start(sock)
    port = int(sock.getsockname()[1])
    try:
        readers = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
        await asyncio.sleep(0.05)
        assert mine.counts() == [4, 0]
        reader, writer = readers[0]
        writer.write(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(-1), 5)  # answered, then closed by the server
        assert responses(raw)[0][1]["connection"] == "close"
        await asyncio.sleep(0.05)
        assert mine.counts() == [3, 0] and mine.shedding == 0
        for _, w in readers:
            w.close()
        got = responses(await exchange(port, b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        assert got[0][0] == 200
    finally:
        await server.stop(grace=1.0)
        mine.close()
        other.close()

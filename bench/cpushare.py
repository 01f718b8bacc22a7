"""CPU share of the RSA signature in the RSA-bound scenarios, measured in process.

``bench/run.py`` reports each RSA-bound scenario's rate as a share of the machine's RSA-2048 limit.
That figure is wall-clock: on a machine shared with other work it moves with how the CPU happened to
be divided between the server, wrk, ``openssl speed`` and everything else. What it measures, though,
is simple: if one response costs the CPU of one signature plus everything else, a server doing only
that work reaches ``signature / response`` of the signing limit. This script measures exactly that
ratio, in one process, with CPU time (``time.thread_time``), which other processes do not inflate:

1. It starts a node on a temporary data directory, serves its admin API on a free 127.0.0.1 port
   (uvicorn, in process) and configures it with the benchmark's own set-up code (``admin.py``,
   ``sts.py``): the ``jwtrs256`` manager, the JWT-in and UsernameToken-in STS.
2. For each scenario it builds the very request wrk sends, and times, in alternating blocks,
   ``--requests`` responses and the same number of raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures
   with ``cryptography`` (the library the server signs with) in the same thread:

   * ``endpoint``: the runtime's dispatch (routing and the endpoint core) of a parsed request;
   * ``listener``: the raw HTTP/1.1 bytes through the runtime listener's connection protocol
     (:mod:`tokensmith.runtime.http11`: parsing, framing checks, the task per request, writing the
     response) into an in-memory transport, i.e. everything a worker does except the kernel's
     loopback TCP.

3. It prints, per scenario, the CPU µs per response and per signature and the share
   ``signature / response`` (the median over the blocks): the ceiling the scenario's ``% RSA``
   can reach on an otherwise idle machine, before loopback TCP and wrk take their part.

Run: ``.venv/bin/python bench/cpushare.py`` (``--requests 500 --rounds 5`` by default; ``--profile
sts`` prints the top functions of that scenario's listener path from cProfile instead).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from admin import CLIENT_AUTHORIZATION, TOKEN_PATH, atm_id, configure, configure_jwt
from sts import STS_PATH, configure_sts, configure_sts_username
from tokensmith.datadir import initialise
from tokensmith.httpmsg import Request, Response
from tokensmith.node import Node
from tokensmith.runtime.http11 import Connection
from tokensmith.runtime.listener import RuntimeServer
from tokensmith.server import build_app
from tokensmith.settings import Settings

SCENARIOS = ("jwt-rs256", "sts", "sts-username")
ADMIN_USER = "administrator"
SLICE = 20  # responses (and signatures) timed in a row
Call = Callable[[], Awaitable[bytes]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Transport:
    """An in-memory transport for one listener connection: what is written completes a future."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.done: asyncio.Future[bytes] = loop.create_future()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 9031)}.get(name, default)

    def write(self, data: bytes) -> None:
        if not self.done.done():
            self.done.set_result(data)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _raw(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:9031\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


def _calls(dispatch: Callable[[Request], Awaitable[Response]], server: RuntimeServer, path: str,
           headers: dict[str, str], body: bytes) -> tuple[Call, Call]:
    """(endpoint, listener) calls answering the request once; each returns the response bytes."""
    lower = {k.lower(): v for k, v in headers.items()}

    async def endpoint() -> bytes:
        response = await dispatch(Request("POST", path, dict(lower), body, "127.0.0.1", ""))
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {response.body[:300]!r}")
        return response.body

    raw = _raw("POST", path, headers, body)
    loop = asyncio.get_running_loop()
    connection = Connection(server)
    transport = _Transport(loop)
    connection.connection_made(transport)  # type: ignore[arg-type]

    async def listener() -> bytes:
        transport.done = loop.create_future()
        connection.data_received(raw)
        out = await transport.done
        if not out.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"{path}: {out[:300]!r}")
        return out

    return endpoint, listener


async def _time_calls(call: Call, count: int) -> float:
    started = time.thread_time()
    for _ in range(count):
        await call()
    return (time.thread_time() - started) / count


def _time_signatures(key: rsa.RSAPrivateKey, count: int) -> float:
    message = secrets.token_bytes(64)
    started = time.thread_time()
    for _ in range(count):
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return (time.thread_time() - started) / count


async def _share(call: Call, key: rsa.RSAPrivateKey, requests: int, rounds: int) -> dict[str, float]:
    """Per round, ``requests`` responses and as many signatures in alternating slices of ``SLICE``, so
    that both see the same share of a busy machine. The median round is one figure; the other takes
    the fastest slice of each (other work on the machine only ever adds time to a slice)."""
    for _ in range(max(20, requests // 10)):  # warm-up: caches filled, code paths taken once
        await call()
    slices = max(1, requests // SLICE)
    per_request, per_signature, shares = [], [], []
    best_request = best_signature = float("inf")
    for _ in range(rounds):
        answer = sign = 0.0
        for _ in range(slices):
            one_sign = _time_signatures(key, SLICE)
            one_answer = await _time_calls(call, SLICE)
            sign += one_sign
            answer += one_answer
            best_signature = min(best_signature, one_sign)
            best_request = min(best_request, one_answer)
        per_request.append(answer / slices)
        per_signature.append(sign / slices)
        shares.append(sign / answer)
    return {"request_us": 1e6 * statistics.median(per_request), "signature_us": 1e6 * statistics.median(per_signature),
            "share_pct": 100.0 * statistics.median(shares), "low_pct": 100.0 * min(shares),
            "high_pct": 100.0 * max(shares), "best_request_us": 1e6 * best_request,
            "best_signature_us": 1e6 * best_signature, "best_pct": 100.0 * best_signature / best_request}


async def _profile(call: Call, requests: int, top: int, args_sort: str = "tottime") -> str:
    for _ in range(50):
        await call()
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(requests):
        await call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args_sort).print_stats(top)
    return out.getvalue()


async def _serve_admin(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", access_log=False))
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    return server, task


async def _ready(call: Call, seconds: float = 15.0) -> None:
    """Wait until the worker's configuration snapshot has the bench set-up (it reloads within 1 s)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            await call()
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="tokensmith-cpushare-") as tmp:
        work = Path(tmp)
        password = secrets.token_urlsafe(18)
        admin_port = _free_port()
        settings = Settings(data_dir=work / "data", port=_free_port(), admin_port=admin_port, log_level="warning")
        initialise(settings, admin_password=password)
        node = Node(settings)
        app = build_app(node, settings)
        await node.start()
        admin, admin_task = await _serve_admin(app.admin, admin_port)
        try:
            admin_url = f"http://127.0.0.1:{admin_port}"
            await asyncio.to_thread(configure, admin_url, ADMIN_USER, password, True)
            await asyncio.to_thread(configure_jwt, admin_url, ADMIN_USER, password, ["jwt-rs256"])
            sts_body = await asyncio.to_thread(configure_sts, admin_url, ADMIN_USER, password, work)
            user_body = await asyncio.to_thread(configure_sts_username, admin_url, ADMIN_USER, password, work)
        finally:
            admin.should_exit = True
            await admin_task
        listener = RuntimeServer(app.runtime.dispatch, base_url=node.base_url)
        listener._loop = asyncio.get_running_loop()  # not started: no socket, no sweeper
        xml = {"Content-Type": "text/xml; charset=utf-8"}
        form = {"Authorization": CLIENT_AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded"}
        requests = {
            "jwt-rs256": (TOKEN_PATH, form, f"grant_type=client_credentials&scope=read&access_token_manager_id="
                                            f"{atm_id('jwt-rs256')}".encode()),
            "sts": (STS_PATH, xml, sts_body.read_bytes()),
            "sts-username": (STS_PATH, xml, user_body.read_bytes()),
        }
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        chosen = [s for s in SCENARIOS if s in args.scenarios.split(",")]
        try:
            if args.profile:
                _, call = _calls(app.runtime.dispatch, listener, *requests[args.profile])
                await _ready(call)
                print(await _profile(call, args.requests, args.top, args.sort))
                return 0
            print(f"{'scenario':<13} {'path':<9} {'µs/response':>12} {'µs/signature':>13} {'signature share':>16} "
                  f"{'rounds':>13} | {'fastest: µs/resp':>16} {'µs/sig':>7} {'share':>6}")
            for name in chosen:
                endpoint, through_listener = _calls(app.runtime.dispatch, listener, *requests[name])
                await _ready(endpoint)
                for label, call in (("endpoint", endpoint), ("listener", through_listener)):
                    r = await _share(call, key, args.requests, args.rounds)
                    print(f"{name:<13} {label:<9} {r['request_us']:>12,.0f} {r['signature_us']:>13,.0f} "
                          f"{r['share_pct']:>15.1f}% {r['low_pct']:>6.1f}-{r['high_pct']:.1f}% | "
                          f"{r['best_request_us']:>16,.0f} {r['best_signature_us']:>7,.0f} {r['best_pct']:>5.1f}%",
                          flush=True)
        finally:
            await node.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500, help="responses (and signatures) per block")
    parser.add_argument("--rounds", type=int, default=5, help="alternating blocks; the median is printed")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    parser.add_argument("--profile", choices=SCENARIOS, help="print cProfile's top functions of one scenario")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative", "ncalls"),
                        help="--profile order")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENSMITH_LOG_LEVEL", "warning")
    import uvloop

    return uvloop.run(run(args))


if __name__ == "__main__":
    sys.exit(main())

"""``GET /metrics`` on the admin listener: the node's counters in the Prometheus text format.

It answers without credentials so a scraper needs no administrator password; it reveals counts
only (no configuration, no token data) and sits on the admin port, which belongs on a private
network. Any other method gets 405.
"""

from __future__ import annotations

from typing import Any

from tokensmith.node import Node

PATH = "/metrics"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class MetricsEndpoint:
    def __init__(self, app: Any, node: Node) -> None:
        self.app = app
        self.node = node

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, b"Only GET is allowed\n", [(b"allow", b"GET, HEAD")])
            return
        settings = self.node.settings
        body = self.node.metrics.render((("node_id", settings.node_id), ("region", settings.region)))
        await _send(send, 200, b"" if scope["method"] == "HEAD" else body, [], len(body))


async def _send(send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]],
                length: int | None = None) -> None:
    headers = [(b"content-type", CONTENT_TYPE if status == 200 else b"text/plain"),
               (b"content-length", str(len(body) if length is None else length).encode()),
               (b"cache-control", b"no-store"), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

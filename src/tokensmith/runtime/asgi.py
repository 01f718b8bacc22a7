"""The runtime endpoints' routing, as a plain ASGI application and as a dispatch function.

:meth:`RuntimeApp.dispatch` maps a :class:`tokensmith.httpmsg.Request` to its protocol core.
In a running server the HTTP/1.1 listener (:mod:`tokensmith.runtime.http11`) calls it directly;
the ASGI entry point serves in-process tests and any ASGI host, with the same behaviour.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from tokensmith.httpmsg import JSON_HEADERS, Request, Response
from tokensmith.node import Node
from tokensmith.oauth import cors
from tokensmith.oauth.authorize import authorization_endpoint
from tokensmith.oauth.device import device_authorization_endpoint
from tokensmith.oauth.grant_management import PREFIX as GRANTS_PREFIX
from tokensmith.oauth.grant_management import grant_management_endpoint
from tokensmith.oauth.introspect import introspection_endpoint
from tokensmith.oauth.jwks import Publisher
from tokensmith.oauth.metadata import metadata_endpoint
from tokensmith.oauth.par import par_endpoint
from tokensmith.oauth.revoke import revocation_endpoint
from tokensmith.oauth.token import token_endpoint
from tokensmith.oauth.user_authz import user_authorization_endpoint
from tokensmith.oauth.user_grants import PATHS as GRANT_PAGE_PATHS
from tokensmith.oauth.user_grants import user_grants_endpoint
from tokensmith.sts.endpoint import sts_endpoint
from tokensmith.sts.mex import mex_endpoint

MAX_BODY = 64 * 1024
# The endpoints browser applications may call from the origins in allowedOrigins (oauth/cors.py),
# with the methods a preflight may ask for; the last two also for responses without an Origin
# (Vary: Origin), because caches may keep them.
CORS_METHODS: dict[str, tuple[str, ...]] = {
    "/as/token.oauth2": ("POST",), "/as/revoke_token.oauth2": ("POST",),
    "/pf/JWKS": ("GET",), "/.well-known/openid-configuration": ("GET",),
    "/.well-known/oauth-authorization-server": ("GET",),
}
CORS_CACHEABLE = frozenset({"/pf/JWKS", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"})
GRANTS_API = GRANTS_PREFIX + "grants"  # the runtime API, /grants and /grants/<id>
log = logging.getLogger("tokensmith.runtime")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, error: str, description: str) -> Response:
    return Response(status, orjson.dumps({"error": error, "error_description": description}),
                    list(JSON_HEADERS))


class RuntimeApp:
    def __init__(self, node: Node, worker_label: str = "") -> None:
        self.node = node
        rt = node.runtime
        self.worker_label = worker_label.encode()

        async def metadata(request: Request) -> Response:
            return metadata_endpoint(node.snapshot(), node.base_url())

        async def heartbeat(request: Request) -> Response:
            headers = [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")]
            if self.worker_label:
                headers.append((b"x-tokensmith-worker", self.worker_label))
            return Response(200, b"OK", headers)

        async def token(request: Request) -> Response:
            return await token_endpoint(rt, request)

        async def authorize(request: Request) -> Response:
            return await authorization_endpoint(rt, request, node.base_url())

        async def device_authz(request: Request) -> Response:
            return await device_authorization_endpoint(rt, request, node.base_url())

        async def user_authz(request: Request) -> Response:
            return await user_authorization_endpoint(rt, request, node.base_url())
        async def user_grants(request: Request) -> Response:
            return await user_grants_endpoint(rt, request, node.base_url())

        async def par(request: Request) -> Response:
            return await par_endpoint(rt, request)

        async def introspect(request: Request) -> Response:
            return await introspection_endpoint(rt, request)

        async def revoke(request: Request) -> Response:
            return await revocation_endpoint(rt, request)

        async def mex(request: Request) -> Response:
            return mex_endpoint(node.snapshot().sts, node.base_url(), request)

        async def grant_management(request: Request) -> Response:
            return await grant_management_endpoint(rt, request)

        self.grant_management: Handler = grant_management  # everything under /pf-ws/rest/oauth/
        self.publisher = Publisher(rt)  # /pf/JWKS and everything under /ext/

        def sts(role: str) -> Handler:
            async def handler(request: Request) -> Response:
                return await sts_endpoint(rt, request, role)

            return handler

        self.routes: dict[str, Handler] = {
            "/as/token.oauth2": token,
            "/as/authorization.oauth2": authorize,
            "/as/device_authz.oauth2": device_authz,
            "/as/user_authz.oauth2": user_authz,
            "/as/par.oauth2": par,
            "/as/introspect.oauth2": introspect,
            "/as/revoke_token.oauth2": revoke,
            "/.well-known/oauth-authorization-server": metadata,
            "/.well-known/openid-configuration": metadata,
            "/pf/heartbeat.ping": heartbeat,
            "/pf/JWKS": self.publisher.pf_jwks,
            "/pf/sts.wst": sts("pf"),
            "/idp/sts.wst": sts("idp"),
            "/sp/sts.wst": sts("sp"),
            "/pf/sts_mex.ping": mex,
            **{path: user_grants for path in GRANT_PAGE_PATHS},
        }

    def _handler(self, path: str) -> Handler | None:
        handler = self.routes.get(path)
        if handler is None and path.startswith("/ext/"):
            handler = self.publisher.ext
        if handler is None and path.startswith(GRANTS_PREFIX):
            handler = self.grant_management
        return handler

    async def dispatch(self, request: Request) -> Response:
        """Answer one request; the same entry point for the ASGI app and the HTTP/1.1 listener."""
        path = request.path
        handler = self._handler(path)
        if handler is None:
            return _error(404, "not_found", "No such endpoint")
        origins = None  # set for an endpoint open to browser applications of other origins
        if "origin" in request.headers or path in CORS_CACHEABLE:  # every other request skips this
            methods = CORS_METHODS.get(path) or (
                ("GET", "DELETE") if path == GRANTS_API or path.startswith(GRANTS_API + "/") else None)
            if methods is not None and (allowed := self.node.snapshot().cors).enabled:
                answer = cors.preflight(request, allowed, methods)
                if answer is not None:
                    return answer
                origins = allowed
        try:
            response = await handler(request)
        except Exception:  # never a bare 500 page: log it and answer in OAuth's format
            log.exception("unhandled error on %s", request.path)
            response = _error(500, "server_error", "The server could not complete the request")
        return response if origins is None else cors.decorate(request, response, origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self._handler(scope["path"]) is None:
            await self._send(send, _error(404, "not_found", "No such endpoint"))
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await self._send(send, _error(413, "invalid_request", "The request body is too large"))
                return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        request = Request(scope["method"], scope["path"], headers, body, client[0] if client else "",
                          scope.get("query_string", b"").decode("latin-1"))
        await self._send(send, await self.dispatch(request))

    @staticmethod
    async def _send(send: Send, response: Response) -> None:
        await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.node.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.node.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


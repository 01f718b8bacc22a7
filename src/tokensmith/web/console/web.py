"""The console's HTTP glue: routing, sign-in checks, CSRF checks, templates, security headers.

Page modules (:mod:`tokensmith.web.console.pages`) register handlers with :meth:`Console.page`.
A handler receives a :class:`Page` (the request, the signed-in session, the posted form once its
CSRF token has been checked) and returns a response. Resource changes go through the same
services as the admin API, run in a worker thread (:meth:`Page.change`) so that slow work never
stalls the event loop.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from tokensmith import __version__
from tokensmith.admin.context import AdminContext
from tokensmith.admin.security import bounded_receive
from tokensmith.config.model import ConfigModel
from tokensmith.errors import AdminApiError, NotFound
from tokensmith.web.console.sessions import Session, SessionStore
from tokensmith.web.routing import Deps

PREFIX = "/console"
COOKIE = "tokensmith_console"
LOGIN_COOKIE = "tokensmith_console_login"
CSRF_FIELD = "csrf_token"
MAX_BODY = 2 * 1024 * 1024
HERE = Path(__file__).parent
T = TypeVar("T")
log = logging.getLogger("tokensmith.console")

# Navigation sections (\u203a is a single right-pointing angle quotation mark).
OAUTH = "Applications \u203a OAuth"
TOKEN_EXCHANGE = "Applications \u203a Token Exchange"
AUTHENTICATION = "Authentication"
SECURITY = "Security"
SYSTEM = "System"
SECTION_ORDER = (OAUTH, TOKEN_EXCHANGE, AUTHENTICATION, SECURITY, SYSTEM)

SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


@dataclass(frozen=True)
class NavItem:
    section: str
    title: str
    path: str


class FormInput:
    """A posted form: text values by name (a name may repeat) and uploaded files' bytes."""

    def __init__(self, values: dict[str, list[str]], files: dict[str, bytes] | None = None) -> None:
        self.values = values
        self.files = files or {}

    @classmethod
    async def read(cls, form: FormData) -> FormInput:
        values: dict[str, list[str]] = {}
        files: dict[str, bytes] = {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if data:
                    files[name] = data
            else:
                values.setdefault(name, []).append(value)
        return cls(values, files)

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def has(self, name: str) -> bool:
        return name in self.values

    def names(self) -> list[str]:
        return list(self.values)

    def file(self, name: str) -> bytes | None:
        return self.files.get(name)

    @property
    def action(self) -> str:
        return self.get("_action")


@dataclass
class Page:
    """One request to a console page."""

    console: Console
    request: Request
    session: Session | None
    form: FormInput | None = None
    flashes: list[dict[str, str]] = field(default_factory=list)

    @property
    def deps(self) -> Deps:
        return self.console.deps

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def admin_context(self) -> AdminContext:
        return self.deps.ctx(self.request)

    async def read(self, fn: Callable[[ConfigModel], T]) -> T:
        return await run_in_threadpool(self.deps.read, fn)

    async def change(self, fn: Callable[[ConfigModel], T]) -> T:
        return await run_in_threadpool(self.deps.change, fn)

    async def call(self, fn: Callable[[], T]) -> T:
        return await run_in_threadpool(fn)

    async def flash(self, kind: str, text: str) -> None:
        if self.session is not None:
            await run_in_threadpool(self.console.sessions.flash, self.session, kind, text)

    async def redirect(self, path: str, flash: str | None = None, kind: str = "success",
                       **params: str) -> Response:
        if flash:
            await self.flash(kind, flash)
        return RedirectResponse(self.console.url(path, **params), status_code=303)

    async def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        if self.session is not None and not self.flashes:
            self.flashes = await run_in_threadpool(self.console.sessions.take_flash, self.session)
        html = self.console.templates.get_template(template).render(
            page=self, nav=self.console.nav_sections(), url=self.console.url, user=self.session.username
            if self.session else None, csrf=self.session.csrf if self.session else "", flashes=self.flashes,
            version=__version__, current=self.request.url.path, **values)
        return HTMLResponse(html, status_code=status)


Handler = Callable[[Page], Awaitable[Response]]


class Console:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.sessions = SessionStore(deps.node.store, deps.node.clock)
        self.throttle = deps.node.throttle  # shared with the admin API's sign-ins
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True),
                                     undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.templates.globals["field_id"] = field_id
        self.templates.globals["field_label"] = field_label
        self.templates.globals["qs"] = lambda **kw: urlencode({k: v for k, v in kw.items() if v is not None})
        self.nav: list[NavItem] = []
        self.counters: dict[str, Callable[[ConfigModel], int]] = {}  # nav path -> how many items
        self.routes: list[Route] = []
        self._static = {name: (HERE / "static" / name).read_bytes() for name in STATIC_TYPES}

    # ----------------------------------------------------------------- registration

    def url(self, path: str, **params: str) -> str:
        full = PREFIX + path
        return f"{full}?{urlencode(params)}" if params else full

    def add_nav(self, section: str, title: str, path: str) -> None:
        self.nav.append(NavItem(section, title, path))

    def nav_sections(self) -> list[tuple[str, list[NavItem]]]:
        sections: dict[str, list[NavItem]] = {}
        for item in self.nav:
            sections.setdefault(item.section, []).append(item)
        rank = {name: i for i, name in enumerate(SECTION_ORDER)}
        return sorted(sections.items(), key=lambda s: rank.get(s[0], len(rank)))

    def page(self, path: str, methods: Iterable[str] = ("GET",), public: bool = False
             ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                return await self._handle(request, handler, public)

            self.routes.append(Route(PREFIX + path, endpoint, methods=list(methods)))
            return handler

        return decorate

    # ----------------------------------------------------------------- requests

    async def _handle(self, request: Request, handler: Handler, public: bool) -> Response:
        session = None
        cookie = request.cookies.get(COOKIE, "")
        if cookie:
            session = await run_in_threadpool(self.sessions.get, cookie)
        page = Page(self, request, session)
        if session is None and not public:
            if request.method == "GET":
                return RedirectResponse(self.url("/login", next=request.url.path + (
                    "?" + request.url.query if request.url.query else "")), status_code=303)
            return await self.refuse(page, 401, "Your session has ended. Sign in again, then repeat the change.")
        if request.method == "POST":
            if not self.same_origin(request):
                return await self.refuse(page, 403, "The form was sent from another site and was refused.")
            try:
                page.form = await FormInput.read(await request.form(max_files=4, max_fields=4000))
            except ClientDisconnect:
                return Response("The request is too large.", status_code=413, media_type="text/plain")
            except HTTPException as exc:  # a malformed form body
                return await self.refuse(page, 400, f"The form could not be read: {exc.detail}")
            except MultiPartException as exc:
                return await self.refuse(page, 400, f"The form could not be read: {exc.message}")
            # The sign-in form (public) carries its own token instead; every other form the session's.
            if session is not None and not public and not session.csrf_ok(page.form.get(CSRF_FIELD)):
                return await self.refuse(page, 403, "The form has expired or did not come from this console. "
                                                    "Reload the page and try again.")
        try:
            return await handler(page)
        except NotFound as exc:
            return await self.refuse(page, 404, exc.message)
        except AdminApiError as exc:  # a service refused outside a form: show its reasons
            reasons = [e.message for e in exc.errors]
            return await self.refuse(page, exc.status_code, exc.message, reasons)

    async def refuse(self, page: Page, status: int, message: str, reasons: list[str] | None = None) -> Response:
        return await page.render("error.html", status=status, message=message, reasons=reasons or [])

    @staticmethod
    def same_origin(request: Request) -> bool:
        """Browsers send Origin on POST; when present it must be this console's own origin."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        expected = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        return secrets.compare_digest(origin.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))

    # ----------------------------------------------------------------- cookies

    @staticmethod
    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def set_session_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(COOKIE, value, path=PREFIX, httponly=True, samesite="strict",
                            secure=self.secure(request))

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=self.secure(request))

    # ----------------------------------------------------------------- ASGI

    def asgi(self) -> Callable[[dict[str, Any], Any, Any], Awaitable[None]]:
        router = Router(routes=[*self.routes, Route(PREFIX + "/static/{name}", self._serve_static),
                                Route(PREFIX, self._to_home)])

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length", b"0")
            if not length.isdigit() or int(length) > MAX_BODY:
                await _plain(send, 413, b"The request is too large.")
                return

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                    if b"cache-control" not in present:
                        extra.append((b"cache-control", b"no-store"))
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            try:
                await router(scope, bounded_receive(receive, MAX_BODY), send_with_headers)  # type: ignore[arg-type]
            except HTTPException:
                raise
            except Exception:
                log.exception("console request failed: %s %s", scope.get("method"), scope.get("path"))
                await _plain(send_with_headers, 500, b"The console could not complete the request.")

        return app

    async def _serve_static(self, request: Request) -> Response:
        data = self._static.get(request.path_params["name"])
        if data is None:
            return Response("Not found.", status_code=404, media_type="text/plain")
        return Response(data, media_type=STATIC_TYPES[request.path_params["name"]],
                        headers={"cache-control": "public, max-age=3600"})

    def favicon(self) -> bytes:
        return self._static["favicon.svg"]

    async def _to_home(self, request: Request) -> Response:
        return RedirectResponse(PREFIX + "/", status_code=307)


async def _plain(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def field_id(name: str) -> str:
    """A safe HTML id for an input named after a field path."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group(0)):x}_", name)


_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[([^\]]*)\]")


def field_label(path: str) -> str:
    """A reader's name for a field path in the error banner: ``configuration.fields[Token Length]`` is
    "Token Length", ``configuration.tables[Users].rows[0].fields[Password]`` is "Users, row 1: Password",
    and a plain path such as ``clientAuth.secret`` stays as it is."""
    parts: list[str] = []
    table: str | None = None
    row: int | None = None
    name: str
    bracket: str
    for name, bracket in _PATH_PART.findall(path):
        if name in ("configuration", "fields", "tables", "rows"):
            parts.append(name)
            continue
        if parts and parts[-1] == "tables":
            table = bracket
        elif parts and parts[-1] == "rows" and bracket.isdigit():
            row = int(bracket) + 1
        elif parts and parts[-1] == "fields":
            where = f"{table}, row {row}: " if table and row else (f"{table}: " if table else "")
            return where + bracket
        parts.append(bracket or name)
    if table is not None:
        return table + (f", row {row}" if row else "")
    return path


STATIC_TYPES = {"console.css": "text/css", "favicon.svg": "image/svg+xml"}
SAFE_NEXT = re.compile(r"^/console/[^/\\][^\\]*$|^/console/$")


def safe_next(value: str) -> str:
    """Where to go after sign-in: only a console path (never another site)."""
    return value if SAFE_NEXT.match(value) and "//" not in value else PREFIX + "/"

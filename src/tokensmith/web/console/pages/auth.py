"""Sign in, sign out and the overview page."""

from __future__ import annotations

import secrets
from functools import cache

from starlette.responses import RedirectResponse, Response

from tokensmith.config.model import ConfigModel
from tokensmith.crypto.passwords import hash_password, verify_password
from tokensmith.state.throttle import Throttled
from tokensmith.web.console.web import COOKIE, LOGIN_COOKIE, PREFIX, Console, Page, safe_next

MAX_USERNAME = 255
MAX_PASSWORD = 4096
LOGIN_TOKEN_AGE = 3600


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def register(console: Console) -> None:
    store = console.deps.node.store

    def check_password(username: str, password: str) -> bool:
        stored = store.admin_password_hash(username) if len(username) <= MAX_USERNAME else None
        # An unknown user costs the same hash as a known one, so timing does not tell who exists.
        ok = verify_password(stored or _dummy_hash(), password[:MAX_PASSWORD])
        return ok and stored is not None

    async def login_page(page: Page, status: int = 200, error: str = "", username: str = "",
                         next_path: str = "", notice: str = "", headers: dict[str, str] | None = None) -> Response:
        token = secrets.token_urlsafe(32)
        response = await page.render("login.html", status=status, error=error, username=username,
                                     next=safe_next(next_path), login_token=token, notice=notice)
        response.set_cookie(LOGIN_COOKIE, token, max_age=LOGIN_TOKEN_AGE, path=PREFIX, httponly=True,
                            samesite="strict", secure=console.secure(page.request))
        response.headers.update(headers or {})
        return response

    @console.page("/login", ("GET", "POST"), public=True)
    async def login(page: Page) -> Response:
        if page.form is None:
            if page.session is not None:
                return RedirectResponse(safe_next(page.query("next")), status_code=303)
            notice = "You have signed out." if page.query("bye") else ""
            return await login_page(page, next_path=page.query("next"), notice=notice)
        form = page.form
        username, password, next_path = form.get("username").strip(), form.get("password"), form.get("next")
        cookie_token = page.request.cookies.get(LOGIN_COOKIE, "")
        if not cookie_token or not secrets.compare_digest(cookie_token.encode(), form.get("login_token").encode()):
            return await login_page(page, 403, "The sign-in form expired or came from another site. Try again.",
                                    username, next_path)
        address = page.request.client.host if page.request.client else "unknown"
        try:  # before the password is looked at: a locked sign-in never confirms a right password
            attempt = await console.throttle.begin("admin", username, address)
        except Throttled as locked:
            seconds = locked.retry_after
            return await login_page(page, 429, f"Too many failed sign-ins. Try again in {seconds} seconds.",
                                    username, next_path, headers={"retry-after": str(seconds)})
        if not username or not await page.call(lambda: check_password(username, password)):
            await attempt.failed()
            return await login_page(page, 401, "The username or password is wrong.", username, next_path)
        await attempt.succeeded()
        session_id, _ = await page.call(lambda: console.sessions.create(username))
        response = RedirectResponse(safe_next(next_path), status_code=303)
        console.set_session_cookie(response, page.request, session_id)
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX, httponly=True, samesite="strict",
                               secure=console.secure(page.request))
        return response

    @console.page("/logout", ("POST",))
    async def logout(page: Page) -> Response:
        await page.call(lambda: console.sessions.end(page.request.cookies.get(COOKIE, "")))
        response = RedirectResponse(console.url("/login", bye="1"), status_code=303)
        console.clear_session_cookie(response, page.request)
        return response

    @console.page("/")
    async def home(page: Page) -> Response:
        def counts(model: ConfigModel) -> dict[str, int | None]:
            return {path: fn(model) for path, fn in console.counters.items()}

        return await page.render("home.html", counts=await page.read(counts))

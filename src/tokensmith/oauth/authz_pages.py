"""The authorization endpoint's HTML: the sign-in and consent pages, the error page shown when the
response cannot be sent back to the client, and the responses themselves (a redirect, or the
auto-submitting form of ``response_mode=form_post``).

Every page is built here from fixed markup with each value passed through :func:`html.escape`, and
goes out with headers that keep it from being framed, cached, sniffed or made to load anything: a
Content Security Policy of ``default-src 'none'`` that allows only its own inline style and script by
a per-response nonce, and forms posting only to this endpoint (plus, for the forms whose answer
redirects to the client, the client's origin: browsers apply ``form-action`` to that redirect too).
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import urlencode, urlsplit

from tokensmith.httpmsg import Response

STYLE = ("body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}"
         "h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]"
         "{width:100%;padding:.5rem;box-sizing:border-box}button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}"
         ".error{color:#a00;border:1px solid #a00;padding:.5rem}ul{padding-left:1.2rem}")


SOURCE = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def origin(uri: str) -> str:
    """The ``scheme://host[:port]`` of an absolute URI as a CSP source expression (``'none'`` for
    anything that is not a plain http(s) origin, so no URI can add a directive to the policy)."""
    parts = urlsplit(uri)
    found = f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2]}"
    return found if SOURCE.match(found) else "'none'"


def _headers(nonce: str, form_action: tuple[str, ...] = ("'self'",), script: bool = False) -> list[tuple[bytes, bytes]]:
    policy = (f"default-src 'none'; style-src 'nonce-{nonce}'; form-action {' '.join(form_action)}; "
              "frame-ancestors 'none'; base-uri 'none'")
    if script:
        policy += f"; script-src 'nonce-{nonce}'"
    return [
        (b"content-type", b"text/html;charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"pragma", b"no-cache"),
        (b"content-security-policy", policy.encode("latin-1")),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


def _page(nonce: str, title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style nonce=\"{nonce}\">{STYLE}</style></head>"
            f"<body>{body}</body></html>").encode()


def error_page(message: str, status: int = 400) -> Response:
    """The answer when the client or its redirect URI cannot be trusted: nothing is sent back to it."""
    nonce = secrets.token_urlsafe(16)
    body = (f"<h1>The sign-in request cannot be completed</h1><p class=\"error\">{html.escape(message)}</p>"
            "<p>Return to the application and try again. If this keeps happening, tell the application's "
            "operator.</p>")
    return Response(status, _page(nonce, "Sign-in error", body), _headers(nonce, ("'none'",)))


def html_page(title: str, body: str, status: int = 200, extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    """A page of this module's kind (escaped by the caller, the same headers and policy) whose forms
    post only to this server; for the other user pages (the grant management page)."""
    nonce = secrets.token_urlsafe(16)
    return Response(status, _page(nonce, title, body), _headers(nonce) + (extra or []))


def hidden(name: str, value: str) -> str:
    return _hidden(name, value)


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'


def signin_page(client_name: str, csrf: str, redirect_origin: str, error: str | None = None, username: str = "",
                status: int = 200, extra: list[tuple[bytes, bytes]] | None = None,
                action: str = "authorization.oauth2") -> Response:
    nonce = secrets.token_urlsafe(16)
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = (f"<h1>Sign in</h1><p>to continue to <strong>{html.escape(client_name)}</strong></p>{notice}"
            f'<form method="post" action="{html.escape(action)}" autocomplete="on">'
            f"{_hidden('pf.csrf', csrf)}{_hidden('pf.action', 'signin')}"
            '<label for="username">Username</label>'
            f'<input type="text" id="username" name="pf.username" value="{html.escape(username)}" '
            'autocomplete="username" required autofocus>'
            '<label for="password">Password</label>'
            '<input type="password" id="password" name="pf.pass" autocomplete="current-password" required>'
            '<button type="submit">Sign in</button></form>')
    headers = _headers(nonce, ("'self'", redirect_origin)) + (extra or [])
    return Response(status, _page(nonce, "Sign in", body), headers)


def consent_page(client_name: str, user: str, scopes: list[str], csrf: str, redirect_origin: str,
                 extra: list[tuple[bytes, bytes]] | None = None, action: str = "authorization.oauth2") -> Response:
    nonce = secrets.token_urlsafe(16)
    listed = ("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in scopes) + "</ul>") if scopes else (
        "<p>No particular permissions: only that you signed in.</p>")
    body = (f"<h1>Allow access?</h1><p><strong>{html.escape(client_name)}</strong> asks to act on behalf of "
            f"<strong>{html.escape(user)}</strong> with these permissions:</p>{listed}"
            f'<form method="post" action="{html.escape(action)}">'
            f"{_hidden('pf.csrf', csrf)}"
            '<button type="submit" name="pf.action" value="allow">Allow</button>'
            '<button type="submit" name="pf.action" value="deny">Deny</button></form>')
    headers = _headers(nonce, ("'self'", redirect_origin)) + (extra or [])
    return Response(200, _page(nonce, "Allow access", body), headers)


def respond(redirect_uri: str, params: dict[str, str], response_mode: str,
            extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    """The authorization response (RFC 6749 §4.1.2): a 302 to the redirect URI with the parameters in
    its query (keeping a query the registered URI has), or an auto-submitting form (form_post)."""
    if response_mode == "form_post":
        return _form_post(redirect_uri, params, extra or [])
    separator = "&" if urlsplit(redirect_uri).query else ("" if redirect_uri.endswith("?") else "?")
    location = redirect_uri + separator + urlencode(params)
    headers = [(b"location", location.encode("utf-8")), (b"cache-control", b"no-store"), (b"pragma", b"no-cache"),
               (b"referrer-policy", b"no-referrer"), (b"content-length", b"0")]
    return Response(302, b"", headers + (extra or []))


def _form_post(redirect_uri: str, params: dict[str, str], extra: list[tuple[bytes, bytes]]) -> Response:
    """OAuth 2.0 Form Post Response Mode: the browser posts the parameters to the redirect URI, run by
    an inline script the CSP allows by its nonce (with a button for browsers without scripts)."""
    nonce = secrets.token_urlsafe(16)
    fields = "".join(_hidden(k, v) for k, v in params.items())
    body = (f'<form method="post" id="response" action="{html.escape(redirect_uri)}">{fields}'
            '<noscript><p>Scripts are off: press the button to continue.</p></noscript>'
            '<button type="submit">Continue</button></form>'
            f'<script nonce="{nonce}">document.getElementById("response").submit();</script>')
    headers = _headers(nonce, (origin(redirect_uri),), script=True) + extra
    return Response(200, _page(nonce, "Continue", body), headers)

"""The device flow's own pages on the user page (``/as/user_authz.oauth2``): the activation code
prompt (empty, or filled in from ``verification_uri_complete`` for the user to confirm) and the page
that ends the flow. The sign-in and consent pages are the authorization endpoint's
(:mod:`tokensmith.oauth.authz_pages`), with the same escaping, CSP and framing rules."""

from __future__ import annotations

import html
import secrets

from tokensmith.httpmsg import Response
from tokensmith.oauth.authz_pages import _headers, _hidden, _page

ACTION = "user_authz.oauth2"


def code_page(csrf: str, entered: str = "", error: str | None = None, status: int = 200,
              extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    """PingFederate's "Connect a device" page: enter the activation code, or confirm the one the link
    carried (a phishing link can carry a code too, so the user compares it with the device's screen)."""
    nonce = secrets.token_urlsafe(16)
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    lead = ("Check that this is the code shown on your device, then continue." if entered and not error
            else "Enter the code shown on your device.")
    body = (f"<h1>Connect a device</h1><p>{lead}</p>{notice}"
            f'<form method="post" action="{ACTION}" autocomplete="off">'
            f"{_hidden('pf.csrf', csrf)}{_hidden('pf.action', 'code')}"
            '<label for="user_code">Activation code</label>'
            f'<input type="text" id="user_code" name="user_code" value="{html.escape(entered)}" '
            'autocapitalize="characters" spellcheck="false" required autofocus>'
            '<button type="submit">Continue</button></form>')
    return Response(status, _page(nonce, "Connect a device", body), _headers(nonce) + (extra or []))


def done_page(client_name: str, approved: bool, extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    nonce = secrets.token_urlsafe(16)
    if approved:
        body = (f"<h1>Device connected</h1><p><strong>{html.escape(client_name)}</strong> is now allowed to act "
                "on your behalf. Return to your device; you may close this window.</p>")
    else:
        body = (f"<h1>Request denied</h1><p><strong>{html.escape(client_name)}</strong> was not given access. "
                "You may close this window.</p>")
    return Response(200, _page(nonce, "Device connected" if approved else "Request denied", body),
                    _headers(nonce, ("'none'",)) + (extra or []))

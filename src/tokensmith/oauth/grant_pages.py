"""The HTML of the users' grant page (:mod:`tokensmith.oauth.user_grants`): the list of a user's
persistent grants with a revoke button for each, and the signed-out page. Every value is escaped and
the pages go out with the authorization pages' headers (:func:`tokensmith.oauth.authz_pages.html_page`)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from tokensmith.httpmsg import Response
from tokensmith.oauth.authz_pages import hidden, html_page
from tokensmith.state.base import GrantRecord


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _row(grant: GrantRecord, client_name: str, csrf: str, action: str) -> str:
    scopes = ", ".join(grant.scope.split()) or "(none: sign-in only)"
    expires = _when(grant.expires_at) if grant.expires_at is not None else "never"
    return (f"<li><strong>{html.escape(client_name)}</strong><br>Permissions: {html.escape(scopes)}<br>"
            f"Allowed on {_when(grant.created_at)}; expires {html.escape(expires)}"
            f'<form method="post" action="{html.escape(action)}">{hidden("pf.csrf", csrf)}'
            f'{hidden("pf.grant", grant.grant_id)}'
            '<button type="submit" name="pf.action" value="revoke">Revoke access</button></form></li>')


def grants_page(user: str, grants: list[tuple[GrantRecord, str]], csrf: str, action: str, notice: str = "",
                extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    """``grants`` pairs each grant with the name of its client, as the user knows it."""
    shown = f'<p role="status">{html.escape(notice)}</p>' if notice else ""
    listed = ("<ul>" + "".join(_row(g, name, csrf, action) for g, name in grants) + "</ul>") if grants else (
        "<p>No application has lasting access on your behalf.</p>")
    body = (f"<h1>Your application access</h1><p>Signed in as <strong>{html.escape(user)}</strong>. These "
            f"applications can act on your behalf until you revoke their access.</p>{shown}{listed}"
            f'<form method="post" action="{html.escape(action)}">{hidden("pf.csrf", csrf)}'
            '<button type="submit" name="pf.action" value="signout">Sign out</button></form>')
    return html_page("Your application access", body, extra=extra)


def signed_out_page(extra: list[tuple[bytes, bytes]] | None = None) -> Response:
    return html_page("Signed out", "<h1>Signed out</h1><p>You can close this page.</p>", extra=extra)

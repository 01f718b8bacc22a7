"""Applications > OAuth > Persistent Grants: find the grants of one user (by ``USER_KEY``) or of one
client, see what each allows and until when, and revoke one (with every token issued under it).

The page reads the token state the runtime uses, so what it shows is what the grant management web
services show (:mod:`tokensmith.oauth.grant_management`); revoking here is the same revocation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from tokensmith.config.model import CLIENT, ConfigModel
from tokensmith.oauth.grants import registry
from tokensmith.state.base import GrantRecord
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.web import OAUTH, Console, Page

PATH = "/oauth/grants"
COLUMNS = ["User key", "Client", "Grant type", "Scopes", "Issued", "Expires", "Grant ID"]
INTRO = ("What users have allowed applications to do on their behalf beyond one access token: the grants behind "
         "refresh tokens. Find them by user key (the USER_KEY the grant was filed under), by client, or both. "
         "Revoking a grant ends its refresh token and every access token issued under it.")
MAX_QUERY = 256  # characters of a user key or client id searched for


def _when(moment: float | None) -> str:
    return "Never" if moment is None else datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _kind(value: str) -> str:
    return registry.label(value) if value else "Not recorded"


def register(console: Console) -> None:
    console.add_nav(OAUTH, "Persistent Grants", PATH)
    url = console.url

    def row(grant: GrantRecord, names: dict[str, str], back: dict[str, str]) -> Row:
        client = names.get(grant.client_id, grant.client_id)
        return Row([Cell(grant.user_key, url(PATH, user=grant.user_key)),
                    Cell(client, url(PATH, client=grant.client_id)),
                    Cell(_kind(grant.grant_type)), Cell(" ".join(grant.scope.split())),
                    Cell(_when(grant.created_at)), Cell(_when(grant.expires_at)), Cell(grant.grant_id, code=True)],
                   [Action("Revoke", url(PATH + "/revoke", id=grant.grant_id, **back), danger=True)])

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        user, client = page.query("user").strip()[:MAX_QUERY], page.query("client").strip()[:MAX_QUERY]
        state, now = page.deps.node.state, page.deps.node.clock.now()
        grants: list[GrantRecord] = []
        if user:
            grants = await state.list_grants(now, user_key=user)
            if client:
                grants = [g for g in grants if g.client_id == client]
        elif client:
            grants = await state.list_grants(now, client_id=client)
        names = await page.read(lambda model: {d["clientId"]: str(d.get("name") or d["clientId"])
                                               for d in model.all(CLIENT)})
        back = {k: v for k, v in (("user", user), ("client", client)) if v}
        listing = Listing("Persistent Grants", COLUMNS, [row(g, names, back) for g in grants], None, INTRO,
                          "No unexpired grant matches." if user or client else "Enter a user key or choose a client.",
                          before="_grants_search.html")
        return await page.render("listing.html", listing=listing, user_key=user, client=client,
                                 clients=sorted(names.items()))

    @console.page(PATH + "/revoke", ("GET", "POST"))
    async def revoke(page: Page) -> Response:
        grant_id = page.query("id")
        back = {k: page.query(k) for k in ("user", "client") if page.query(k)}
        state = page.deps.node.state
        grant = await state.get_grant(grant_id) if grant_id else None
        if grant is None or not grant.live(page.deps.node.clock.now()):
            return await page.redirect(PATH, "That grant no longer exists: it was revoked or has expired.",
                                       "error", **back)
        if page.form is not None:
            removed = await state.revoke_grant(grant.grant_id)
            return await page.redirect(PATH, f"Revoked the grant of {grant.user_key} to {grant.client_id} and "
                                       f"{removed} access token(s) issued under it.", **back)
        client = await page.read(lambda model: _client_name(model, grant.client_id))
        return await page.render("grant_revoke.html", grant=grant, client=client, kind=_kind(grant.grant_type),
                                 issued=_when(grant.created_at), expires=_when(grant.expires_at), back=back)


def _client_name(model: ConfigModel, client_id: str) -> str:
    doc = model.get(CLIENT, client_id)
    return str(doc.get("name") or client_id) if doc is not None else client_id

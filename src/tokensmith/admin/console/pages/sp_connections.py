"""Console: the SP connections of the IdP-side STS (``/idp/spConnections``), listed with their
partner service ids, token type, processors and state, and deleted after a confirmation.

They are created and edited through the admin API (``/idp/spConnections``, see docs/sts.md); the
page says so rather than offering a form that could not carry every member of the resource.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import spconnections
from tokensmith.admin.console.listing import Action, Cell, Listing, Row
from tokensmith.admin.console.references import name_of
from tokensmith.admin.console.web import TOKEN_EXCHANGE, Console, Page
from tokensmith.config.model import SP_CONNECTION, TOKEN_PROCESSOR, ConfigModel
from tokensmith.errors import NotFound
from tokensmith.sts import spsettings, usage

PATH = "/token-exchange/sp-connections"
TOKEN_TYPES = {spsettings.SAML20: "SAML 2.0", spsettings.SAML11: "SAML 1.1",
               spsettings.SAML11_O365: "SAML 1.1 for Office 365"}


def _get(model: ConfigModel, connection_id: str) -> dict[str, Any]:
    doc = model.get(SP_CONNECTION, connection_id)
    if doc is None:
        raise NotFound(f"There is no SP connection with id '{connection_id}'.")
    return doc


def register(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "SP Connections", PATH)
    console.counters[PATH] = lambda model: len(model.ids(SP_CONNECTION))
    url = console.url

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(SP_CONNECTION):
                ws = spsettings.ws_trust(doc)
                problems = [e.message for e in usage.sp_connection_problems(model, doc)]
                processors = [name_of(model, TOKEN_PROCESSOR, m["idpTokenProcessorRef"]["id"])
                              for m in ws.get("tokenProcessorMappings") or []]
                rows.append(Row([Cell(doc.get("name") or doc["id"]), Cell(", ".join(ws.get("partnerServiceIds") or []),
                                                                          code=True),
                                 Cell(TOKEN_TYPES.get(spsettings.token_type(doc), spsettings.token_type(doc))),
                                 Cell(", ".join(processors)),
                                 Cell("Active" if doc.get("active") else "Inactive",
                                      badge="ok" if doc.get("active") else ""),
                                 Cell("Broken" if problems else "OK", badge="bad" if problems else "ok")],
                                [Action("Delete", url(PATH + "/delete", id=doc["id"]), danger=True)], problems))
            return Listing("SP Connections", ["Connection", "Partner service ids (AppliesTo)", "Token type",
                                              "Token processors", "State", "Status"], rows, None,
                           "Web services that /idp/sts.wst issues SAML tokens for, chosen by the request's AppliesTo. "
                           "Create and edit them through the admin API (/pf-admin-api/v1/idp/spConnections).",
                           "No SP connection exists yet.")

        return await page.render("listing.html", listing=await page.read(build))

    @console.page(PATH + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        connection_id = page.query("id")
        doc = await page.read(lambda model: _get(model, connection_id))
        if page.form is not None:
            await page.change(lambda model: spconnections.delete(model, connection_id))
            return await page.redirect(PATH, f"SP connection '{doc.get('name')}' deleted.")
        return await page.render("delete.html", what="SP connection", label=doc.get("name") or connection_id,
                                 ident=connection_id, reasons=[], back=PATH,
                                 action=console.url(PATH + "/delete", id=connection_id))

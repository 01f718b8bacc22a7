"""The add, modify and delete pages that every attribute mapping resource of the console shares.

Token-to-token mappings and policy-to-generator mappings are both a source, a target and a
fulfilment, stored under ``sourceId|targetId``; only their listing, their form and the service that
stores them differ. Each page module keeps its own ``form_page`` and ``submit`` and registers these
three routes through :func:`register_mapping_routes` instead of writing them again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from tokensmith.config.model import ConfigModel
from tokensmith.web.console.web import Console, Page

Doc = dict[str, Any]
FormPage = Callable[..., Awaitable[Response]]
Submit = Callable[[Page, "Doc | None"], Awaitable[Response]]


def register_mapping_routes(console: Console, path: str, what: str, get: Callable[[ConfigModel, str], Doc],
                            delete: Callable[[ConfigModel, str], object], form_page: FormPage,
                            submit: Submit) -> None:
    """``path``/new, ``path``/edit and ``path``/delete for a mapping resource called ``what``
    (lower case, as in "token-to-token mapping")."""

    @console.page(path + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            draft = {"sourceId": page.query("source"), "targetId": page.query("target"),
                     "attributeContractFulfillment": {}, "issuanceCriteria": {"conditionalCriteria": []}}
            return await form_page(page, draft, None, [])
        return await submit(page, None)

    @console.page(path + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        mapping_id = page.query("id")
        existing = await page.read(lambda model: get(model, mapping_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(path + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        mapping_id = page.query("id")
        await page.read(lambda model: get(model, mapping_id))
        if page.form is not None:
            await page.change(lambda model: delete(model, mapping_id))
            return await page.redirect(path, f"{what[0].upper()}{what[1:]} '{mapping_id}' deleted.")
        return await page.render("delete.html", what=what, label=mapping_id, ident=mapping_id, reasons=[],
                                 back=path, action=console.url(path + "/delete", id=mapping_id))

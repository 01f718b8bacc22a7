"""Applications > Token Exchange: Token Generators and Token Processors (any registered type), and
System > General Settings (the automatic connection validation switch)."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.responses import Response

from tokensmith.admin import sts_instances as svc
from tokensmith.admin import stssettings
from tokensmith.admin.context import AdminContext
from tokensmith.config.model import ConfigModel
from tokensmith.errors import FieldError, ValidationFailed
from tokensmith.plugins.registry import PluginRegistry
from tokensmith.sts import usage
from tokensmith.web.console.forms import FormErrors, checked
from tokensmith.web.console.parts import contract_part
from tokensmith.web.console.plugin_pages import Doc, PluginResource
from tokensmith.web.console.web import SYSTEM, TOKEN_EXCHANGE, Console, Page

GENERATORS_PATH = "/token-exchange/token-generators"
PROCESSORS_PATH = "/token-exchange/token-processors"
GENERAL_PATH = "/system/general-settings"
SWITCH = "disableAutomaticConnectionValidation"


@cache
def _registry(kind: svc.InstanceKind) -> PluginRegistry:
    return PluginRegistry(kind.label, kind.descriptors().values())


def broken_messages(model: ConfigModel, broken: list[usage.Broken]) -> list[str]:
    """What a save broke, as the console reports it (nothing while automatic validation is off)."""
    if not usage.automatic_validation(model):
        return []
    return [f"{b.user.describe()} no longer fits: " + "; ".join(e.message for e in b.errors) for b in broken]


def _resource(kind: svc.InstanceKind, path: str, title: str, intro: str, masked: bool) -> PluginResource:
    def create(ctx: AdminContext, model: ConfigModel, body: Doc) -> tuple[Doc, list[str]]:
        doc, broken = svc.create(ctx, kind, model, body)
        return doc, broken_messages(model, broken)

    def update(ctx: AdminContext, model: ConfigModel, instance_id: str, body: Doc) -> tuple[Doc, list[str]]:
        doc, broken = svc.update(ctx, kind, model, instance_id, body)
        return doc, broken_messages(model, broken)

    def users(_deps: Any, model: ConfigModel, instance_id: str) -> list[FieldError]:
        svc.get(kind, model, instance_id)
        return usage.in_use_errors(kind.users(model, instance_id))

    def listing_context(model: ConfigModel) -> dict[str, Any]:
        automatic = usage.automatic_validation(model)
        broken = usage.broken_references(model) if automatic else []
        return {"automatic": automatic, "general": GENERAL_PATH,
                "broken": [(b.user.describe(), [e.message for e in b.errors]) for b in broken]}

    return PluginResource(
        path=path, section=TOKEN_EXCHANGE, title=title, singular=kind.label, kind=kind.kind,
        types=lambda _deps: _registry(kind), create=create, update=update,
        delete=lambda _deps, model, instance_id: svc.delete(kind, model, instance_id), usage=users,
        parts=(contract_part(multi_valued=False, subject=False, masked=masked),), intro=intro,
        list_extra="_broken.html", list_context=listing_context)


GENERATORS = _resource(svc.GENERATORS, GENERATORS_PATH, "Token Generators",
                       "Token generators issue the tokens the security token service hands out (SAML 2.0, "
                       "SAML 1.1 and add-on types). A generator must exist before a token-to-token mapping "
                       "or an STS connection can use it.", masked=False)
PROCESSORS = _resource(svc.PROCESSORS, PROCESSORS_PATH, "Token Processors",
                       "Token processors validate the tokens clients present to the security token service "
                       "and read their attributes.", masked=True)


def register(console: Console) -> None:
    GENERATORS.register(console)
    PROCESSORS.register(console)
    console.add_nav(SYSTEM, "General Settings", GENERAL_PATH)

    async def page_for(page: Page, doc: dict[str, Any], errors: FormErrors, status: int = 200) -> Response:
        return await page.render("general_settings.html", status=status, doc=doc, errors=errors)

    @console.page(GENERAL_PATH, ("GET", "POST"))
    async def general(page: Page) -> Response:
        current = await page.read(stssettings.get_general)
        if page.form is None:
            return await page_for(page, current, FormErrors.none())
        body = {**current, SWITCH: checked(page.form, SWITCH)}
        try:
            await page.change(lambda model: stssettings.put_general(model, body))
        except ValidationFailed as exc:
            return await page_for(page, body, FormErrors.place(exc.errors, [SWITCH]), 422)
        return await page.redirect(GENERAL_PATH, "General settings saved.")



"""Applications > OAuth > Access Token Management: the instances (any registered type), their
attribute contract, resource URIs and allowed clients, and the default manager."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import atms
from tokensmith.admin.context import ref_id
from tokensmith.config.model import ATM, CLIENT, ConfigModel
from tokensmith.errors import ErrorCollector, ValidationFailed
from tokensmith.web.console.forms import FormErrors, RowAction, checked, lines
from tokensmith.web.console.parts import contract_part
from tokensmith.web.console.plugin_pages import Doc, FormPart, PluginResource
from tokensmith.web.console.web import OAUTH, Console, FormInput, Page

PATH = "/oauth/access-token-managers"
URIS = "selectionSettings.resourceUris"
RESTRICT = "accessControlSettings.restrictClients"
ALLOWED = "accessControlSettings.allowedClients"
DEFAULT = "defaultAccessTokenManagerRef.id"


def _parse_access(form: FormInput, draft: Doc, existing: Doc | None, _action: RowAction | None,
                  _errors: ErrorCollector) -> None:
    draft["selectionSettings"] = {"resourceUris": lines(form.get(URIS))}
    draft["accessControlSettings"] = {"restrictClients": checked(form, RESTRICT),
                                      "allowedClients": [{"id": c} for c in dict.fromkeys(form.getlist(ALLOWED))]}
    if existing is not None and "sessionValidationSettings" in existing:
        draft["sessionValidationSettings"] = existing["sessionValidationSettings"]


def _access_context(model: ConfigModel, _draft: Doc) -> dict[str, Any]:
    return {"clients": [(c["clientId"], f"{c.get('name') or c['clientId']} ({c['clientId']})")
                        for c in model.all(CLIENT)]}


ACCESS = FormPart("_atm_access.html", lambda _draft: [URIS, "selectionSettings", RESTRICT, ALLOWED,
                                                      "accessControlSettings"],
                  _parse_access, _access_context)


def _list_context(model: ConfigModel) -> dict[str, Any]:
    return {"default": ref_id(model.setting(atms.SETTINGS_ID) or {}, "defaultAccessTokenManagerRef") or "",
            "managers": [(d["id"], d.get("name", d["id"])) for d in model.all(ATM)]}


RESOURCE = PluginResource(
    path=PATH, section=OAUTH, title="Access Token Management", singular="access token manager",
    kind=ATM, types=lambda deps: deps.atm_types,
    create=atms.create, update=atms.update, delete=lambda _deps, model, atm_id: atms.delete(model, atm_id),
    parts=(contract_part(), ACCESS),
    intro="Access token managers issue and validate access tokens. Clients pick one by resource URI or "
          "by id; otherwise the default manager is used.",
    list_extra="_atm_default.html", list_context=_list_context,
)


def register(console: Console) -> None:
    RESOURCE.register(console)

    @console.page(PATH + "/default", ("POST",))
    async def set_default(page: Page) -> Response:
        assert page.form is not None
        chosen = page.form.get(DEFAULT)
        ctx = page.admin_context()
        try:
            await page.change(lambda model: atms.put_settings(ctx, model,
                                                              {"defaultAccessTokenManagerRef": {"id": chosen}}))
        except ValidationFailed as exc:
            errors = FormErrors.place(exc.errors, [DEFAULT, "defaultAccessTokenManagerRef"])
            messages = errors.general + [m for v in errors.by_field.values() for m in v]
            return await page.redirect(PATH, "The default manager was not changed: " + " ".join(messages), "error")
        return await page.redirect(PATH, f"'{chosen}' is now the default access token manager.")

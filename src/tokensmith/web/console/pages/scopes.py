"""Applications > OAuth > Scopes (common and exclusive scopes and scope groups) and the
authorization server settings that go with them."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from tokensmith.admin import authserver
from tokensmith.config.model import ATM, PCV, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, ValidationFailed
from tokensmith.web.console.forms import FormErrors, checked, lines, to_int
from tokensmith.web.console.web import OAUTH, Console, Page

PATH = "/oauth/scopes"
SETTINGS_PATH = "/oauth/authorization-server-settings"
ENTRY_FIELDS = ["name", "description", "dynamic", "scopes"]
SECTIONS = [  # (collection, title, what it is)
    ("commonScopes", "Common Scopes", "Any client may ask for these unless it restricts its scopes."),
    ("commonScopeGroups", "Common Scope Groups", "Asking for a group grants each of its common scopes."),
    ("exclusiveScopes", "Exclusive Scopes", "Only clients that list a scope may ask for it."),
    ("exclusiveScopeGroups", "Exclusive Scope Groups", "Asking for a group grants each of its exclusive scopes."),
]
SETTING_FIELDS = ["defaultScopeDescription", "refreshTokenLength", "persistentGrantLifetime",
                  "clientSecretRetentionPeriod", "rollRefreshTokenValues", "atmIdForOAuthGrantManagement",
                  "scopeForOAuthGrantManagement", "adminWebServicePcvRef.id", "adminWebServicePcvRef",
                  "bypassAuthorizationForApprovedGrants", "allowedOrigins"]
_ENTRY_PATH = re.compile(r"^\w+\[\d+\]\.(\w+)$")


def _entry_errors(errors: list[FieldError]) -> FormErrors:
    """Errors of an add/delete: ``scopes[3].name`` (the whole document was checked) is the ``name`` input."""
    moved = []
    for e in errors:
        match = _ENTRY_PATH.match(e.field_path)
        moved.append(FieldError(match.group(1), e.message, e.error_id) if match else FieldError("", e.message))
    return FormErrors.place(moved, ENTRY_FIELDS)


def register(console: Console) -> None:
    console.add_nav(OAUTH, "Scopes", PATH)
    console.add_nav(OAUTH, "Authorization Server Settings", SETTINGS_PATH)

    def count(model: ConfigModel) -> int:
        doc = authserver.current(model)
        return len(doc["scopes"]) + len(doc["exclusiveScopes"])

    console.counters[PATH] = count

    async def scopes_page(page: Page, status: int = 200, failed: str = "", errors: FormErrors | None = None,
                          draft: dict[str, Any] | None = None) -> Response:
        doc = await page.read(authserver.current)
        members = {"commonScopeGroups": [(s["name"], s["name"]) for s in doc["scopes"]],
                   "exclusiveScopeGroups": [(s["name"], s["name"]) for s in doc["exclusiveScopes"]]}
        return await page.render("scopes.html", status=status, doc=doc, sections=SECTIONS, failed=failed,
                                 errors=errors or FormErrors.none(), blank=FormErrors.none(), draft=draft or {},
                                 members=members)

    @console.page(PATH)
    async def scopes(page: Page) -> Response:
        return await scopes_page(page)

    @console.page(PATH + "/add", ("POST",))
    async def add(page: Page) -> Response:
        assert page.form is not None
        collection = page.query("collection")
        if collection not in authserver.COLLECTIONS:
            return await scopes_page(page, 404)
        form = page.form
        body: dict[str, Any] = {"name": form.get("name").strip(), "description": form.get("description").strip()}
        if collection.endswith("Groups"):
            body["scopes"] = list(dict.fromkeys(form.getlist("scopes")))
        else:
            body["dynamic"] = checked(form, "dynamic")
        try:
            await page.change(lambda model: authserver.add_entry(model, collection, body))
        except ValidationFailed as exc:
            return await scopes_page(page, 422, collection, _entry_errors(exc.errors), body)
        return await page.redirect(PATH, f"'{body['name']}' added.")

    @console.page(PATH + "/delete", ("POST",))
    async def delete(page: Page) -> Response:
        collection, name = page.query("collection"), page.query("name")
        if collection not in authserver.COLLECTIONS:
            return await scopes_page(page, 404)
        try:
            await page.change(lambda model: authserver.delete_entry(model, collection, name))
        except ValidationFailed as exc:
            reasons = " ".join(e.message for e in exc.errors)
            return await page.redirect(PATH, f"'{name}' was not deleted: {reasons}", "error")
        return await page.redirect(PATH, f"'{name}' deleted.")

    async def settings_page(page: Page, draft: dict[str, Any], errors: FormErrors, status: int = 200) -> Response:
        def options(model: ConfigModel) -> dict[str, list[tuple[str, str]]]:
            scopes = [s["name"] for key in ("scopes", "exclusiveScopes") for s in draft.get(key, [])]
            chosen = draft.get("scopeForOAuthGrantManagement")
            if chosen and chosen not in scopes:  # stored by the admin API: kept, not dropped by a save
                scopes.append(chosen)
            return {"managers": [(d["id"], d.get("name") or d["id"]) for d in model.all(ATM)],
                    "validators": [(d["id"], d.get("name") or d["id"]) for d in model.all(PCV)],
                    "scope_names": [(name, name) for name in scopes]}

        return await page.render("authserver.html", status=status, doc=draft, errors=errors,
                                 **await page.read(options))

    @console.page(SETTINGS_PATH, ("GET", "POST"))
    async def settings(page: Page) -> Response:
        current = await page.read(authserver.current)
        if page.form is None:
            return await settings_page(page, current, FormErrors.none())
        form = page.form
        errors = ErrorCollector()
        draft = {**current, "defaultScopeDescription": form.get("defaultScopeDescription"),
                 "rollRefreshTokenValues": checked(form, "rollRefreshTokenValues")}
        for name, label in (("refreshTokenLength", "Refresh token length"),
                            ("persistentGrantLifetime", "Persistent grant lifetime"),
                            ("clientSecretRetentionPeriod", "Client secret retention period")):
            draft[name] = form.get(name)
            number = to_int(form.get(name), name, errors, label)
            if number is not None:
                draft[name] = number
        for name in ("atmIdForOAuthGrantManagement", "scopeForOAuthGrantManagement"):
            if form.get(name):
                draft[name] = form.get(name)
            else:
                draft.pop(name, None)
        if form.get("adminWebServicePcvRef.id"):
            draft["adminWebServicePcvRef"] = {"id": form.get("adminWebServicePcvRef.id")}
        else:
            draft.pop("adminWebServicePcvRef", None)
        draft["bypassAuthorizationForApprovedGrants"] = checked(form, "bypassAuthorizationForApprovedGrants")
        if form.has("allowedOrigins"):  # one origin per line; a form without the field keeps them
            draft["allowedOrigins"] = lines(form.get("allowedOrigins"))
        if errors:
            return await settings_page(page, draft, FormErrors.place(errors.errors, SETTING_FIELDS), 422)
        try:
            await page.change(lambda model: authserver.put(model, draft))
        except ValidationFailed as exc:
            return await settings_page(page, draft, FormErrors.place(exc.errors, SETTING_FIELDS), 422)
        return await page.redirect(SETTINGS_PATH, "Authorization server settings saved.")

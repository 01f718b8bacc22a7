"""Applications > OAuth > Clients: list, create, modify, delete, and set or rotate the secret.

Secrets never leave the server: forms take a new secret (or generate one) and the stored one is
never shown, not even encrypted. A generated secret is shown once, in the response to the save.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from tokensmith.admin import clients
from tokensmith.admin.context import public
from tokensmith.config.model import ATM, CLIENT, TX_POLICY, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.oauth.grants import registry
from tokensmith.web.console.forms import FormErrors, checked, lines, to_int
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.pages import client_flows
from tokensmith.web.console.web import OAUTH, Console, FormInput, Page

PATH = "/oauth/clients"
FIELDS = ["clientId", "name", "description", "enabled", "grantTypes", "clientAuth.type", "clientAuth.secret",
          "clientAuth", "defaultAccessTokenManagerRef.id", "defaultAccessTokenManagerRef",
          "restrictToDefaultAccessTokenManager", "restrictScopes", "restrictedScopes", "exclusiveScopes",
          "redirectUris", "refreshRolling", "clientSecretRetentionPeriodType", "clientSecretRetentionPeriod",
          "secret", "encryptedSecret", "secondarySecrets", "tokenExchangeProcessorPolicyRef.id",
          "tokenExchangeProcessorPolicyRef", *client_flows.FIELDS]
GENERATE = "_generate"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _get(model: ConfigModel, client_id: str) -> dict[str, Any]:
    doc = model.get(CLIENT, client_id)
    if doc is None:
        raise NotFound(f"There is no OAuth client with id '{client_id}'.")
    return doc


def _options(model: ConfigModel) -> dict[str, Any]:
    auth = model.setting("authServer") or {}
    common = [s["name"] for s in auth.get("scopes", [])] + [g["name"] for g in auth.get("scopeGroups", [])]
    exclusive = ([s["name"] for s in auth.get("exclusiveScopes", [])]
                 + [g["name"] for g in auth.get("exclusiveScopeGroups", [])])
    return {"managers": [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(ATM)],
            "policies": [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(TX_POLICY)],
            "common": [(s, s) for s in common], "exclusive": [(s, s) for s in exclusive],
            "grants": [(v, c.label + (" (stored, not in effect here)" if c.not_in_effect else ""))
                       for v, c in registry.allowed_client_values().items()],
            **client_flows.options()}


def parse(form: FormInput, existing: dict[str, Any] | None, errors: ErrorCollector) -> tuple[dict[str, Any], str]:
    """The admin API body a client form describes, and the generated secret ('' if none)."""
    body: dict[str, Any] = {}
    if existing is not None:
        body = {k: v for k, v in public(existing).items() if k not in clients.READ_ONLY and k != "clientAuth"}
    body.update({
        "clientId": existing["clientId"] if existing else form.get("clientId").strip(),
        "name": form.get("name").strip(),
        "description": form.get("description"),
        "enabled": checked(form, "enabled"),
        "grantTypes": list(dict.fromkeys(form.getlist("grantTypes"))),
        "restrictToDefaultAccessTokenManager": checked(form, "restrictToDefaultAccessTokenManager"),
        "restrictScopes": checked(form, "restrictScopes"),
        "restrictedScopes": list(dict.fromkeys(form.getlist("restrictedScopes"))),
        "exclusiveScopes": list(dict.fromkeys(form.getlist("exclusiveScopes"))),
        "redirectUris": lines(form.get("redirectUris")),
        "refreshRolling": form.get("refreshRolling") or "SERVER_DEFAULT",
        "clientSecretRetentionPeriodType": form.get("clientSecretRetentionPeriodType") or "SERVER_DEFAULT",
    })
    if body["clientSecretRetentionPeriodType"] == "OVERRIDE_SERVER_DEFAULT":
        period = to_int(form.get("clientSecretRetentionPeriod"), "clientSecretRetentionPeriod", errors,
                        "The retention period")
        if period is not None and period < 0:
            errors.add("clientSecretRetentionPeriod", "The retention period must not be negative")
        body["clientSecretRetentionPeriod"] = period
    else:
        body.pop("clientSecretRetentionPeriod", None)
    client_flows.parse(form, body, errors)
    if body["refreshRolling"] not in ("SERVER_DEFAULT", "DONT_ROLL", "ROLL"):
        errors.add("refreshRolling", "Choose one of the refresh token rolling policies")
    if body["clientSecretRetentionPeriodType"] not in ("SERVER_DEFAULT", "OVERRIDE_SERVER_DEFAULT"):
        errors.add("clientSecretRetentionPeriodType", "Choose the server default or an override")
    manager = form.get("defaultAccessTokenManagerRef.id")
    if manager:
        body["defaultAccessTokenManagerRef"] = {"id": manager}
    else:
        body.pop("defaultAccessTokenManagerRef", None)
    policy = form.get("tokenExchangeProcessorPolicyRef.id")
    if policy:
        body["tokenExchangeProcessorPolicyRef"] = {"id": policy}
    else:
        body.pop("tokenExchangeProcessorPolicyRef", None)
    generated = ""
    auth_type = form.get("clientAuth.type") or "SECRET"
    typed = form.get("clientAuth.secret")
    if auth_type != "SECRET":
        body["clientAuth"] = {"type": auth_type}
    elif checked(form, GENERATE):
        generated = new_secret()
        body["clientAuth"] = {"type": "SECRET", "secret": generated}
    elif typed:
        body["clientAuth"] = {"type": "SECRET", "secret": typed}
    elif existing is None or existing.get("clientAuth", {}).get("type") != "SECRET":
        body["clientAuth"] = {"type": "SECRET"}
    return body, generated


def _listing(page: Page, model: ConfigModel) -> Listing:
    url = page.console.url
    rows = []
    for doc in model.all(CLIENT):
        cid = doc["clientId"]
        auth = doc.get("clientAuth", {}).get("type", "NONE")
        actions = [Action("Modify", url(PATH + "/edit", id=cid))]
        if auth == "SECRET":
            actions.append(Action("Secret", url(PATH + "/secret", id=cid)))
        actions.append(Action("Delete", url(PATH + "/delete", id=cid), danger=True))
        rows.append(Row([Cell(cid, href=url(PATH + "/edit", id=cid), code=True), Cell(doc.get("name", "")),
                         Cell(", ".join(registry.label(g) for g in doc.get("grantTypes", []))),
                         Cell("Client secret" if auth == "SECRET" else "None (public client)"),
                         Cell("Enabled" if doc.get("enabled", True) else "Disabled",
                              badge="ok" if doc.get("enabled", True) else "bad")], actions))
    return Listing("OAuth Clients", ["Client ID", "Name", "Grant types", "Authentication", "Status"], rows,
                   ("Add Client", url(PATH + "/new")),
                   "Applications that get tokens from the token endpoint or validate them by introspection.",
                   "No OAuth client exists yet.")


def register(console: Console) -> None:
    console.add_nav(OAUTH, "Clients", PATH)
    console.counters[PATH] = lambda model: len(model.ids(CLIENT))

    async def form_page(page: Page, draft: dict[str, Any], existing: dict[str, Any] | None,
                        errors: FormErrors, status: int = 200) -> Response:
        options = await page.read(_options)
        return await page.render("client_form.html", status=status, draft=draft, existing=existing,
                                 errors=errors, options=options)

    async def submit(page: Page, existing: dict[str, Any] | None) -> Response:
        assert page.form is not None
        errors = ErrorCollector()
        body, generated = parse(page.form, existing, errors)
        if errors:
            return await form_page(page, body, existing, FormErrors.place(errors.errors, FIELDS), 422)
        ctx = page.admin_context()
        try:
            if existing is None:
                await page.change(lambda model: clients.create(ctx, model, body))
            else:
                await page.change(lambda model: clients.update(ctx, model, existing["clientId"], body))
        except ValidationFailed as exc:
            return await form_page(page, body, existing, FormErrors.place(exc.errors, FIELDS), 422)
        verb = "created" if existing is None else "saved"
        if generated:  # shown once, in this response only; never stored in a message or a log
            return await page.render("secret_once.html", client_id=body["clientId"], secret=generated, verb=verb)
        return await page.redirect(PATH, f"OAuth client '{body['clientId']}' {verb}.")

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        return await page.render("listing.html", listing=await page.read(lambda model: _listing(page, model)))

    @console.page(PATH + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            draft = {**clients.DEFAULTS, "clientId": "", "name": "", "grantTypes": ["CLIENT_CREDENTIALS"],
                     "clientAuth": {"type": "SECRET"}}
            return await form_page(page, draft, None, FormErrors.none())
        return await submit(page, None)

    @console.page(PATH + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        client_id = page.query("id")
        existing = await page.read(lambda model: _get(model, client_id))
        if page.form is None:
            return await form_page(page, public(existing), existing, FormErrors.none())
        return await submit(page, existing)

    @console.page(PATH + "/secret", ("GET", "POST"))
    async def secret(page: Page) -> Response:
        client_id = page.query("id")
        existing = await page.read(lambda model: _get(model, client_id))
        errors = FormErrors.none()
        status = 200
        if page.form is not None:
            generated = new_secret() if checked(page.form, GENERATE) else ""
            body = {"secret": generated or page.form.get("secret")}
            ctx = page.admin_context()
            try:
                await page.change(lambda model: clients.put_secret(ctx, model, client_id, body))
            except ValidationFailed as exc:
                errors, status = FormErrors.place(exc.errors, FIELDS), 422
            else:
                if generated:
                    return await page.render("secret_once.html", client_id=client_id, secret=generated,
                                             verb="given a new secret")
                return await page.redirect(PATH, f"OAuth client '{client_id}' has a new secret.")
        return await page.render("client_secret.html", status=status, client=public(existing), errors=errors)

    @console.page(PATH + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        client_id = page.query("id")

        def check(model: ConfigModel) -> list[FieldError]:
            _get(model, client_id)
            try:
                clients.delete(model.copy(), client_id)
            except ValidationFailed as exc:
                return exc.errors
            return []

        reasons = await page.read(check)
        status = 200
        if page.form is not None:
            try:
                await page.change(lambda model: clients.delete(model, client_id))
            except ValidationFailed as exc:
                reasons, status = exc.errors, 422
            else:
                return await page.redirect(PATH, f"OAuth client '{client_id}' deleted.")
        return await page.render("delete.html", status=status, what="OAuth client", label=client_id, ident=client_id,
                                 reasons=[r.message for r in reasons], back=PATH,
                                 action=console.url(PATH + "/delete", id=client_id))



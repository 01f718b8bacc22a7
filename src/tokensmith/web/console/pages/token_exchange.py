"""Applications > Token Exchange: Processor Policies and Generator Groups (PingFederate's OAuth token
exchange model), each with its default (the processor and generator settings).

Saves, deletes and the defaults go through :mod:`tokensmith.admin.tokenexchange`, the admin API's
own service, so the console refuses exactly what the API refuses and shows the same
``validationErrors`` next to the inputs named by their ``fieldPath``. A delete that the service would
refuse (a client, a mapping or the settings still name the policy or group) is shown with its
reasons before anything is tried. Both listings flag entries whose processors or generators no
longer fit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from tokensmith.admin import tokenexchange as svc
from tokensmith.config.model import TOKEN_GENERATOR, TOKEN_PROCESSOR, TX_GROUP, TX_POLICY, ConfigModel
from tokensmith.errors import FieldError, ValidationFailed
from tokensmith.mapping import CONDITIONS
from tokensmith.sts import exchange_usage as tx
from tokensmith.sts.instances import contract_names
from tokensmith.web.console import tx_form
from tokensmith.web.console.forms import FormErrors, RowAction
from tokensmith.web.console.fulfilment import names
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.references import name_of
from tokensmith.web.console.web import TOKEN_EXCHANGE, Console, Page

POLICIES_PATH = "/token-exchange/processor-policies"
GROUPS_PATH = "/token-exchange/generator-groups"
POLICY_DEFAULT = "defaultProcessorPolicyRef.id"
GROUP_DEFAULT = "defaultGeneratorGroupRef.id"
SOURCES = [("SUBJECT_TOKEN", "Subject token (processor attribute)"), ("ACTOR_TOKEN", "Actor token (processor "
           "attribute)"), ("CONTEXT", "Context"), ("TEXT", "Text"), ("NO_MAPPING", "No Mapping")]
Doc = dict[str, Any]


def _choices(model: ConfigModel, kind: str) -> list[tuple[str, str]]:
    return [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(kind)]


def _processor_attributes(model: ConfigModel, processor_id: str) -> list[str]:
    doc = model.get(TOKEN_PROCESSOR, processor_id) if processor_id else None
    return contract_names(model, TOKEN_PROCESSOR, doc) if doc is not None else []


def _refusal(model: ConfigModel, delete: Callable[[ConfigModel], None]) -> list[str]:
    """Why the service would refuse the delete, tried on a copy of the configuration."""
    try:
        delete(model.copy())
    except ValidationFailed as exc:
        return [e.message for e in exc.errors]
    return []


async def _set_default(page: Page, name: str, key: str, back: str, what: str) -> Response:
    assert page.form is not None
    chosen = page.form.get(key + ".id").strip()
    body = {key: {"id": chosen}} if chosen else {}
    ctx = page.admin_context()
    try:
        await page.change(lambda model: svc.put_settings(ctx, model, name, body))
    except ValidationFailed as exc:
        return await page.redirect(back, f"The default {what} was not changed: "
                                   + " ".join(e.message for e in exc.errors), "error")
    return await page.redirect(back, f"'{chosen}' is now the default {what}." if chosen
                               else f"There is no default {what} now.")


def _row(url: Callable[..., str], path: str, doc: Doc, cells: list[Cell], problems: list[FieldError]) -> Row:
    messages = [e.message for e in problems]
    return Row([Cell(doc.get("name") or doc["id"], href=url(path + "/edit", id=doc["id"])),
                Cell(doc["id"], code=True), *cells,
                Cell("Broken" if messages else "OK", badge="bad" if messages else "ok")],
               [Action("Modify", url(path + "/edit", id=doc["id"])),
                Action("Delete", url(path + "/delete", id=doc["id"]), danger=True)], messages)


# --------------------------------------------------------------------------- processor policies


def _register_policies(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "Processor Policies", POLICIES_PATH)
    console.counters[POLICIES_PATH] = lambda model: len(model.ids(TX_POLICY))
    url, path = console.url, POLICIES_PATH

    async def form_page(page: Page, draft: Doc, existing: Doc | None, errors: list[FieldError] | None = None,
                        status: int = 200) -> Response:
        mappings = list(draft.get(tx_form.MAPPINGS) or []) or [tx_form.blank_processor_mapping()]

        def options(model: ConfigModel) -> Doc:
            return {"processors": _choices(model, TOKEN_PROCESSOR),
                    "subject_attributes": [_processor_attributes(model, tx_form.ref_of(m, "subjectTokenProcessor"))
                                           for m in mappings],
                    "actor_attributes": [_processor_attributes(model, tx_form.ref_of(m, "actorTokenProcessor"))
                                         for m in mappings],
                    "problems": tx.policy_problems(model, draft) if existing is not None and errors is None else []}

        opts = await page.read(options)
        contract = (draft.get("attributeContract") or {}).get("extendedAttributes") or []
        attributes = tx_form.policy_attributes(draft)
        fields = ["id", "name", "actorTokenRequired", "attributeContract", tx_form.CONTRACT, tx_form.MAPPINGS,
                  *[f"{tx_form.CONTRACT}[{i}]{part}" for i in range(len(contract)) for part in ("", ".name")]]
        views = []
        for i, mapping in enumerate(mappings):
            base = f"{tx_form.MAPPINGS}[{i}]"
            criteria = (mapping.get("issuanceCriteria") or {}).get("conditionalCriteria") or []
            orig = mapping.get("_orig", str(i) if existing is not None and "_orig" not in mapping else "")
            views.append({"base": base, "index": i, "doc": mapping, "orig": orig, "criteria": criteria,
                          "subject": tx_form.ref_of(mapping, "subjectTokenProcessor"),
                          "actor": tx_form.ref_of(mapping, "actorTokenProcessor"),
                          "subject_attributes": opts["subject_attributes"][i],
                          "actor_attributes": opts["actor_attributes"][i]})
            fields += [base, *[f"{base}.{part}" for part in (
                "subjectTokenType", "subjectTokenProcessor", "subjectTokenProcessor.id", "actorTokenType",
                "actorTokenProcessor", "actorTokenProcessor.id", "attributeSources", "issuanceCriteria")],
                *names(f"{base}.{tx_form.FULFIL}", attributes, f"{base}.{tx_form.CRITERIA}", len(criteria))]
        found = errors if errors is not None else opts["problems"]
        return await page.render("tx_policy_form.html", status=status, draft=draft, existing=existing,
                                 errors=FormErrors.place(found, fields), opts=opts, mappings=views,
                                 contract=contract, attributes=attributes, sources=SOURCES,
                                 token_types=tx_form.SUBJECT_TYPES, context_values=tx.EXCHANGE_CONTEXT,
                                 conditions=sorted(CONDITIONS))

    async def submit(page: Page, existing: Doc | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = tx_form.parse_policy(page.form, existing, action)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing, [])
        ctx, body = page.admin_context(), tx_form.policy_body(draft)
        try:
            if existing is None:
                doc = await page.change(lambda model: svc.create_policy(ctx, model, body))
            else:
                doc = await page.change(lambda model: svc.update_policy(ctx, model, existing["id"], body))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(path, f"Processor policy '{doc['name']}' saved.")

    @console.page(path)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> tuple[Listing, Doc]:
            rows = []
            for doc in model.all(TX_POLICY):
                processors = [name_of(model, TOKEN_PROCESSOR, tx_form.ref_of(m, "subjectTokenProcessor"))
                              for m in doc.get(tx_form.MAPPINGS) or []]
                row = _row(url, path, doc, [Cell(", ".join(dict.fromkeys(processors))),
                                            Cell("Yes" if doc.get("actorTokenRequired") else "No")],
                           tx.policy_problems(model, doc))
                # the access tokens the policy's exchanges issue come from its access token mapping
                row.actions.insert(1, Action("Access Token Mapping", url(
                    "/oauth/access-token-mappings/new", context="TOKEN_EXCHANGE_PROCESSOR_POLICY", policy=doc["id"])))
                rows.append(row)
            listed = Listing("Processor Policies", ["Policy", "Policy ID", "Subject token processors",
                                                    "Actor token required", "Status"], rows,
                             ("Add Processor Policy", url(path + "/new")),
                             "Which token processor validates each subject (and actor) token type of an RFC 8693 "
                             "token exchange, and how the policy's attribute contract is filled. A client names "
                             "its policy; otherwise the default policy below serves. The admin API has them at "
                             "/pf-admin-api/v1" + tx.POLICIES_PATH + ".", "No processor policy exists yet.",
                             extra="_tx_default.html")
            extra = {"action": url(path + "/default"), "name": POLICY_DEFAULT, "label": "Default processor policy",
                     "default": tx.default_policy(model) or "", "choices": _choices(model, TX_POLICY)}
            return listed, extra

        listed, extra = await page.read(build)
        return await page.render("listing.html", listing=listed, extra=extra)

    @console.page(path + "/default", ("POST",))
    async def set_default(page: Page) -> Response:
        return await _set_default(page, tx.PROCESSOR_SETTINGS, "defaultProcessorPolicyRef", path, "processor policy")

    @console.page(path + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            return await form_page(page, tx_form.new_policy(), None, [])
        return await submit(page, None)

    @console.page(path + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        policy_id = page.query("id")
        existing = await page.read(lambda model: svc.POLICIES.get(model, policy_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(path + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        policy_id = page.query("id")

        def look(model: ConfigModel) -> tuple[Doc, list[str]]:
            return svc.POLICIES.get(model, policy_id), _refusal(model, lambda m: svc.delete_policy(m, policy_id))

        doc, reasons = await page.read(look)
        return await _delete(page, doc, reasons, "processor policy", path,
                             lambda model: svc.delete_policy(model, policy_id))


async def _delete(page: Page, doc: Doc, reasons: list[str], what: str, back: str,
                  delete: Callable[[ConfigModel], None]) -> Response:
    status = 200
    if page.form is not None and not reasons:
        try:
            await page.change(delete)
        except ValidationFailed as exc:  # someone started using it since the page was read
            reasons, status = [e.message for e in exc.errors], 422
        else:
            return await page.redirect(back, f"{what.capitalize()} '{doc.get('name') or doc['id']}' deleted.")
    elif page.form is not None:
        status = 422
    return await page.render("delete.html", status=status, what=what, label=doc.get("name") or doc["id"],
                             ident=doc["id"], reasons=reasons, back=back,
                             action=page.console.url(back + "/delete", id=doc["id"]))


# --------------------------------------------------------------------------- generator groups


def _register_groups(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "Generator Groups", GROUPS_PATH)
    console.counters[GROUPS_PATH] = lambda model: len(model.ids(TX_GROUP))
    url, path = console.url, GROUPS_PATH

    async def form_page(page: Page, draft: Doc, existing: Doc | None, errors: list[FieldError] | None = None,
                        status: int = 200) -> Response:
        mappings = list(draft.get(tx_form.GENERATORS) or []) or [tx_form.blank_generator_mapping()]

        def options(model: ConfigModel) -> Doc:
            return {"generators": _choices(model, TOKEN_GENERATOR),
                    "problems": tx.group_problems(model, draft) if existing is not None and errors is None else []}

        opts = await page.read(options)
        fields = ["id", "name", "resourceUris", tx_form.GENERATORS]
        for i in range(len(mappings)):
            base = f"{tx_form.GENERATORS}[{i}]"
            fields += [base, base + ".requestedTokenType", base + ".tokenGenerator", base + ".tokenGenerator.id",
                       base + ".defaultMapping"]
        default_index = next((i for i, m in enumerate(mappings) if m.get("defaultMapping")), 0)
        found = errors if errors is not None else opts["problems"]
        return await page.render("tx_group_form.html", status=status, draft=draft, existing=existing,
                                 errors=FormErrors.place(found, fields), opts=opts, mappings=mappings,
                                 default_index=default_index, token_types=tx_form.REQUESTED_TYPES)

    async def submit(page: Page, existing: Doc | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = tx_form.parse_group(page.form, existing, action)
        if action is not None:
            return await form_page(page, draft, existing, [])
        ctx = page.admin_context()
        try:
            if existing is None:
                doc = await page.change(lambda model: svc.create_group(ctx, model, draft))
            else:
                doc = await page.change(lambda model: svc.update_group(ctx, model, existing["id"], draft))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(path, f"Generator group '{doc['name']}' saved.")

    @console.page(path)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> tuple[Listing, Doc]:
            rows = []
            for doc in model.all(TX_GROUP):
                generators = [name_of(model, TOKEN_GENERATOR, tx_form.ref_of(m, "tokenGenerator"))
                              for m in doc.get(tx_form.GENERATORS) or []]
                rows.append(_row(url, path, doc, [Cell(", ".join(doc.get("resourceUris") or []), code=True),
                                                  Cell(", ".join(generators))], tx.group_problems(model, doc)))
            listed = Listing("Generator Groups", ["Group", "Group ID", "Resource URIs", "Token generators", "Status"],
                             rows, ("Add Generator Group", url(path + "/new")),
                             "Which token generator issues each requested_token_type of an RFC 8693 token exchange. "
                             "The request's resource picks the group; otherwise the default group below serves. "
                             "The admin API has them at /pf-admin-api/v1" + tx.GROUPS_PATH + ".",
                             "No generator group exists yet.", extra="_tx_default.html")
            extra = {"action": url(path + "/default"), "name": GROUP_DEFAULT, "label": "Default generator group",
                     "default": tx.default_group(model) or "", "choices": _choices(model, TX_GROUP)}
            return listed, extra

        listed, extra = await page.read(build)
        return await page.render("listing.html", listing=listed, extra=extra)

    @console.page(path + "/default", ("POST",))
    async def set_default(page: Page) -> Response:
        return await _set_default(page, tx.GENERATOR_SETTINGS, "defaultGeneratorGroupRef", path, "generator group")

    @console.page(path + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            return await form_page(page, tx_form.new_group(), None, [])
        return await submit(page, None)

    @console.page(path + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        group_id = page.query("id")
        existing = await page.read(lambda model: svc.GROUPS.get(model, group_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(path + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        group_id = page.query("id")

        def look(model: ConfigModel) -> tuple[Doc, list[str]]:
            return svc.GROUPS.get(model, group_id), _refusal(model, lambda m: svc.delete_group(m, group_id))

        doc, reasons = await page.read(look)
        return await _delete(page, doc, reasons, "generator group", path,
                             lambda model: svc.delete_group(model, group_id))


def register(console: Console) -> None:
    _register_policies(console)
    _register_groups(console)

"""Applications > OAuth > Access Token Mappings: where each token attribute's value comes from."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import mappings
from tokensmith.admin.context import ref_id
from tokensmith.config.model import ATM, MAPPING, PCV, TX_POLICY, ConfigModel
from tokensmith.errors import NotFound, ValidationFailed
from tokensmith.mapping import (
    CONDITIONS,
    CONTEXT_REF_PATHS,
    CONTEXT_VALUES,
    PERSISTENT_GRANT_VALUES,
    SOURCES_BY_CONTEXT,
)
from tokensmith.sts.exchange_usage import policy_contract
from tokensmith.web.console.forms import FormErrors, RowAction
from tokensmith.web.console.fulfilment import names, parse_criteria, parse_fulfilment
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.web import OAUTH, Console, FormInput, Page

PATH = "/oauth/access-token-mappings"
FULFIL = "attributeContractFulfillment"
CRITERIA = "issuanceCriteria.conditionalCriteria"
CONTEXT_LABELS = {"DEFAULT": "Default", "CLIENT_CREDENTIALS": "Client Credentials",
                  "PCV": "Password Credential Validator",
                  "IDP_ADAPTER": "Sign-in Page (IdP Adapter)",
                  "TOKEN_EXCHANGE_PROCESSOR_POLICY": "Token Exchange Processor Policy"}
POLICY_CONTEXT = "TOKEN_EXCHANGE_PROCESSOR_POLICY"
SOURCE_LABELS = {"TEXT": "Text", "CONTEXT": "Context", "NO_MAPPING": "No Mapping",
                 "OAUTH_PERSISTENT_GRANT": "Persistent Grant", "PASSWORD_CREDENTIAL_VALIDATOR": "Credential Validator",
                 "TOKEN_EXCHANGE_PROCESSOR_POLICY": "Processor Policy", "ADAPTER": "Adapter (sign-in page)"}


def _get(model: ConfigModel, mapping_id: str) -> dict[str, Any]:
    doc = model.get(MAPPING, mapping_id)
    if doc is None:
        raise NotFound(f"There is no access token mapping with id '{mapping_id}'.")
    return doc


def _contract(model: ConfigModel, atm_id: str) -> list[str]:
    atm = model.get(ATM, atm_id)
    if atm is None:
        return []
    contract = atm.get("attributeContract", {})
    return [a["name"] for a in contract.get("coreAttributes", []) + contract.get("extendedAttributes", [])]


def _context_label(doc: dict[str, Any]) -> str:
    kind = doc["context"]["type"]
    ref = ref_id(doc["context"], "contextRef")
    return f"{CONTEXT_LABELS.get(kind, kind)}: {ref}" if ref else CONTEXT_LABELS.get(kind, kind)


def parse(form: FormInput, existing: dict[str, Any] | None, action: RowAction | None) -> dict[str, Any]:
    if existing is not None:
        context, atm_id = dict(existing["context"]), existing["accessTokenManagerRef"]["id"]
    else:
        context = {"type": form.get("context.type")}
        if context["type"] in CONTEXT_REF_PATHS:  # a validator or a processor policy
            context["contextRef"] = {"id": form.get("context.contextRef.id")}
        atm_id = form.get("accessTokenManagerRef.id")
    fulfilment = parse_fulfilment(form, FULFIL)
    criteria = parse_criteria(form, CRITERIA, action, "CONTEXT")
    return {"context": context, "accessTokenManagerRef": {"id": atm_id}, FULFIL: fulfilment,
            "issuanceCriteria": {"conditionalCriteria": criteria}}


def _names(draft: dict[str, Any], attributes: list[str]) -> list[str]:
    return ["context", "context.type", "context.contextRef.id", "accessTokenManagerRef.id", "attributeSources",
            *names(FULFIL, attributes, CRITERIA, len(draft["issuanceCriteria"]["conditionalCriteria"]))]


def register(console: Console) -> None:
    console.add_nav(OAUTH, "Access Token Mappings", PATH)
    console.counters[PATH] = lambda model: len(model.ids(MAPPING))
    url = console.url

    async def form_page(page: Page, draft: dict[str, Any], existing: dict[str, Any] | None,
                        errors: list[Any] | None = None, status: int = 200) -> Response:
        def options(model: ConfigModel) -> dict[str, Any]:
            atm_id = draft["accessTokenManagerRef"]["id"]
            return {"managers": [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(ATM)],
                    "validators": [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(PCV)],
                    "attributes": _contract(model, atm_id), "known_atm": model.get(ATM, atm_id) is not None,
                    "validator_attributes": _validator_attributes(model, draft),
                    "policies": [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(TX_POLICY)],
                    "policy_attributes": _policy_attributes(model, draft)}

        opts = await page.read(options)
        context_type = draft["context"].get("type", "")
        sources = sorted(SOURCES_BY_CONTEXT.get(context_type, set()))
        placed = FormErrors.place(errors or [], _names(draft, opts["attributes"]))
        return await page.render("mapping_form.html", status=status, draft=draft, existing=existing, errors=placed,
                                 opts=opts, contexts=list(CONTEXT_LABELS.items()),
                                 sources=[(s, SOURCE_LABELS.get(s, s)) for s in sources],
                                 context_values=CONTEXT_VALUES, grant_values=PERSISTENT_GRANT_VALUES,
                                 conditions=sorted(CONDITIONS), ready=bool(context_type in SOURCES_BY_CONTEXT
                                                                             and opts["known_atm"]))

    async def submit(page: Page, existing: dict[str, Any] | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = parse(page.form, existing, action)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing)
        try:
            if existing is None:
                await page.change(lambda model: mappings.create(model, draft))
            else:
                await page.change(lambda model: mappings.update(model, existing["id"], draft))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(PATH, "Access token mapping saved.")

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(MAPPING):
                atm_id = doc["accessTokenManagerRef"]["id"]
                atm = model.get(ATM, atm_id) or {}
                rows.append(Row([Cell(_context_label(doc), href=url(PATH + "/edit", id=doc["id"])),
                                 Cell(atm.get("name") or atm_id), Cell(doc["id"], code=True)],
                                [Action("Modify", url(PATH + "/edit", id=doc["id"])),
                                 Action("Delete", url(PATH + "/delete", id=doc["id"]), danger=True)]))
            return Listing("Access Token Mappings", ["Context", "Access token manager", "Mapping ID"], rows,
                           ("Add Mapping", url(PATH + "/new")),
                           "For each context (a client credentials grant, a credential validator, a token exchange "
                           "processor policy, or the default), where every attribute of the manager's contract "
                           "gets its value.",
                           "No access token mapping exists yet.")

        return await page.render("listing.html", listing=await page.read(build))

    @console.page(PATH + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            context: dict[str, Any] = {"type": page.query("context", "CLIENT_CREDENTIALS")}
            if page.query("validator") or page.query("policy"):
                context["contextRef"] = {"id": page.query("validator") or page.query("policy")}
            draft = {"context": context, "accessTokenManagerRef": {"id": page.query("atm")}, FULFIL: {},
                     "issuanceCriteria": {"conditionalCriteria": []}}
            return await form_page(page, draft, None)
        return await submit(page, None)

    @console.page(PATH + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        mapping_id = page.query("id")
        existing = await page.read(lambda model: _get(model, mapping_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(PATH + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        mapping_id = page.query("id")
        doc = await page.read(lambda model: _get(model, mapping_id))
        if page.form is not None:
            await page.change(lambda model: mappings.delete(model, mapping_id))
            return await page.redirect(PATH, f"Access token mapping '{mapping_id}' deleted.")
        return await page.render("delete.html", what="access token mapping", label=_context_label(doc),
                                 ident=mapping_id, reasons=[], back=PATH,
                                 action=console.url(PATH + "/delete", id=mapping_id))


def _validator_attributes(model: ConfigModel, draft: dict[str, Any]) -> list[str]:
    pcv = model.get(PCV, ref_id(draft["context"], "contextRef") or "")
    if pcv is None:
        return []
    contract = pcv.get("attributeContract", {})
    return [a["name"] for a in contract.get("coreAttributes", []) + contract.get("extendedAttributes", [])]


def _policy_attributes(model: ConfigModel, draft: dict[str, Any]) -> list[str]:
    if draft["context"].get("type") != POLICY_CONTEXT:
        return []
    policy = model.get(TX_POLICY, ref_id(draft["context"], "contextRef") or "")
    return policy_contract(policy) if policy is not None else []

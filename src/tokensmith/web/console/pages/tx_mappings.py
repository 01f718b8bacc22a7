"""Applications > Token Exchange: Policy-to-Generator Mappings (``/oauth/tokenExchange/tokenGeneratorMappings``):
how a token generator's attribute contract is filled from a processor policy's contract when that
policy's exchange is issued by that generator.

The page follows the token-to-token mapping page (choose the pair, press "Show the attributes",
fill each generator attribute, add issuance criteria); saves and deletes go through the admin API's
service (:mod:`tokensmith.admin.tx_mappings`), whose ``validationErrors`` land at the inputs.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import tx_mappings
from tokensmith.config.model import TOKEN_GENERATOR, TX_MAPPING, TX_POLICY, ConfigModel
from tokensmith.errors import FieldError, ValidationFailed
from tokensmith.mapping import CONDITIONS
from tokensmith.sts import exchange_usage as tx
from tokensmith.sts.instances import contract_names
from tokensmith.web.console.forms import FormErrors, RowAction
from tokensmith.web.console.fulfilment import names, parse_criteria, parse_fulfilment
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.mapping_routes import register_mapping_routes
from tokensmith.web.console.references import name_of
from tokensmith.web.console.web import TOKEN_EXCHANGE, Console, FormInput, Page

PATH = "/token-exchange/policy-mappings"
FULFIL = "attributeContractFulfillment"
CRITERIA = "issuanceCriteria.conditionalCriteria"
POLICY_SOURCE = "TOKEN_EXCHANGE_PROCESSOR_POLICY"
SOURCES = [(POLICY_SOURCE, "Processor policy (contract attribute)"), ("CONTEXT", "Context"), ("TEXT", "Text"),
           ("NO_MAPPING", "No Mapping")]
Doc = dict[str, Any]


def _choices(model: ConfigModel, kind: str) -> list[tuple[str, str]]:
    return [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(kind)]


def parse(form: FormInput, existing: Doc | None, action: RowAction | None) -> Doc:
    source = existing["sourceId"] if existing else form.get("sourceId")
    target = existing["targetId"] if existing else form.get("targetId")
    criteria = dict((existing or {}).get("issuanceCriteria") or {})
    criteria["conditionalCriteria"] = parse_criteria(form, CRITERIA, action, POLICY_SOURCE)
    return {"sourceId": source, "targetId": target, FULFIL: parse_fulfilment(form, FULFIL),
            "issuanceCriteria": criteria}


def register(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "Policy-to-Generator Mappings", PATH)
    console.counters[PATH] = lambda model: len(model.ids(TX_MAPPING))
    url = console.url

    async def form_page(page: Page, draft: Doc, existing: Doc | None, errors: list[FieldError] | None = None,
                        status: int = 200) -> Response:
        def options(model: ConfigModel) -> Doc:
            policy = model.get(TX_POLICY, draft["sourceId"] or "")
            generator = model.get(TOKEN_GENERATOR, draft["targetId"] or "")
            return {"policies": _choices(model, TX_POLICY), "generators": _choices(model, TOKEN_GENERATOR),
                    "attributes": contract_names(model, TOKEN_GENERATOR, generator) if generator else [],
                    "policy_attributes": tx.policy_contract(policy) if policy else [],
                    "ready": policy is not None and generator is not None,
                    "problems": tx.tx_mapping_problems(model, draft) if existing is not None and errors is None
                    else []}

        opts = await page.read(options)
        found = errors if errors is not None else opts["problems"]
        placed = FormErrors.place(found, ["id", "sourceId", "targetId", "attributeSources", "issuanceCriteria",
                                          *names(FULFIL, opts["attributes"], CRITERIA,
                                                 len(draft["issuanceCriteria"]["conditionalCriteria"]))])
        return await page.render("tx_mapping_form.html", status=status, draft=draft, existing=existing, errors=placed,
                                 opts=opts, sources=SOURCES, context_values=tx.EXCHANGE_CONTEXT,
                                 conditions=sorted(CONDITIONS))

    async def submit(page: Page, existing: Doc | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = parse(page.form, existing, action)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing, [])
        try:
            if existing is None:
                await page.change(lambda model: tx_mappings.create(model, draft))
            else:
                await page.change(lambda model: tx_mappings.update(model, existing["id"], draft))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(PATH, "Policy-to-generator mapping saved.")

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(TX_MAPPING):
                problems = [e.message for e in tx.tx_mapping_problems(model, doc)]
                edit = url(PATH + "/edit", id=doc["id"])
                rows.append(Row([Cell(name_of(model, TX_POLICY, doc["sourceId"]), href=edit),
                                 Cell(name_of(model, TOKEN_GENERATOR, doc["targetId"])), Cell(doc["id"], code=True),
                                 Cell("Broken" if problems else "OK", badge="bad" if problems else "ok")],
                                [Action("Modify", edit),
                                 Action("Delete", url(PATH + "/delete", id=doc["id"]), danger=True)], problems))
            return Listing("Policy-to-Generator Mappings", ["Processor policy (source)", "Token generator (target)",
                                                            "Mapping ID", "Status"], rows,
                           ("Add Mapping", url(PATH + "/new")),
                           "How a token generator's attributes are filled from a processor policy's contract when a "
                           "token exchange under that policy is issued by that generator. The admin API has them at "
                           "/pf-admin-api/v1" + tx.TX_MAPPINGS_PATH + ".",
                           "No policy-to-generator mapping exists yet.")

        return await page.render("listing.html", listing=await page.read(build))

    register_mapping_routes(console, PATH, "policy-to-generator mapping", tx_mappings.get, tx_mappings.delete,
                            form_page, submit)

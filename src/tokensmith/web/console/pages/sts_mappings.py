"""Applications > Token Exchange: token-to-token mappings (processor to generator) and STS
connections (IdP connections whose WS-Trust token generator mappings issue local tokens).

Both listings check every entry against the instances it uses when they are opened, and flag the
broken ones.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import idpconnections, t2tmappings
from tokensmith.admin.context import public
from tokensmith.config.model import IDP_CONNECTION, T2T_MAPPING, TOKEN_GENERATOR, TOKEN_PROCESSOR, ConfigModel
from tokensmith.errors import FieldError, NotFound, ValidationFailed
from tokensmith.mapping import CONDITIONS
from tokensmith.sts import usage
from tokensmith.sts.instances import contract_names
from tokensmith.web.console.forms import FormErrors, RowAction, checked, row_indices
from tokensmith.web.console.fulfilment import names, parse_criteria, parse_fulfilment
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.mapping_routes import register_mapping_routes
from tokensmith.web.console.references import name_of
from tokensmith.web.console.web import TOKEN_EXCHANGE, Console, FormInput, Page

T2T_PATH = "/token-exchange/token-mappings"
CONNECTIONS_PATH = "/token-exchange/sts-connections"
FULFIL = "attributeContractFulfillment"
CRITERIA = "issuanceCriteria.conditionalCriteria"
WS_MAPPINGS = "wsTrust.tokenGeneratorMappings"
WS_DEFAULT = "wsTrust._default"  # form only: the index of the default mapping
WS_CONTRACT = "wsTrust.attributeContract.extendedAttributes"
SOURCE_LABELS = {"TOKEN": "Token (processor attribute)", "ASSERTION": "Assertion (incoming token)",
                 "TEXT": "Text", "CONTEXT": "Context", "NO_MAPPING": "No Mapping"}


def _choices(model: ConfigModel, kind: str) -> list[tuple[str, str]]:
    return [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(kind)]


def _attributes(model: ConfigModel, kind: str, instance_id: str) -> list[str]:
    doc = model.get(kind, instance_id)
    return contract_names(model, kind, doc) if doc is not None else []


def _sources(*kinds: str) -> list[tuple[str, str]]:
    return [(k, SOURCE_LABELS[k]) for k in kinds]


# --------------------------------------------------------------------------- token-to-token mappings


def parse_mapping(form: FormInput, existing: dict[str, Any] | None, action: RowAction | None) -> dict[str, Any]:
    source = existing["sourceId"] if existing else form.get("sourceId")
    target = existing["targetId"] if existing else form.get("targetId")
    return {"sourceId": source, "targetId": target, FULFIL: parse_fulfilment(form, FULFIL),
            "issuanceCriteria": {"conditionalCriteria": parse_criteria(form, CRITERIA, action, "TOKEN")}}


def _register_mappings(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "Token-to-Token Mappings", T2T_PATH)
    console.counters[T2T_PATH] = lambda model: len(model.ids(T2T_MAPPING))
    url = console.url

    async def form_page(page: Page, draft: dict[str, Any], existing: dict[str, Any] | None,
                        errors: list[FieldError] | None = None, status: int = 200) -> Response:
        def options(model: ConfigModel) -> dict[str, Any]:
            return {"processors": _choices(model, TOKEN_PROCESSOR), "generators": _choices(model, TOKEN_GENERATOR),
                    "attributes": _attributes(model, TOKEN_GENERATOR, draft["targetId"]),
                    "token_attributes": _attributes(model, TOKEN_PROCESSOR, draft["sourceId"]),
                    "ready": model.get(TOKEN_GENERATOR, draft["targetId"]) is not None
                    and model.get(TOKEN_PROCESSOR, draft["sourceId"]) is not None,
                    "problems": usage.mapping_problems(model, draft) if existing is not None and errors is None
                    else []}

        opts = await page.read(options)
        found = errors if errors is not None else opts["problems"]
        placed = FormErrors.place(found, ["sourceId", "targetId", "attributeSources", *names(
            FULFIL, opts["attributes"], CRITERIA, len(draft["issuanceCriteria"]["conditionalCriteria"]))])
        return await page.render("t2t_form.html", status=status, draft=draft, existing=existing, errors=placed,
                                 opts=opts, sources=_sources("TOKEN", "TEXT", "CONTEXT", "NO_MAPPING"),
                                 context_values=usage.STS_CONTEXT, conditions=sorted(CONDITIONS))

    async def submit(page: Page, existing: dict[str, Any] | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = parse_mapping(page.form, existing, action)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing, [])
        try:
            if existing is None:
                await page.change(lambda model: t2tmappings.create(model, draft))
            else:
                await page.change(lambda model: t2tmappings.update(model, existing["id"], draft))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(T2T_PATH, "Token-to-token mapping saved.")

    @console.page(T2T_PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(T2T_MAPPING):
                problems = [e.message for e in usage.mapping_problems(model, doc)]
                rows.append(Row([Cell(name_of(model, TOKEN_PROCESSOR, doc["sourceId"]),
                                      href=url(T2T_PATH + "/edit", id=doc["id"])),
                                 Cell(name_of(model, TOKEN_GENERATOR, doc["targetId"])), Cell(doc["id"], code=True),
                                 Cell("Broken" if problems else "OK", badge="bad" if problems else "ok")],
                                [Action("Modify", url(T2T_PATH + "/edit", id=doc["id"])),
                                 Action("Delete", url(T2T_PATH + "/delete", id=doc["id"]), danger=True)], problems))
            return Listing("Token-to-Token Mappings", ["Source (token processor)", "Target (token generator)",
                                                       "Mapping ID", "Status"], rows,
                           ("Add Mapping", url(T2T_PATH + "/new")),
                           "Which token generator translates the tokens a processor accepts at /pf/sts.wst, and "
                           "how each generator attribute is filled.", "No token-to-token mapping exists yet.")

        return await page.render("listing.html", listing=await page.read(build))

    register_mapping_routes(console, T2T_PATH, "token-to-token mapping", t2tmappings.get, t2tmappings.delete,
                            form_page, submit)


# --------------------------------------------------------------------------- STS connections


def parse_connection(form: FormInput, existing: dict[str, Any] | None, action: RowAction | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if existing is not None:
        body = {k: v for k, v in public(existing).items() if k not in ("creationDate", "modificationDate")}
    body.update({"name": form.get("name").strip(), "entityId": form.get("entityId").strip(),
                 "active": checked(form, "active")})
    if existing is None and form.get("id").strip():
        body["id"] = form.get("id").strip()
    pem = form.get("credentials.certs")
    if pem.strip():
        body["credentials"] = {"certs": [{"x509File": {"fileData": pem}, "activeVerificationCert": True}]}
    elif existing is None:
        body["credentials"] = {"certs": []}
    contract = []
    for i in row_indices(form, WS_CONTRACT):
        contract.append({"name": form.get(f"{WS_CONTRACT}[{i}].name").strip()})
    if action is not None:
        action.apply(WS_CONTRACT, contract, lambda: {"name": ""})
    else:
        contract = [c for c in contract if c["name"]]
    old_ws = (existing or {}).get("wsTrust") or {}
    mappings = _parse_generator_mappings(form, list(old_ws.get("tokenGeneratorMappings") or []), action)
    body["wsTrust"] = {"attributeContract": {"extendedAttributes": contract},
                       "generateLocalToken": checked(form, "wsTrust.generateLocalToken"),
                       "tokenGeneratorMappings": mappings}
    return body


def _generator_of(mapping: dict[str, Any]) -> str:
    return str((mapping.get("spTokenGeneratorRef") or {}).get("id", ""))


def _blank_generator_mapping() -> dict[str, Any]:
    return {"spTokenGeneratorRef": {"id": ""}, "defaultMapping": False, "attributeContractFulfillment": {},
            "issuanceCriteria": {"conditionalCriteria": []}}


def _parse_generator_mappings(form: FormInput, stored: list[dict[str, Any]],
                              action: RowAction | None) -> list[dict[str, Any]]:
    """Every token generator mapping of the form, each started from the stored mapping it came from
    (``_orig``) so that fields the console does not show survive a save. The radio button
    ``wsTrust._default`` names the default mapping; a single mapping is the default."""
    default = form.get(WS_DEFAULT)
    mappings: list[dict[str, Any]] = []
    for i in row_indices(form, WS_MAPPINGS):
        base = f"{WS_MAPPINGS}[{i}]"
        orig = form.get(base + "._orig")
        start = dict(stored[int(orig)]) if orig.isdigit() and int(orig) < len(stored) else {}
        start.update({"spTokenGeneratorRef": {"id": form.get(base + ".spTokenGeneratorRef.id")},
                      "defaultMapping": default == str(i),
                      "attributeContractFulfillment": parse_fulfilment(form, base + "." + FULFIL),
                      "issuanceCriteria": {"conditionalCriteria": parse_criteria(form, f"{base}.{CRITERIA}", action,
                                                                                 "ASSERTION")}})
        start["_orig"] = orig
        mappings.append(start)
    if action is not None:
        action.apply(WS_MAPPINGS, mappings, _blank_generator_mapping)
        return mappings  # still a draft: the form is shown again, blanks and all
    chosen = [m for m in mappings if m["spTokenGeneratorRef"]["id"]]
    if len(chosen) == 1:
        chosen[0]["defaultMapping"] = True
    return [{k: v for k, v in m.items() if k != "_orig"} for m in chosen]


def _register_connections(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "STS Connections", CONNECTIONS_PATH)
    console.counters[CONNECTIONS_PATH] = lambda model: len(model.ids(IDP_CONNECTION))
    url = console.url

    async def form_page(page: Page, draft: dict[str, Any], existing: dict[str, Any] | None,
                        errors: list[FieldError] | None = None, status: int = 200) -> Response:
        ws = draft.get("wsTrust") or {}
        mappings = list(ws.get("tokenGeneratorMappings") or []) or [_blank_generator_mapping()]

        def options(model: ConfigModel) -> dict[str, Any]:
            return {"generators": _choices(model, TOKEN_GENERATOR),
                    "attributes": [_attributes(model, TOKEN_GENERATOR, _generator_of(m)) for m in mappings],
                    "problems": usage.connection_problems(model, draft) if existing is not None and errors is None
                    else []}

        opts = await page.read(options)
        contract = (ws.get("attributeContract") or {}).get("extendedAttributes") or []
        views = []
        fields = ["id", "name", "entityId", "active", "credentials", "credentials.certs", "type", "wsTrust",
                  WS_MAPPINGS, WS_CONTRACT, *[f"{WS_CONTRACT}[{i}].name" for i in range(len(contract))]]
        for i, (mapping, attributes) in enumerate(zip(mappings, opts["attributes"], strict=True)):
            base = f"{WS_MAPPINGS}[{i}]"
            criteria = (mapping.get("issuanceCriteria") or {}).get("conditionalCriteria") or []
            orig = mapping.get("_orig", str(i) if existing is not None and "_orig" not in mapping else "")
            views.append({"base": base, "index": i, "doc": mapping, "attributes": attributes, "orig": orig,
                          "generator": _generator_of(mapping),
                          "default": bool(mapping.get("defaultMapping")) or len(mappings) == 1,
                          "criteria": criteria})
            fields += [base, base + ".spTokenGeneratorRef.id", base + ".spTokenGeneratorRef", base + ".defaultMapping",
                       *names(f"{base}.{FULFIL}", attributes, f"{base}.{CRITERIA}", len(criteria))]
        found = errors if errors is not None else opts["problems"]
        return await page.render("connection_form.html", status=status, draft=draft, existing=existing,
                                 errors=FormErrors.place(found, fields), opts=opts, mappings=views,
                                 contract=contract, sources=_sources("ASSERTION", "TEXT", "CONTEXT", "NO_MAPPING"),
                                 context_values=usage.STS_CONTEXT, conditions=sorted(CONDITIONS),
                                 assertion=[usage.TOKEN_SUBJECT, *[c["name"] for c in contract if c["name"]]])

    async def submit(page: Page, existing: dict[str, Any] | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        draft = parse_connection(page.form, existing, action)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing, [])
        ctx = page.admin_context()
        try:
            if existing is None:
                doc = await page.change(lambda model: idpconnections.create(ctx, model, draft))
            else:
                doc = await page.change(lambda model: idpconnections.update(ctx, model, existing["id"], draft))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(CONNECTIONS_PATH, f"STS connection '{doc['name']}' saved.")

    def _get(model: ConfigModel, connection_id: str) -> dict[str, Any]:
        doc = model.get(IDP_CONNECTION, connection_id)
        if doc is None:
            raise NotFound(f"There is no STS connection with id '{connection_id}'.")
        return doc

    @console.page(CONNECTIONS_PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(IDP_CONNECTION):
                problems = [e.message for e in usage.connection_problems(model, doc)]
                generators = [name_of(model, TOKEN_GENERATOR, m["spTokenGeneratorRef"]["id"])
                              for m in doc["wsTrust"].get("tokenGeneratorMappings") or []]
                rows.append(Row([Cell(doc.get("name") or doc["id"], href=url(CONNECTIONS_PATH + "/edit", id=doc["id"])),
                                 Cell(doc["entityId"], code=True), Cell(", ".join(generators)),
                                 Cell("Active" if doc.get("active") else "Inactive",
                                      badge="ok" if doc.get("active") else ""),
                                 Cell("Broken" if problems else "OK", badge="bad" if problems else "ok")],
                                [Action("Modify", url(CONNECTIONS_PATH + "/edit", id=doc["id"])),
                                 Action("Delete", url(CONNECTIONS_PATH + "/delete", id=doc["id"]), danger=True)],
                                problems))
            return Listing("STS Connections", ["Connection", "Partner (entity ID)", "Token generators", "State",
                                               "Status"], rows, ("Add Connection", url(CONNECTIONS_PATH + "/new")),
                           "Partners whose signed tokens /sp/sts.wst accepts, and the token generators that issue "
                           "local tokens for them.", "No STS connection exists yet.")

        return await page.render("listing.html", listing=await page.read(build))

    @console.page(CONNECTIONS_PATH + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            draft = {"name": "", "entityId": "", "active": True,
                     "wsTrust": {"attributeContract": {"extendedAttributes": []}, "generateLocalToken": True,
                                 "tokenGeneratorMappings": []}}
            return await form_page(page, draft, None, [])
        return await submit(page, None)

    @console.page(CONNECTIONS_PATH + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        connection_id = page.query("id")
        existing = await page.read(lambda model: _get(model, connection_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(CONNECTIONS_PATH + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        connection_id = page.query("id")
        doc = await page.read(lambda model: _get(model, connection_id))
        if page.form is not None:
            await page.change(lambda model: idpconnections.delete(model, connection_id))
            return await page.redirect(CONNECTIONS_PATH, f"STS connection '{doc.get('name')}' deleted.")
        return await page.render("delete.html", what="STS connection", label=doc.get("name") or connection_id,
                                 ident=connection_id, reasons=[], back=CONNECTIONS_PATH,
                                 action=console.url(CONNECTIONS_PATH + "/delete", id=connection_id))


def register(console: Console) -> None:
    _register_mappings(console)
    _register_connections(console)

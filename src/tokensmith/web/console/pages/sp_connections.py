"""Console: the SP connections of the IdP-side STS (``/idp/spConnections``): listed with their
partner service ids, token type, processors and state; created and edited on one form (signing and
encryption, partner service ids, token settings, attribute contract and every token processor
mapping, in order); deleted after a confirmation.

Saving goes through the admin API's service (:mod:`tokensmith.admin.spconnections`), so the form
obeys the same rules and shows the same ``validationErrors`` next to the inputs named by their
``fieldPath``. The form is read on top of the stored connection (:mod:`..sp_form`), so what the
page does not show survives an edit.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.admin import spconnections
from tokensmith.config.model import KEYPAIR, SP_CONNECTION, TOKEN_PROCESSOR, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.mapping import CONDITIONS
from tokensmith.sts import spsettings, usage
from tokensmith.sts.certs import certificate_from_text
from tokensmith.sts.instances import contract_names
from tokensmith.web.console import sp_form
from tokensmith.web.console.forms import FormErrors, RowAction
from tokensmith.web.console.fulfilment import names
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.references import name_of
from tokensmith.web.console.web import TOKEN_EXCHANGE, Console, Page

PATH = "/token-exchange/sp-connections"
TOKEN_TYPES = {spsettings.SAML20: "SAML 2.0", spsettings.SAML11: "SAML 1.1",
               spsettings.SAML11_O365: "SAML 1.1 for Office 365"}
SOURCES = [("TOKEN", "Token (processor attribute)"), ("TEXT", "Text"), ("CONTEXT", "Context"),
           ("NO_MAPPING", "No Mapping")]
TOP_FIELDS = ["id", "name", "entityId", "active", "type", "credentials", "credentials.signingSettings",
              sp_form.SIGNING + ".signingKeyPairRef.id", sp_form.SIGNING + ".algorithm",
              sp_form.SIGNING + ".includeCertInSignature", sp_form.SIGNING + ".includeRawKeyInSignature",
              "credentials.decryptionKeyPairRef.id", sp_form.ENCRYPTION_PEM, "wsTrust", "wsTrust.partnerServiceIds",
              "wsTrust.defaultTokenType", "wsTrust.generateKey", "wsTrust.encryptSaml2Assertion",
              "wsTrust.minutesBefore", "wsTrust.minutesAfter", "wsTrust.attributeContract", sp_form.CONTRACT,
              sp_form.MAPPINGS]


def _get(model: ConfigModel, connection_id: str) -> dict[str, Any]:
    doc = model.get(SP_CONNECTION, connection_id)
    if doc is None:
        raise NotFound(f"There is no SP connection with id '{connection_id}'.")
    return doc


def _choices(model: ConfigModel, kind: str) -> list[tuple[str, str]]:
    return [(d["id"], f"{d.get('name') or d['id']} ({d['id']})") for d in model.all(kind)]


def _processor_attributes(model: ConfigModel, processor_id: str) -> list[str]:
    doc = model.get(TOKEN_PROCESSOR, processor_id)
    return contract_names(model, TOKEN_PROCESSOR, doc) if doc is not None else []


def _encryption_subject(doc: dict[str, Any]) -> str:
    cert = spsettings.encryption_cert(doc)
    if cert is None:
        return ""
    try:
        return certificate_from_text(cert["x509File"]["fileData"]).subject.rfc4514_string()
    except (ValueError, KeyError):
        return "(unreadable certificate)"


def register(console: Console) -> None:
    console.add_nav(TOKEN_EXCHANGE, "SP Connections", PATH)
    console.counters[PATH] = lambda model: len(model.ids(SP_CONNECTION))
    url = console.url

    async def form_page(page: Page, draft: dict[str, Any], existing: dict[str, Any] | None,
                        errors: list[FieldError] | None = None, status: int = 200) -> Response:
        ws = draft.get("wsTrust") or {}
        mappings = list(ws.get("tokenProcessorMappings") or []) or [sp_form.blank_mapping()]
        contract = (ws.get("attributeContract") or {}).get("extendedAttributes") or []
        attributes = [usage.TOKEN_SUBJECT, *[c["name"] for c in contract if c.get("name")]]

        def options(model: ConfigModel) -> dict[str, Any]:
            return {"processors": _choices(model, TOKEN_PROCESSOR), "key_pairs": _choices(model, KEYPAIR),
                    "token_attributes": [_processor_attributes(model, (m.get("idpTokenProcessorRef") or {})
                                                               .get("id", "")) for m in mappings],
                    "problems": usage.sp_connection_problems(model, draft) if existing is not None and errors is None
                    else []}

        opts = await page.read(options)
        fields = [*TOP_FIELDS, *[f"{sp_form.CONTRACT}[{i}]{part}" for i in range(len(contract))
                                 for part in ("", ".name", ".namespace")]]
        views = []
        for i, (mapping, token_attributes) in enumerate(zip(mappings, opts["token_attributes"], strict=True)):
            base = f"{sp_form.MAPPINGS}[{i}]"
            criteria = (mapping.get("issuanceCriteria") or {}).get("conditionalCriteria") or []
            orig = mapping.get("_orig", str(i) if existing is not None and "_orig" not in mapping else "")
            views.append({"base": base, "index": i, "doc": mapping, "orig": orig, "token_attributes": token_attributes,
                          "processor": (mapping.get("idpTokenProcessorRef") or {}).get("id", ""),
                          "criteria": criteria})
            fields += [base, base + ".idpTokenProcessorRef.id", base + ".idpTokenProcessorRef",
                       base + ".attributeSources", base + ".restrictedVirtualEntityIds",
                       *names(f"{base}.{sp_form.FULFIL}", attributes, f"{base}.{sp_form.CRITERIA}", len(criteria))]
        found = errors if errors is not None else opts["problems"]
        return await page.render("sp_connection_form.html", status=status, draft=draft, existing=existing,
                                 errors=FormErrors.place(found, fields), opts=opts, mappings=views,
                                 contract=contract, attributes=attributes, sources=SOURCES,
                                 context_values=usage.STS_CONTEXT, conditions=sorted(CONDITIONS),
                                 token_types=list(TOKEN_TYPES.items()),
                                 algorithms=[(a, a) for a in spsettings.SIGNING_ALGORITHMS],
                                 encryption=_encryption_subject(draft))

    async def submit(page: Page, existing: dict[str, Any] | None) -> Response:
        assert page.form is not None
        action = RowAction.parse(page.form.action)
        parse_errors = ErrorCollector()
        draft = sp_form.parse(page.form, existing, action, parse_errors)
        if action is not None or page.form.action == "refresh":
            return await form_page(page, draft, existing, [])
        if parse_errors:
            return await form_page(page, draft, existing, parse_errors.errors, 422)
        ctx = page.admin_context()
        body = sp_form.without_form_marks(draft)
        try:
            if existing is None:
                doc = await page.change(lambda model: spconnections.create(ctx, model, body))
            else:
                doc = await page.change(lambda model: spconnections.update(ctx, model, existing["id"], body))
        except ValidationFailed as exc:
            return await form_page(page, draft, existing, exc.errors, 422)
        return await page.redirect(PATH, f"SP connection '{doc['name']}' saved.")

    @console.page(PATH + "/new", ("GET", "POST"))
    async def create(page: Page) -> Response:
        if page.form is None:
            return await form_page(page, sp_form.new_draft(), None, [])
        return await submit(page, None)

    @console.page(PATH + "/edit", ("GET", "POST"))
    async def edit(page: Page) -> Response:
        connection_id = page.query("id")
        existing = await page.read(lambda model: _get(model, connection_id))
        if page.form is None:
            return await form_page(page, existing, existing)
        return await submit(page, existing)

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(SP_CONNECTION):
                ws = spsettings.ws_trust(doc)
                problems = [e.message for e in usage.sp_connection_problems(model, doc)]
                processors = [name_of(model, TOKEN_PROCESSOR, m["idpTokenProcessorRef"]["id"])
                              for m in ws.get("tokenProcessorMappings") or []]
                services = ", ".join(ws.get("partnerServiceIds") or [])
                rows.append(Row([Cell(doc.get("name") or doc["id"], href=url(PATH + "/edit", id=doc["id"])),
                                 Cell(services, code=True),
                                 Cell(TOKEN_TYPES.get(spsettings.token_type(doc), spsettings.token_type(doc))),
                                 Cell(", ".join(processors)),
                                 Cell("Active" if doc.get("active") else "Inactive",
                                      badge="ok" if doc.get("active") else ""),
                                 Cell("Broken" if problems else "OK", badge="bad" if problems else "ok")],
                                [Action("Modify", url(PATH + "/edit", id=doc["id"])),
                                 Action("Delete", url(PATH + "/delete", id=doc["id"]), danger=True)], problems))
            return Listing("SP Connections", ["Connection", "Partner service ids (AppliesTo)", "Token type",
                                              "Token processors", "State", "Status"], rows,
                           ("Add Connection", url(PATH + "/new")),
                           "Web services that /idp/sts.wst issues SAML tokens for, chosen by the request's AppliesTo. "
                           "The admin API has them at /pf-admin-api/v1/idp/spConnections.",
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

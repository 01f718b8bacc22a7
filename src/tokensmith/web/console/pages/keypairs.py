"""Security > Signing Keys & Certificates: list, generate, import (PKCS#12 or PEM upload),
download the certificate, Check Usage, delete with the reasons it is refused.

Private keys never reach the browser; exporting them stays an explicit admin API call.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import Response

from tokensmith.admin import keypairs
from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, ValidationFailed
from tokensmith.keys import material as km
from tokensmith.web.console.forms import FormErrors, lines, to_int
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.web import SECURITY, Console, Page

PATH = "/security/signing-key-pairs"
GENERATE_FIELDS = ["id", "commonName", "subjectAlternativeNames", "organization", "organizationUnit", "city",
                   "state", "country", "validDays", "keyAlgorithm", "keySize", "signatureAlgorithm", "cryptoProvider"]
IMPORT_FIELDS = ["id", "fileData", "format", "password", "encryptedPassword", "cryptoProvider"]
KEY_SIZES = [("2048", "RSA 2048"), ("3072", "RSA 3072"), ("4096", "RSA 4096"), ("256", "EC P-256"),
             ("384", "EC P-384"), ("521", "EC P-521")]
SIGNATURES = [(name, name) for name in km.SIGNATURE_ALGORITHMS]


def _usage(page: Page, model: ConfigModel, key_pair_id: str) -> list[FieldError]:
    keypairs.get(model, key_pair_id)
    return page.deps.key_users.users(model, key_pair_id)


def register(console: Console) -> None:
    console.add_nav(SECURITY, "Signing Keys & Certificates", PATH)
    console.counters[PATH] = lambda model: len(model.ids(KEYPAIR))
    url = console.url

    @console.page(PATH)
    async def listing(page: Page) -> Response:
        ctx = page.admin_context()

        def build(model: ConfigModel) -> Listing:
            rows = []
            for doc in model.all(KEYPAIR):
                v = keypairs.view(ctx, doc)
                status = v.get("status", "")
                rows.append(Row([Cell(v["id"], code=True), Cell(v.get("subjectDN", "")),
                                 Cell(f"{v.get('keyAlgorithm')} {v.get('keySize')}"),
                                 Cell(v.get("expires", "")),
                                 Cell(status.replace("_", " ").capitalize(),
                                      badge="ok" if status == "VALID" else "bad")],
                                [Action("Certificate", url(PATH + "/certificate", id=v["id"])),
                                 Action("Check Usage", url(PATH + "/usage", id=v["id"])),
                                 Action("Delete", url(PATH + "/delete", id=v["id"]), danger=True)]))
            return Listing("Signing Keys & Certificates", ["ID", "Subject DN", "Key", "Expires", "Status"], rows,
                           ("Create New", url(PATH + "/generate")),
                           "Key pairs that sign tokens and assertions. Generate one with a self-signed certificate "
                           "or import a PKCS#12 or PEM file.",
                           "No signing key pair exists yet.", "_keypair_links.html")

        return await page.render("listing.html", listing=await page.read(build))

    @console.page(PATH + "/generate", ("GET", "POST"))
    async def generate(page: Page) -> Response:
        draft: dict[str, Any] = {"validDays": "365", "keyAlgorithm": "RSA", "keySize": "2048", "country": "US"}
        if page.form is None:
            return await page.render("keypair_generate.html", draft=draft, errors=FormErrors.none(),
                                     sizes=KEY_SIZES, signatures=SIGNATURES)
        form = page.form
        errors = ErrorCollector()
        draft = {name: form.get(name).strip() for name in GENERATE_FIELDS if name != "subjectAlternativeNames"}
        draft["subjectAlternativeNames"] = form.get("subjectAlternativeNames")
        body: dict[str, Any] = {k: v for k, v in draft.items() if v and k in (
            "id", "commonName", "organization", "organizationUnit", "city", "state", "country", "keyAlgorithm",
            "signatureAlgorithm")}
        body["subjectAlternativeNames"] = lines(draft["subjectAlternativeNames"])
        for name, label in (("validDays", "Validity (days)"), ("keySize", "Key size")):
            number = to_int(draft.get(name, ""), name, errors, label)
            if number is not None:
                body[name] = number
        for name in ("commonName", "organization", "country"):
            body.setdefault(name, "")
        ctx = page.admin_context()
        try:
            errors.raise_if_any()
            prepared = await page.read(lambda model: keypairs.prepare_generate(ctx, model, body))
            doc = await page.change(lambda model: keypairs.add(ctx, model, prepared))
        except ValidationFailed as exc:
            return await page.render("keypair_generate.html", status=422, draft=draft, sizes=KEY_SIZES,
                                     errors=FormErrors.place(exc.errors, GENERATE_FIELDS),
                                     signatures=SIGNATURES)
        return await page.redirect(PATH, f"Key pair '{doc['id']}' generated.")

    @console.page(PATH + "/import", ("GET", "POST"))
    async def import_file(page: Page) -> Response:
        draft: dict[str, Any] = {"format": "PKCS12", "id": ""}
        if page.form is None:
            return await page.render("keypair_import.html", draft=draft, errors=FormErrors.none())
        form = page.form
        draft = {"format": form.get("format") or "PKCS12", "id": form.get("id").strip(), "text": form.get("fileText")}
        upload = form.file("fileData")
        body: dict[str, Any] = {"format": draft["format"], "password": form.get("password")}
        if draft["id"]:
            body["id"] = draft["id"]
        errors = ErrorCollector()
        if draft["format"] not in ("PKCS12", "PEM"):
            errors.add("format", "Choose PKCS12 or PEM")
        if upload:
            body["fileData"] = base64.b64encode(upload).decode("ascii")
        elif draft["text"].strip():
            body["fileData"] = draft["text"]
        else:
            errors.add("fileData", "Choose a file to import, or paste PEM text", "required_field_missing")
        ctx = page.admin_context()
        try:
            errors.raise_if_any()
            prepared = await page.read(lambda model: keypairs.prepare_import(ctx, model, body))
            doc = await page.change(lambda model: keypairs.add(ctx, model, prepared))
        except ValidationFailed as exc:
            return await page.render("keypair_import.html", status=422, draft=draft,
                                     errors=FormErrors.place(exc.errors, IMPORT_FIELDS))
        return await page.redirect(PATH, f"Key pair '{doc['id']}' imported.")

    @console.page(PATH + "/certificate")
    async def certificate(page: Page) -> Response:
        key_pair_id = page.query("id")
        data = await page.read(lambda model: keypairs.certificate_pem(model, key_pair_id))
        safe = "".join(c for c in key_pair_id if c.isalnum() or c in "._-") or "certificate"
        return Response(data, media_type="application/x-x509-ca-cert",
                        headers={"content-disposition": f'attachment; filename="{safe}.crt"'})

    @console.page(PATH + "/usage")
    async def usage(page: Page) -> Response:
        key_pair_id = page.query("id")
        users = await page.read(lambda model: _usage(page, model, key_pair_id))
        return await page.render("usage.html", r={"title": "Signing Keys & Certificates", "singular": "key pair"},
                                 doc={"id": key_pair_id, "name": key_pair_id}, users=[u.message for u in users],
                                 back=PATH)

    @console.page(PATH + "/delete", ("GET", "POST"))
    async def remove(page: Page) -> Response:
        key_pair_id = page.query("id")
        reasons = await page.read(lambda model: _usage(page, model, key_pair_id))
        status = 200
        if page.form is not None:
            try:
                await page.change(lambda model: keypairs.delete(model, key_pair_id, page.deps.key_users))
            except ValidationFailed as exc:
                reasons, status = exc.errors, 422
            else:
                return await page.redirect(PATH, f"Key pair '{key_pair_id}' deleted.")
        return await page.render("delete.html", status=status, what="signing key pair", label=key_pair_id,
                                 ident=key_pair_id, reasons=[r.message for r in reasons], back=PATH,
                                 action=console.url(PATH + "/delete", id=key_pair_id))

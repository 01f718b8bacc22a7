"""``/bulk/export`` and ``/bulk/import``: the whole configuration in PingFederate's bulk format."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request

from tokensmith.bulk.document import export_document, import_document
from tokensmith.bulk.resources import ExportOptions
from tokensmith.web.routing import BASE, ERRORS, Deps


def register(app: FastAPI, deps: Deps) -> None:
    tag: list[str | Enum] = ["/bulk"]

    @app.get(BASE + "/bulk/export", tags=tag, responses=ERRORS,
             description="The configuration as a bulk document. Secrets stay encrypted under this server's "
                         "master key; key pairs are PKCS#12 files whose passwords are encrypted the same way, "
                         "so the document imports into this server or nodes sharing its master key. Use "
                         "`tokensmith export --key-password-env` for a document another server can import.")
    def bulk_export(request: Request, includeExternalResources: bool = False) -> dict[str, Any]:
        c = deps.ctx(request)
        return deps.read(lambda model: export_document(c, model, ExportOptions()))

    @app.post(BASE + "/bulk/import", tags=tag, responses=ERRORS,
              description="Save every item of a bulk document in one transaction: all or nothing. An item of a "
                          "resource type this server does not serve fails the import (422, one "
                          "`unsupported_resource_type` entry per item) unless `skipUnsupported=true`; then "
                          "each skipped item is listed under `skipped`.")
    def bulk_import(request: Request, document: dict[str, Any], skipUnsupported: bool = False) -> dict[str, Any]:
        c = deps.ctx(request)
        return deps.change(lambda model: import_document(c, model, document,
                                                         skip_unsupported=skipUnsupported)).to_json()

"""What IdP connections and SP connections share as stored documents: the id rule, and create /
update / delete around each kind's own ``build(model, body, errors)`` (which checks a body and
returns the document to store, collecting every problem in the given :class:`ErrorCollector`).

Both kinds follow PingFederate: a create without an id gets a random one, an update's body may
repeat the path's id but not name another, no two connections of a kind share an entityId, and
nothing is stored unless every rule holds. The creation and modification dates are stamped here.

The same kind serves other named collections with the same rules (the token exchange processor
policies and generator groups): ``unique`` names the member no two documents may share (``name``
there), ``dated`` says whether the dates are stamped, ``id_required`` refuses a create without an id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokensmith.admin.context import AdminContext
from tokensmith.config.model import ConfigModel
from tokensmith.errors import ErrorCollector, NotFound

CONNECTION_ID = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
Doc = dict[str, Any]
Build = Callable[[ConfigModel, Doc, ErrorCollector], Doc]


@dataclass(frozen=True)
class ConnectionKind:
    kind: str  # the configuration kind (IDP_CONNECTION, SP_CONNECTION)
    label: str  # "IdP connection", "SP connection": how messages name one
    unique: str = "entityId"  # the member no two documents of the kind may share
    dated: bool = True  # stamp creationDate / modificationDate
    id_required: bool = False  # a create must name its id (else a random one is chosen)

    def get(self, model: ConfigModel, connection_id: str) -> Doc:
        doc = model.get(self.kind, connection_id)
        if doc is None:
            raise NotFound(f"{self.label} '{connection_id}' does not exist.")
        return doc

    def create(self, ctx: AdminContext, model: ConfigModel, body: Doc, build: Build) -> Doc:
        errors = ErrorCollector()
        connection_id = body.get("id") or ("" if self.id_required else secrets.token_hex(8))
        if not connection_id:
            errors.add("id", "id is required", "required_field_missing")
        elif not isinstance(connection_id, str) or not CONNECTION_ID.match(connection_id):
            errors.add("id", "The id may use only letters, digits, '.', '_' and '-'")
        elif model.get(self.kind, connection_id) is not None:
            errors.add("id", f"{_article(self.label)} {self.label} with id '{connection_id}' already exists",
                       "duplicate_id")
        doc = self._built(ctx, model, {**body, "id": connection_id}, errors, None, build)
        model.put(self.kind, str(connection_id), doc)
        return doc

    def update(self, ctx: AdminContext, model: ConfigModel, connection_id: str, body: Doc, build: Build) -> Doc:
        existing = self.get(model, connection_id)
        errors = ErrorCollector()
        if body.get("id") not in (None, connection_id):
            errors.add("id", "The id in the body must match the id in the path")
        doc = self._built(ctx, model, {**body, "id": connection_id}, errors, existing, build)
        model.put(self.kind, connection_id, doc)
        return doc

    def _built(self, ctx: AdminContext, model: ConfigModel, body: Doc, errors: ErrorCollector,
               existing: Doc | None, build: Build) -> Doc:
        doc = build(model, body, errors)
        value = doc.get(self.unique)
        for other in model.all(self.kind):
            if value is not None and other["id"] != doc["id"] and other.get(self.unique) == value:
                errors.add(self.unique, f"{self.label[0].upper()}{self.label[1:]} '{other['id']}' already has "
                           f"{self.unique} '{value}'", "duplicate_value" if self.unique != "entityId"
                           else "validation_error")
        errors.raise_if_any()
        if not self.dated:
            return doc
        now = ctx.timestamp()
        doc["creationDate"] = existing["creationDate"] if existing else now
        doc["modificationDate"] = now
        return doc

    def listing(self, model: ConfigModel, render: Callable[[Doc], Doc]) -> Doc:
        return {"items": [render(doc) for doc in model.all(self.kind)]}

    def delete(self, model: ConfigModel, connection_id: str) -> None:
        self.get(model, connection_id)
        model.delete(self.kind, connection_id)


def _article(label: str) -> str:
    return "An" if label[:1].lower() in "aeiou" or label.startswith(("IdP", "SP")) else "A"

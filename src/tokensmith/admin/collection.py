"""One admin collection of stored documents: read, create, update and delete with the same rules and
messages for every resource.

Each admin resource differs in how it builds a document from a submitted body (its ``build``), and in
what refers to it (its ``in_use``); what surrounds that is the same everywhere and lives here once:

* a missing document is a 404 naming it;
* a create checks the key (``id``, or ``clientId`` for clients) and refuses a duplicate, an update
  refuses a body whose key differs from the path, and neither stores anything when ``build`` (or
  these checks) found a problem: every problem is reported at once, and nothing is half-written;
* a resource whose key is derived from its contents (mappings: context and manager, source and
  target) refuses a create of an existing key and an update that would change the key;
* a delete is refused, naming every user, while anything refers to the document.

Connections and token exchange policies and groups have their own id rules (random ids, entityId or
name uniqueness, dates) in :mod:`tokensmith.admin.connections`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokensmith.admin.context import check_instance_id
from tokensmith.config.model import ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed

Doc = dict[str, Any]
# (body with the key as stored, errors so far, the stored document on update or None) -> new document;
# it adds its own problems to ``errors`` and raises them (with those found before) when there are any.
Build = Callable[[Doc, ErrorCollector, Doc | None], Doc]
KeyCheck = Callable[[Any, ErrorCollector], None]


def _article(label: str) -> str:
    return "An" if label[:1].lower() in "aeiou" else "A"


@dataclass(frozen=True)
class Collection:
    kind: str  # the configuration model kind
    label: str  # how messages name one document: "access token manager"
    key: str = "id"  # the body member holding the document's key

    @property
    def title(self) -> str:
        return self.label[:1].upper() + self.label[1:]

    def get(self, model: ConfigModel, item_id: str) -> Doc:
        doc = model.get(self.kind, item_id)
        if doc is None:
            raise NotFound(f"{self.title} '{item_id}' does not exist.")
        return doc

    def create(self, model: ConfigModel, body: Doc, build: Build, check_key: KeyCheck = check_instance_id) -> Doc:
        errors = ErrorCollector()
        key = body.get(self.key)
        check_key(key, errors)
        if isinstance(key, str) and not errors and model.get(self.kind, key) is not None:
            errors.add(self.key, f"{_article(self.label)} {self.label} with id '{key}' already exists",
                       "duplicate_id")
        doc = build(body, errors, None)
        errors.raise_if_any()
        model.put(self.kind, doc[self.key], doc)
        return doc

    def update(self, model: ConfigModel, item_id: str, body: Doc, build: Build) -> Doc:
        existing = self.get(model, item_id)
        errors = ErrorCollector()
        if body.get(self.key) not in (None, item_id):
            errors.add(self.key, f"The {self.key} in the body must match the id in the path")
        doc = build({**body, self.key: item_id}, errors, existing)
        errors.raise_if_any()
        model.put(self.kind, item_id, doc)
        return doc

    def create_derived(self, model: ConfigModel, body: Doc, build: Build, field: str, duplicate: str) -> Doc:
        """Create a document whose key ``build`` derives from its contents; ``duplicate`` (formatted
        with the new document) is the message at ``field`` when that key is taken."""
        errors = ErrorCollector()
        doc = build(body, errors, None)
        if model.get(self.kind, doc[self.key]) is not None:
            errors.add(field, duplicate.format(**doc), "duplicate_id")
        errors.raise_if_any()
        model.put(self.kind, doc[self.key], doc)
        return doc

    def update_derived(self, model: ConfigModel, item_id: str, body: Doc, build: Build, field: str,
                       changed: str) -> Doc:
        """Update a document with a derived key; ``changed`` (formatted with ``new`` and ``old``) is the
        message at ``field`` when the new contents give another key."""
        existing = self.get(model, item_id)
        errors = ErrorCollector()
        doc = build(body, errors, existing)
        if doc[self.key] != item_id and not errors:
            errors.add(field, changed.format(new=doc[self.key], old=item_id))
        errors.raise_if_any()
        model.put(self.kind, item_id, doc)
        return doc

    def delete(self, model: ConfigModel, item_id: str,
               in_use: Callable[[ConfigModel, str], list[FieldError]] = lambda _m, _i: []) -> None:
        self.get(model, item_id)
        users = in_use(model, item_id)
        if users:
            raise ValidationFailed(users, f"{self.title} '{item_id}' is in use and cannot be deleted.")
        model.delete(self.kind, item_id)

"""Build and apply a bulk configuration document.

The format is PingFederate's bulk export::

    {"metadata": {"pfVersion": "..."},
     "operations": [{"resourceType": "/oauth/clients", "operationType": "SAVE", "items": [...]}, ...]}

An import runs inside one configuration transaction: either every item is saved or nothing is.
Problems are reported all at once, each with a ``fieldPath`` that starts at the item, for example
``operations[3].items[0].configuration.fields[Token Length]``. Resource types this server does not
manage (a PingFederate export holds many) are skipped and listed in the result, never silently.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tokensmith import __version__
from tokensmith.admin import models as m
from tokensmith.admin.context import AdminContext
from tokensmith.bulk.resources import BulkResource, ExportOptions, Saver, by_path, registry
from tokensmith.config.model import ConfigModel
from tokensmith.crypto.secretbox import SecretBoxError
from tokensmith.errors import AdminApiError, ErrorCollector, FieldError, ValidationFailed

SAVE = "SAVE"
SUBSTITUTION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class ImportResult:
    saved: dict[str, int] = field(default_factory=dict)
    # One entry per item of a resource type this server does not serve (only with skip_unsupported).
    skipped: list[dict[str, str]] = field(default_factory=list)
    new_secrets: dict[str, str] = field(default_factory=dict)  # client id -> generated secret (CLI only)

    def to_json(self) -> dict[str, Any]:
        message = "The configuration was imported."
        if self.skipped:
            message += f" {len(self.skipped)} item(s) of resource types this server does not serve were skipped."
        return {"resultId": "success", "message": message, "saved": self.saved, "skipped": self.skipped}


SKIP_HINT = ("this server does not serve this resource type, so the item would be skipped; import with "
             "skipUnsupported=true (tokensmith import --skip-unsupported) to skip such items")


def _item_id(item: Any) -> str:
    """The id an item is known by (``clientId`` for clients), or '' when it has none."""
    if isinstance(item, dict):
        for key in ("id", "clientId", "name"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return ""


def export_document(ctx: AdminContext, model: ConfigModel, options: ExportOptions) -> dict[str, Any]:
    operations = []
    for resource in registry():
        items = resource.export(ctx, model, options)
        if items:
            operations.append({"resourceType": resource.path, "operationType": SAVE, "items": items})
    return {"metadata": {"pfVersion": f"tokensmith-{__version__}"}, "operations": operations}


def substitute(value: Any, environ: dict[str, str] | None = None) -> Any:
    """Replace ``${NAME}`` in every string by the environment variable NAME (as PF server profiles do)."""
    env = os.environ if environ is None else environ
    missing: set[str] = set()

    def text(s: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                missing.add(name)
                return match.group(0)
            return env[name]

        return SUBSTITUTION.sub(one, s)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    out = walk(value)
    if missing:
        raise ValidationFailed([FieldError("", f"Environment variable '{name}' is not set", "missing_variable")
                                for name in sorted(missing)])
    return out


def _shape(document: Any) -> list[tuple[int, str, list[Any]]]:
    """(operation index, resource type, items) for every operation, or a 422 naming what is wrong."""
    errors = ErrorCollector()
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError("", "The document must be a JSON object with 'operations'")])
    operations = document.get("operations")
    if not isinstance(operations, list):
        raise ValidationFailed([FieldError("operations", "'operations' must be a list", "required_field_missing")])
    found = []
    for i, op in enumerate(operations):
        path = f"operations[{i}]"
        if not isinstance(op, dict):
            errors.add(path, "Each operation must be an object")
            continue
        if op.get("operationType", SAVE) != SAVE:
            errors.add(f"{path}.operationType", "Only SAVE operations are supported")
        if not isinstance(op.get("resourceType"), str):
            errors.add(f"{path}.resourceType", "resourceType is required", "required_field_missing")
        if not isinstance(op.get("items"), list):
            errors.add(f"{path}.items", "items must be a list", "required_field_missing")
        if not errors:
            found.append((i, op["resourceType"], op["items"]))
    errors.raise_if_any()
    return found


def _validated(resource: BulkResource, item: Any, path: str, errors: ErrorCollector) -> dict[str, Any] | None:
    try:
        parsed = resource.model.model_validate(item)
    except ValidationError as exc:
        for err in exc.errors():
            loc = m.field_path(tuple(err.get("loc", ())))
            full = f"{path}.{loc}" if loc and not loc.startswith("[") else f"{path}{loc}"
            message, error_id = m.describe(err, loc or path)
            errors.add(full, message, error_id)
        return None
    return dict(parsed.model_dump(exclude_none=True))


def _replace_foreign_secret(ctx: AdminContext, body: dict[str, Any], result: ImportResult) -> None:
    """A client whose ``encryptedSecret`` another server made gets a new random secret instead."""
    auth = body.get("clientAuth")
    if not isinstance(auth, dict) or not auth.get("encryptedSecret") or auth.get("secret"):
        return
    try:
        ctx.box.decrypt(auth["encryptedSecret"])
    except SecretBoxError:
        secret = secrets.token_urlsafe(32)
        body["clientAuth"] = {k: v for k, v in auth.items() if k not in ("encryptedSecret", "secondarySecrets")}
        body["clientAuth"]["secret"] = secret
        result.new_secrets[str(body.get("clientId"))] = secret


def import_document(ctx: AdminContext, model: ConfigModel, document: Any,
                    new_client_secrets: bool = False, skip_unsupported: bool = False) -> ImportResult:
    """Save every item of ``document`` into ``model`` (the caller commits), or raise a 422.

    ``new_client_secrets``: a client secret encrypted by another server (a PingFederate export) cannot
    be read here; give such clients a new random secret, reported in :attr:`ImportResult.new_secrets`.
    ``skip_unsupported``: items of resource types this server does not serve are skipped and listed in
    :attr:`ImportResult.skipped`; without it the import fails, naming each item that would be skipped,
    so nothing is left behind unnoticed.
    """
    known = by_path(registry())
    order = {r.path: n for n, r in enumerate(registry())}
    result = ImportResult()
    errors = ErrorCollector()
    planned: list[tuple[int, str, BulkResource, dict[str, Any]]] = []
    for index, resource_type, items in _shape(document):
        resource = known.get(resource_type.rstrip("/"))
        if resource is None:
            for j, item in enumerate(items):
                path = f"operations[{index}].items[{j}]"
                if skip_unsupported:
                    result.skipped.append({"resourceType": resource_type, "id": _item_id(item), "path": path})
                else:
                    errors.add(path, f"{resource_type} '{_item_id(item)}': {SKIP_HINT}", "unsupported_resource_type")
            continue
        for j, item in enumerate(items):
            path = f"operations[{index}].items[{j}]"
            body = _validated(resource, item, path, errors)
            if body is not None and new_client_secrets and resource.path == "/oauth/clients":
                _replace_foreign_secret(ctx, body, result)
            if body is not None:
                planned.append((order[resource.path], path, resource, body))
    planned.sort(key=lambda p: p[0])  # dependency order; stable within a resource type
    failed: set[str] = set()
    for _, path, resource, body in planned:
        if _apply(resource.save, ctx, model, body, path, errors):
            result.saved[resource.path] = result.saved.get(resource.path, 0) + 1
        else:
            failed.add(path)
    for _, path, resource, body in planned:
        if resource.second is not None and path not in failed:
            _apply(resource.second, ctx, model, body, path, errors)
    errors.raise_if_any()
    return result


def _apply(save: Saver, ctx: AdminContext, model: ConfigModel, body: dict[str, Any], path: str,
           errors: ErrorCollector) -> bool:
    try:
        save(ctx, model, body)
    except AdminApiError as exc:
        if not exc.errors:
            errors.add(path, exc.message)
        for err in exc.errors:
            errors.add(f"{path}.{err.field_path}" if err.field_path else path, err.message, err.error_id)
        return False
    return True

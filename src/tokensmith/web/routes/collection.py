"""One admin collection's five routes (list, create, read, update, delete) from its service functions.

A resource whose service has the usual shape (``create(ctx, model, body)``, ``update(ctx, model, id,
body)``, ``get(model, id)``, ``delete(model, id)``, ``render(ctx, model, doc)``) is registered with
:func:`register_collection` instead of writing the same five handlers again. The body model is a
real class (this module does not postpone annotations), so FastAPI validates bodies strictly and the
OpenAPI document names the model.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from tokensmith.admin.context import AdminContext
from tokensmith.config.model import ConfigModel
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict

Doc = dict[str, Any]


@dataclass(frozen=True)
class CollectionService:
    path: str  # under /pf-admin-api/v1
    name: str  # a word for operation names: "Policy", "Group"...
    body: type[BaseModel]
    create: Callable[[AdminContext, ConfigModel, Doc], Doc]
    update: Callable[[AdminContext, ConfigModel, str, Doc], Doc]
    get: Callable[[ConfigModel, str], Doc]
    delete: Callable[[ConfigModel, str], None]
    render: Callable[[AdminContext, ConfigModel, Doc], Doc]
    kind: str  # the configuration kind listed


def register_collection(app: FastAPI, deps: Deps, svc: CollectionService) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = [svc.path]
    path = BASE + svc.path
    body_model = svc.body

    def listing(request: Request) -> Doc:
        c = ctx(request)
        return read(lambda model: {"items": [svc.render(c, model, d) for d in model.all(svc.kind)]})

    def create(request: Request, body: body_model) -> Doc:  # type: ignore[valid-type]
        c, sent = ctx(request), as_dict(body)
        return node.change(lambda model: svc.render(c, model, svc.create(c, model, sent)))

    def get(request: Request, item_id: str) -> Doc:
        c = ctx(request)
        return read(lambda model: svc.render(c, model, svc.get(model, item_id)))

    def update(request: Request, item_id: str, body: body_model) -> Doc:  # type: ignore[valid-type]
        c, sent = ctx(request), as_dict(body)
        return node.change(lambda model: svc.render(c, model, svc.update(c, model, item_id, sent)))

    def delete(item_id: str) -> Response:
        node.change(lambda model: svc.delete(model, item_id))
        return Response(status_code=204)

    name = svc.name
    app.get(path, tags=tag, responses=ERRORS, operation_id=f"get{name}s")(listing)
    app.post(path, tags=tag, status_code=201, responses=ERRORS, operation_id=f"create{name}")(create)
    app.get(path + "/{item_id}", tags=tag, responses=ERRORS, operation_id=f"get{name}")(get)
    app.put(path + "/{item_id}", tags=tag, responses=ERRORS, operation_id=f"update{name}")(update)
    app.delete(path + "/{item_id}", tags=tag, status_code=204, responses=ERRORS,
               operation_id=f"delete{name}")(delete)

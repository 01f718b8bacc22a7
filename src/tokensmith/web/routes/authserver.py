"""Authorization server settings and their scope and scope-group collections."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import Response

from tokensmith.admin import authserver
from tokensmith.admin import models as m
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, read = deps.node, deps.read
    tag: list[str | Enum] = ["/oauth/authServerSettings"]
    auth_path = BASE + "/oauth/authServerSettings"

    @app.get(auth_path, tags=tag, responses=ERRORS)
    def get_auth_settings() -> dict[str, Any]:
        return read(authserver.current)

    @app.put(auth_path, tags=tag, responses=ERRORS)
    def put_auth_settings(body: m.AuthorizationServerSettings) -> dict[str, Any]:
        return node.change(lambda model: authserver.put(model, as_dict(body)))

    for collection in authserver.COLLECTIONS:
        _scope_routes(app, deps, auth_path + "/scopes/" + collection, collection, tag)


def _scope_routes(app: FastAPI, deps: Deps, path: str, collection: str, tag: list[str | Enum]) -> None:
    node, read = deps.node, deps.read
    group = collection.endswith("Groups")
    model_type: Any = m.ScopeGroupEntry if group else m.ScopeEntry

    def list_entries(page: int | None = Query(None, ge=1),
                     numberPerPage: int | None = Query(None, ge=1),
                     filter: str | None = None,
                     sortOrder: str | None = Query(None, pattern="^(ASC|DESC)$")) -> Any:
        return read(lambda model: authserver.list_entries(model, collection, page, numberPerPage, filter,
                                                          sortOrder == "DESC"))

    def add(body: model_type) -> Any:
        return node.change(lambda model: authserver.add_entry(model, collection, as_dict(body)))

    def get_one(name: str) -> Any:
        return read(lambda model: authserver.get_entry(model, collection, name))

    def update(name: str, body: model_type) -> Any:
        return node.change(lambda model: authserver.update_entry(model, collection, name, as_dict(body)))

    def remove(name: str) -> Response:
        node.change(lambda model: authserver.delete_entry(model, collection, name))
        return Response(status_code=204)

    # Annotations are strings under postponed evaluation; give FastAPI the real body model.
    add.__annotations__["body"] = model_type
    update.__annotations__["body"] = model_type
    suffix = collection[0].upper() + collection[1:]
    app.get(path, tags=tag, responses=ERRORS, operation_id=f"get{suffix}")(list_entries)
    app.post(path, tags=tag, status_code=201, responses=ERRORS, operation_id=f"add{suffix}")(add)
    app.get(path + "/{name}", tags=tag, responses=ERRORS, operation_id=f"get{suffix}Entry")(get_one)
    app.put(path + "/{name}", tags=tag, responses=ERRORS, operation_id=f"update{suffix}Entry")(update)
    app.delete(path + "/{name}", tags=tag, status_code=204, responses=ERRORS,
               operation_id=f"delete{suffix}Entry")(remove)

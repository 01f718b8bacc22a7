"""Access token managers, their descriptors and the default-manager setting."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import atms
from tokensmith.admin import models as m
from tokensmith.config.model import ATM
from tokensmith.errors import NotFound
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    atm_types = deps.atm_types
    tag: list[str | Enum] = ["/oauth/accessTokenManagers"]
    atm_path = BASE + atms.PATH

    @app.get(atm_path + "/descriptors", tags=tag, responses=ERRORS)
    def atm_descriptors() -> dict[str, Any]:
        return {"items": [d.to_json() for d in atm_types.all()]}

    @app.get(atm_path + "/descriptors/{descriptor_id}", tags=tag, responses=ERRORS)
    def atm_descriptor(descriptor_id: str) -> dict[str, Any]:
        found = atm_types.get(descriptor_id)
        if found is None:
            raise NotFound(f"Access token manager type '{descriptor_id}' does not exist.")
        return found.to_json()

    @app.get(atm_path + "/settings", tags=tag, response_model=m.AccessTokenManagementSettings,
             response_model_exclude_none=True, responses=ERRORS)
    def atm_settings(request: Request) -> dict[str, Any]:
        return read(lambda model: atms.get_settings(ctx(request), model))

    @app.put(atm_path + "/settings", tags=tag, response_model=m.AccessTokenManagementSettings,
             response_model_exclude_none=True, responses=ERRORS)
    def put_atm_settings(request: Request, body: m.AccessTokenManagementSettings) -> dict[str, Any]:
        return node.change(lambda model: atms.put_settings(ctx(request), model, as_dict(body)))

    @app.get(atm_path, tags=tag, responses=ERRORS)
    def list_atms(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return {"items": [atms.render(c, d) for d in node.model().all(ATM)]}

    @app.post(atm_path, tags=tag, status_code=201, responses=ERRORS)
    def create_atm(request: Request, body: m.AccessTokenManager) -> dict[str, Any]:
        c = ctx(request)
        return atms.render(c, node.change(lambda model: atms.create(c, model, as_dict(body))))

    @app.get(atm_path + "/{atm_id}", tags=tag, responses=ERRORS)
    def get_atm(request: Request, atm_id: str) -> dict[str, Any]:
        return atms.render(ctx(request), read(lambda model: atms.get(model, atm_id)))

    @app.put(atm_path + "/{atm_id}", tags=tag, responses=ERRORS)
    def update_atm(request: Request, atm_id: str, body: m.AccessTokenManager) -> dict[str, Any]:
        c = ctx(request)
        return atms.render(c, node.change(lambda model: atms.update(c, model, atm_id, as_dict(body))))

    @app.delete(atm_path + "/{atm_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_atm(atm_id: str) -> Response:
        node.change(lambda model: atms.delete(model, atm_id))
        return Response(status_code=204)

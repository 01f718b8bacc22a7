"""Password credential validators and their descriptors."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import models as m
from tokensmith.admin import pcvs
from tokensmith.config.model import PCV
from tokensmith.errors import NotFound
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    pcv_types = deps.pcv_types
    tag: list[str | Enum] = ["/passwordCredentialValidators"]
    pcv_path = BASE + pcvs.PATH

    @app.get(pcv_path + "/descriptors", tags=tag, responses=ERRORS)
    def pcv_descriptors() -> dict[str, Any]:
        return {"items": [d.to_json() for d in pcv_types.all()]}

    @app.get(pcv_path + "/descriptors/{descriptor_id}", tags=tag, responses=ERRORS)
    def pcv_descriptor(descriptor_id: str) -> dict[str, Any]:
        found = pcv_types.get(descriptor_id)
        if found is None:
            raise NotFound(f"Password credential validator type '{descriptor_id}' does not exist.")
        return found.to_json()

    @app.get(pcv_path, tags=tag, responses=ERRORS)
    def list_pcvs(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return {"items": [pcvs.render(c, d) for d in node.model().all(PCV)]}

    @app.post(pcv_path, tags=tag, status_code=201, responses=ERRORS)
    def create_pcv(request: Request, body: m.PasswordCredentialValidator) -> dict[str, Any]:
        c = ctx(request)
        return pcvs.render(c, node.change(lambda model: pcvs.create(c, model, as_dict(body))))

    @app.get(pcv_path + "/{pcv_id}", tags=tag, responses=ERRORS)
    def get_pcv(request: Request, pcv_id: str) -> dict[str, Any]:
        return pcvs.render(ctx(request), read(lambda model: pcvs.get(model, pcv_id)))

    @app.put(pcv_path + "/{pcv_id}", tags=tag, responses=ERRORS)
    def update_pcv(request: Request, pcv_id: str, body: m.PasswordCredentialValidator) -> dict[str, Any]:
        c = ctx(request)
        return pcvs.render(c, node.change(lambda model: pcvs.update(c, model, pcv_id, as_dict(body))))

    @app.delete(pcv_path + "/{pcv_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_pcv(pcv_id: str) -> Response:
        node.change(lambda model: pcvs.delete(model, pcv_id))
        return Response(status_code=204)

"""Access token mappings (a bare JSON array on list, as PingFederate answers)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import mappings
from tokensmith.admin import models as m
from tokensmith.config.model import MAPPING
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = ["/oauth/accessTokenMappings"]
    map_path = BASE + mappings.PATH

    @app.get(map_path, tags=tag, responses=ERRORS)
    def list_mappings(request: Request) -> list[dict[str, Any]]:
        c = ctx(request)
        return [mappings.render(c, d) for d in node.model().all(MAPPING)]

    @app.post(map_path, tags=tag, status_code=201, responses=ERRORS)
    def create_mapping(request: Request, body: m.AccessTokenMapping) -> dict[str, Any]:
        return mappings.render(ctx(request), node.change(lambda model: mappings.create(model, as_dict(body))))

    @app.get(map_path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def get_mapping(request: Request, mapping_id: str) -> dict[str, Any]:
        return mappings.render(ctx(request), read(lambda model: mappings.get(model, mapping_id)))

    @app.put(map_path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def update_mapping(request: Request, mapping_id: str, body: m.AccessTokenMapping) -> dict[str, Any]:
        return mappings.render(ctx(request),
                               node.change(lambda model: mappings.update(model, mapping_id, as_dict(body))))

    @app.delete(map_path + "/{mapping_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_mapping(mapping_id: str) -> Response:
        node.change(lambda model: mappings.delete(model, mapping_id))
        return Response(status_code=204)

"""OAuth clients and their secrets."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from tokensmith.admin import clients
from tokensmith.admin import models as m
from tokensmith.config.model import CLIENT
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = ["/oauth/clients"]
    client_path = BASE + clients.PATH

    @app.get(client_path, tags=tag, responses=ERRORS)
    def list_clients(request: Request, page: int | None = Query(None, ge=1),
                     numberPerPage: int | None = Query(None, ge=1),
                     filter: str | None = None) -> dict[str, Any]:
        c = ctx(request)
        docs = node.model().all(CLIENT)
        if filter:
            needle = filter.lower()
            docs = [d for d in docs if needle in d["clientId"].lower() or needle in d.get("name", "").lower()]
        if numberPerPage:
            start = ((page or 1) - 1) * numberPerPage
            docs = docs[start:start + numberPerPage]
        return {"items": [clients.render(c, d) for d in docs]}

    @app.post(client_path, tags=tag, status_code=201, responses=ERRORS)
    def create_client(request: Request, body: m.Client) -> dict[str, Any]:
        c = ctx(request)
        return clients.render(c, node.change(lambda model: clients.create(c, model, as_dict(body))))

    @app.get(client_path + "/{client_id}", tags=tag, responses=ERRORS)
    def get_client(request: Request, client_id: str) -> dict[str, Any]:
        return clients.render(ctx(request), read(lambda model: clients.get(model, client_id)))

    @app.put(client_path + "/{client_id}", tags=tag, responses=ERRORS)
    def update_client(request: Request, client_id: str, body: m.Client) -> dict[str, Any]:
        c = ctx(request)
        return clients.render(c, node.change(lambda model: clients.update(c, model, client_id, as_dict(body))))

    @app.delete(client_path + "/{client_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_client(client_id: str) -> Response:
        node.change(lambda model: clients.delete(model, client_id))
        return Response(status_code=204)

    @app.get(client_path + "/{client_id}/clientAuth/clientSecret", tags=tag, responses=ERRORS)
    def get_client_secret(client_id: str) -> dict[str, Any]:
        return read(lambda model: clients.get_secret(model, client_id))

    @app.put(client_path + "/{client_id}/clientAuth/clientSecret", tags=tag, responses=ERRORS)
    def put_client_secret(request: Request, client_id: str, body: m.ClientSecret) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: clients.put_secret(c, model, client_id, as_dict(body)))

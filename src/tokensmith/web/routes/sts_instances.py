"""``/sp/tokenGenerators`` and ``/idp/tokenProcessors`` (instances, descriptors, check usage).

No ``from __future__ import annotations`` here: FastAPI must see each handler's body model, which is
chosen at registration time."""


from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import sts_instances as svc
from tokensmith.admin import sts_models as m
from tokensmith.errors import NotFound
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def _register_kind(app: FastAPI, deps: Deps, kind: svc.InstanceKind, body_model: Any) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = [kind.path]
    path = BASE + kind.path

    @app.get(path + "/descriptors", tags=tag, responses=ERRORS, name=f"{kind.kind}_descriptors")
    def descriptors() -> dict[str, Any]:
        return {"items": [d.to_json() for d in kind.descriptors().values()]}

    @app.get(path + "/descriptors/{descriptor_id}", tags=tag, responses=ERRORS, name=f"{kind.kind}_descriptor")
    def descriptor(descriptor_id: str) -> dict[str, Any]:
        found = kind.descriptors().get(descriptor_id)
        if found is None:
            raise NotFound(f"The {kind.label} type '{descriptor_id}' does not exist.")
        return found.to_json()

    @app.get(path, tags=tag, responses=ERRORS, name=f"{kind.kind}_list")
    def listing(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.listing(c, kind, model))

    @app.post(path, tags=tag, status_code=201, responses=ERRORS, name=f"{kind.kind}_create")
    def create(request: Request, body: body_model) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: svc.saved(c, kind, model, *svc.create(c, kind, model, as_dict(body))))

    @app.get(path + "/{instance_id}", tags=tag, responses=ERRORS, name=f"{kind.kind}_get")
    def get(request: Request, instance_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.render(c, kind, model, svc.get(kind, model, instance_id)))

    @app.get(path + "/{instance_id}/usage", tags=tag, responses=ERRORS, name=f"{kind.kind}_usage")
    def check_usage(request: Request, instance_id: str) -> dict[str, Any]:
        """Check usage: every mapping, connection and child instance that uses this instance."""
        base = ctx(request).base_url

        def users(model: Any) -> dict[str, Any]:
            svc.get(kind, model, instance_id)
            return {"items": [u.to_json(base) for u in kind.users(model, instance_id)]}

        return read(users)

    @app.put(path + "/{instance_id}", tags=tag, responses=ERRORS, name=f"{kind.kind}_update")
    def update(request: Request, instance_id: str, body: body_model) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: svc.saved(c, kind, model,
                                                   *svc.update(c, kind, model, instance_id, as_dict(body))))

    @app.delete(path + "/{instance_id}", tags=tag, status_code=204, responses=ERRORS, name=f"{kind.kind}_delete")
    def delete(instance_id: str) -> Response:
        node.change(lambda model: svc.delete(kind, model, instance_id))
        return Response(status_code=204)


def register(app: FastAPI, deps: Deps) -> None:
    _register_kind(app, deps, svc.GENERATORS, m.TokenGenerator)
    _register_kind(app, deps, svc.PROCESSORS, m.TokenProcessor)

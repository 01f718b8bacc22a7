"""``/tokenProcessorToTokenGeneratorMappings``, ``/sp/idpConnections`` and ``/idp/spConnections``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import idpconnections, spconnections, spcredentials, t2tmappings
from tokensmith.admin import sts_models as m
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = [t2tmappings.PATH]
    path = BASE + t2tmappings.PATH

    @app.get(path, tags=tag, responses=ERRORS)
    def list_t2t(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: t2tmappings.listing(c, model))

    @app.post(path, tags=tag, status_code=201, responses=ERRORS)
    def create_t2t(request: Request, body: m.TokenToTokenMapping) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: t2tmappings.render(c, model, t2tmappings.create(model, as_dict(body))))

    @app.get(path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def get_t2t(request: Request, mapping_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: t2tmappings.render(c, model, t2tmappings.get(model, mapping_id)))

    @app.put(path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def update_t2t(request: Request, mapping_id: str, body: m.TokenToTokenMapping) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: t2tmappings.render(
            c, model, t2tmappings.update(model, mapping_id, as_dict(body))))

    @app.delete(path + "/{mapping_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_t2t(mapping_id: str) -> Response:
        node.change(lambda model: t2tmappings.delete(model, mapping_id))
        return Response(status_code=204)

    ctag: list[str | Enum] = [idpconnections.PATH]
    cpath = BASE + idpconnections.PATH

    @app.get(cpath, tags=ctag, responses=ERRORS)
    def list_connections(request: Request, entityId: str | None = None) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: idpconnections.listing(c, model, entityId))

    @app.post(cpath, tags=ctag, status_code=201, responses=ERRORS)
    def create_connection(request: Request, body: m.IdpConnection) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: idpconnections.render(
            c, model, idpconnections.create(c, model, as_dict(body))))

    @app.get(cpath + "/{connection_id}", tags=ctag, responses=ERRORS)
    def get_connection(request: Request, connection_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: idpconnections.render(c, model, idpconnections.get(model, connection_id)))

    @app.put(cpath + "/{connection_id}", tags=ctag, responses=ERRORS)
    def update_connection(request: Request, connection_id: str, body: m.IdpConnection) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: idpconnections.render(
            c, model, idpconnections.update(c, model, connection_id, as_dict(body))))

    @app.delete(cpath + "/{connection_id}", tags=ctag, status_code=204, responses=ERRORS)
    def delete_connection(connection_id: str) -> Response:
        node.change(lambda model: idpconnections.delete(model, connection_id))
        return Response(status_code=204)

    _register_sp_connections(app, deps)


def _sent(body: m.SpConnection) -> dict[str, Any]:
    """Exactly the members the client sent (no defaults filled in), for round-trip fidelity."""
    return dict(body.model_dump(exclude_unset=True, exclude_none=True))


def _register_sp_connections(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = [spconnections.PATH]
    path = BASE + spconnections.PATH

    @app.get(path, tags=tag, responses=ERRORS)
    def list_sp_connections(request: Request, entityId: str | None = None,
                            filter: str | None = None) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: spconnections.listing(c, model, entityId, filter))

    @app.post(path, tags=tag, status_code=201, responses=ERRORS)
    def create_sp_connection(request: Request, body: m.SpConnection) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: spconnections.render(c, model, spconnections.create(c, model, _sent(body))))

    @app.get(path + "/{connection_id}", tags=tag, responses=ERRORS)
    def get_sp_connection(request: Request, connection_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: spconnections.render(c, model, spconnections.get(model, connection_id)))

    @app.put(path + "/{connection_id}", tags=tag, responses=ERRORS)
    def update_sp_connection(request: Request, connection_id: str, body: m.SpConnection) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: spconnections.render(
            c, model, spconnections.update(c, model, connection_id, _sent(body))))

    @app.delete(path + "/{connection_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_sp_connection(connection_id: str) -> Response:
        node.change(lambda model: spconnections.delete(model, connection_id))
        return Response(status_code=204)

    _register_sp_credentials(app, deps)


def _register_sp_credentials(app: FastAPI, deps: Deps) -> None:
    """``/idp/spConnections/{id}/credentials/signingSettings``, ``.../certs`` and ``.../decryptionKeys``."""
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = [spconnections.PATH]
    path = BASE + spconnections.PATH + "/{connection_id}/credentials"

    @app.get(path + "/signingSettings", tags=tag, responses=ERRORS)
    def get_sp_signing_settings(request: Request, connection_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: spcredentials.signing_settings(c, model, connection_id))

    @app.put(path + "/signingSettings", tags=tag, responses=ERRORS)
    def put_sp_signing_settings(request: Request, connection_id: str, body: m.SigningSettings) -> dict[str, Any]:
        c, sent = ctx(request), dict(body.model_dump(exclude_unset=True, exclude_none=True))
        return node.change(lambda model: spcredentials.put_signing_settings(c, model, connection_id, sent))

    @app.get(path + "/certs", tags=tag, responses=ERRORS)
    def get_sp_certs(request: Request, connection_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: spcredentials.certs(c, model, connection_id))

    @app.put(path + "/certs", tags=tag, responses=ERRORS)
    def put_sp_certs(request: Request, connection_id: str, body: m.ConnectionCerts) -> dict[str, Any]:
        c, sent = ctx(request), dict(body.model_dump(exclude_unset=True, exclude_none=True))
        return node.change(lambda model: spcredentials.put_certs(c, model, connection_id, sent))

    @app.post(path + "/certs", tags=tag, status_code=201, responses=ERRORS)
    def add_sp_cert(request: Request, connection_id: str, body: m.ConnectionCert) -> dict[str, Any]:
        c, sent = ctx(request), dict(body.model_dump(exclude_unset=True, exclude_none=True))
        return node.change(lambda model: spcredentials.add_cert(c, model, connection_id, sent))

    @app.get(path + "/decryptionKeys", tags=tag, responses=ERRORS)
    def get_sp_decryption_keys(request: Request, connection_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: spcredentials.decryption_keys(c, model, connection_id))

    @app.put(path + "/decryptionKeys", tags=tag, responses=ERRORS)
    def put_sp_decryption_keys(request: Request, connection_id: str, body: m.DecryptionKeys) -> dict[str, Any]:
        c, sent = ctx(request), dict(body.model_dump(exclude_unset=True, exclude_none=True))
        return node.change(lambda model: spcredentials.put_decryption_keys(c, model, connection_id, sent))

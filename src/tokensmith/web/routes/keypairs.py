"""Signing key pairs: ``/keyPairs/signing``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import keypair_models as km
from tokensmith.admin import keypairs, keyrotation
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict

CERTIFICATE, PEM, PKCS12, CSR = ("application/x-x509-ca-cert", "application/x-pem-file", "application/x-pkcs12",
                                 "application/pkcs10")


def _file_response(media_type: str, description: str, binary: bool = False) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a file download, declared with the media type it is sent as."""
    schema = {"type": "string", **({"format": "binary"} if binary else {})}
    return {**ERRORS, 200: {"description": description, "content": {media_type: {"schema": schema}}}}


def _file(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = ["/keyPairs/signing"]
    path = BASE + keypairs.PATH

    @app.get(path, tags=tag, response_model=km.KeyPairViews, response_model_exclude_none=True, responses=ERRORS)
    def list_key_pairs(request: Request) -> dict[str, Any]:
        return read(lambda model: keypairs.list_all(ctx(request), model))

    @app.post(path + "/generate", tags=tag, status_code=201, response_model=km.KeyPairView,
              response_model_exclude_none=True, responses=ERRORS)
    def generate_key_pair(request: Request, body: km.NewKeyPairSettings) -> dict[str, Any]:
        c = ctx(request)
        prepared = read(lambda model: keypairs.prepare_generate(c, model, as_dict(body)))
        return keypairs.view(c, node.change(lambda model: keypairs.add(c, model, prepared)))

    @app.post(path + "/import", tags=tag, status_code=201, response_model=km.KeyPairView,
              response_model_exclude_none=True, responses=ERRORS)
    def import_key_pair(request: Request, body: km.KeyPairFile) -> dict[str, Any]:
        c = ctx(request)
        prepared = read(lambda model: keypairs.prepare_import(c, model, as_dict(body)))
        return keypairs.view(c, node.change(lambda model: keypairs.add(c, model, prepared)))

    @app.get(path + "/{key_pair_id}", tags=tag, response_model=km.KeyPairView, response_model_exclude_none=True,
             responses=ERRORS)
    def get_key_pair(request: Request, key_pair_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: keypairs.view(c, keypairs.get(model, key_pair_id)))

    @app.delete(path + "/{key_pair_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_key_pair(key_pair_id: str) -> Response:
        node.change(lambda model: keypairs.delete(model, key_pair_id, deps.key_users))
        return Response(status_code=204)

    @app.get(path + "/{key_pair_id}/certificate", tags=tag,
             response_class=Response, responses=_file_response(CERTIFICATE, "The certificate as PEM text."))
    def export_certificate(key_pair_id: str) -> Response:
        data = read(lambda model: keypairs.certificate_pem(model, key_pair_id))
        return _file(data, CERTIFICATE, f"{key_pair_id}.crt")

    @app.post(path + "/{key_pair_id}/pem", tags=tag,
              response_class=Response,
              responses=_file_response(PEM, "The private key (encrypted with the password) and certificate, PEM."))
    def export_pem(request: Request, key_pair_id: str, body: km.KeyPairExportSettings) -> Response:
        c = ctx(request)
        data = read(lambda model: keypairs.export_pem(c, model, key_pair_id, as_dict(body)))
        return _file(data, PEM, f"{key_pair_id}.pem")

    @app.post(path + "/{key_pair_id}/pkcs12", tags=tag,
              response_class=Response,
              responses=_file_response(PKCS12, "A PKCS#12 file protected by the password.", binary=True))
    def export_pkcs12(request: Request, key_pair_id: str, body: km.KeyPairExportSettings) -> Response:
        c = ctx(request)
        data = read(lambda model: keypairs.export_pkcs12(c, model, key_pair_id, as_dict(body)))
        return _file(data, PKCS12, f"{key_pair_id}.p12")

    @app.get(path + "/{key_pair_id}/csr", tags=tag,
             response_class=Response, responses=_file_response(CSR, "A PKCS#10 certificate signing request, PEM."))
    def export_csr(request: Request, key_pair_id: str) -> Response:
        c = ctx(request)
        data = read(lambda model: keypairs.csr(c, model, key_pair_id))
        return _file(data, CSR, f"{key_pair_id}.csr")

    @app.post(path + "/{key_pair_id}/csr", tags=tag, response_model=km.KeyPairView,
              response_model_exclude_none=True, responses=ERRORS)
    def import_csr_response(request: Request, key_pair_id: str, body: km.CSRResponse) -> dict[str, Any]:
        c = ctx(request)
        doc = node.change(lambda model: keypairs.import_csr_response(c, model, key_pair_id, as_dict(body)))
        return keypairs.view(c, doc)

    rotation = path + "/{key_pair_id}/rotationSettings"

    @app.get(rotation, tags=tag, response_model=km.KeyPairRotationSettings, response_model_exclude_none=True,
             responses=ERRORS)
    def get_rotation_settings(key_pair_id: str) -> dict[str, Any]:
        return read(lambda model: keyrotation.get_settings(model, key_pair_id))

    @app.put(rotation, tags=tag, response_model=km.KeyPairRotationSettings, response_model_exclude_none=True,
             responses=ERRORS, description="Create or replace the key pair's rotation settings.")
    def put_rotation_settings(key_pair_id: str, body: km.KeyPairRotationSettings) -> dict[str, Any]:
        return node.change(lambda model: keyrotation.put_settings(model, key_pair_id, as_dict(body)))

    @app.delete(rotation, tags=tag, status_code=204, responses=ERRORS)
    def delete_rotation_settings(key_pair_id: str) -> Response:
        node.change(lambda model: keyrotation.delete_settings(model, key_pair_id))
        return Response(status_code=204)

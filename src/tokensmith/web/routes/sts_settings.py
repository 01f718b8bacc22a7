"""``/serverSettings`` (federation info), ``/serverSettings/generalSettings``,
``/serverSettings/wsTrustStsSettings`` (+ issuer certificates) and ``/certificates/ca``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from tokensmith.admin import sts_models as m
from tokensmith.admin import stssettings as svc
from tokensmith.web.routing import BASE, ERRORS, Deps, as_dict


def register(app: FastAPI, deps: Deps) -> None:
    node, ctx, read = deps.node, deps.ctx, deps.read
    tag: list[str | Enum] = ["/serverSettings"]

    @app.get(BASE + "/serverSettings", tags=tag, responses=ERRORS)
    def server_settings() -> dict[str, Any]:
        return read(svc.get_server)

    @app.put(BASE + "/serverSettings", tags=tag, responses=ERRORS)
    def put_server_settings(body: m.ServerSettings) -> dict[str, Any]:
        return node.change(lambda model: svc.put_server(model, as_dict(body)))

    @app.get(BASE + "/serverSettings/generalSettings", tags=tag, responses=ERRORS)
    def general_settings() -> dict[str, Any]:
        return read(svc.get_general)

    @app.put(BASE + "/serverSettings/generalSettings", tags=tag, responses=ERRORS)
    def put_general_settings(body: m.GeneralSettings) -> dict[str, Any]:
        return node.change(lambda model: svc.put_general(model, as_dict(body)))

    ws = BASE + "/serverSettings/wsTrustStsSettings"

    @app.get(ws, tags=tag, responses=ERRORS)
    def ws_trust_settings(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.get_ws_trust(c, model))

    @app.put(ws, tags=tag, responses=ERRORS)
    def put_ws_trust_settings(request: Request, body: m.WsTrustStsSettings) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: svc.put_ws_trust(c, model, as_dict(body)))

    @app.get(ws + "/issuerCertificates", tags=tag, responses=ERRORS)
    def issuer_certs(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.list_issuer_certs(c, model))

    @app.post(ws + "/issuerCertificates", tags=tag, status_code=201, responses=ERRORS)
    def add_issuer_cert(request: Request, body: m.IssuerCert) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: svc.add_issuer_cert(c, model, as_dict(body)))

    @app.get(ws + "/issuerCertificates/{cert_id}", tags=tag, responses=ERRORS)
    def issuer_cert(request: Request, cert_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.issuer_cert(c, model, cert_id))

    @app.delete(ws + "/issuerCertificates/{cert_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_issuer_cert(cert_id: str) -> Response:
        node.change(lambda model: svc.delete_issuer_cert(model, cert_id))
        return Response(status_code=204)

    ca_tag: list[str | Enum] = [svc.CA_PATH]
    ca = BASE + svc.CA_PATH

    @app.get(ca, tags=ca_tag, responses=ERRORS)
    def list_cas(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.list_cas(c, model))

    @app.post(ca + "/import", tags=ca_tag, status_code=201, responses=ERRORS)
    def import_ca(request: Request, body: m.X509File) -> dict[str, Any]:
        c = ctx(request)
        return node.change(lambda model: svc.import_ca(c, model, as_dict(body)))

    @app.get(ca + "/{cert_id}", tags=ca_tag, responses=ERRORS)
    def get_ca(request: Request, cert_id: str) -> dict[str, Any]:
        c = ctx(request)
        return read(lambda model: svc.get_ca(c, model, cert_id))

    @app.delete(ca + "/{cert_id}", tags=ca_tag, status_code=204, responses=ERRORS)
    def delete_ca(cert_id: str) -> Response:
        node.change(lambda model: svc.delete_ca(model, cert_id))
        return Response(status_code=204)

"""The admin API under ``/pf-admin-api/v1``: error rendering, OpenAPI, security, and the route
modules of :mod:`tokensmith.web.routes` (one per resource; see :mod:`tokensmith.web.routing`).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tokensmith import __version__
from tokensmith.admin import keyrotation
from tokensmith.admin import models as m
from tokensmith.admin.context import AdminContext
from tokensmith.admin.kinds import access_token_managers, credential_validators
from tokensmith.admin.security import AdminAuthenticator, AdminSecurityMiddleware
from tokensmith.errors import AdminApiError, BadRequest, FieldError, ValidationFailed
from tokensmith.node import Node
from tokensmith.web.console import with_console
from tokensmith.web.metrics import MetricsEndpoint
from tokensmith.web.routes import (
    atms,
    authserver,
    bulk,
    clients,
    keypairs,
    mappings,
    pcvs,
    sts_connections,
    sts_instances,
    sts_settings,
    tokenexchange,
)
from tokensmith.web.routing import BASE, Deps

OPENAPI = BASE + "/openapi.json"
# The PingFederate admin API release whose wire format this API speaks. ``GET /version`` answers it
# (dotted, four parts), because PingFederate tooling (pingcli, the Terraform provider) reads it to pick
# its client version; Tokensmith's own version is in the OpenAPI document's ``info.version``.
PF_API_VERSION = "13.0.0.0"
log = logging.getLogger("tokensmith.admin")
# Every resource's routes, in the order they appear in the OpenAPI document.
ROUTES = (atms, clients, authserver, mappings, pcvs, keypairs, bulk, sts_instances, sts_connections, sts_settings,
          tokenexchange)


def _validation_error(exc: RequestValidationError) -> AdminApiError:
    errors: list[FieldError] = []
    for err in exc.errors():
        kind = err.get("type", "")
        if kind == "json_invalid":
            return BadRequest("The request body is not valid JSON.")
        loc = tuple(err.get("loc", ()))
        if kind == "missing" and loc == ("body",):
            return BadRequest("A JSON request body is required.")
        if loc == ("body",):
            return BadRequest("The request body must be a JSON object (Content-Type: application/json).")
        body_loc = loc[1:] if loc and loc[0] == "body" else loc
        path = str(loc[-1]) if loc and loc[0] == "query" else m.field_path(body_loc)
        message, error_id = m.describe(err, path)
        errors.append(FieldError(path, message, error_id))
    return ValidationFailed(errors)


def rotate_key_pairs(deps: Deps) -> list[str]:
    """One pass of signing key pair rotation (run periodically by the node; see
    :mod:`tokensmith.admin.keyrotation`). Writes only when something is due."""
    node = deps.node
    if not keyrotation.anything_due(node.model(), node.clock.now()):
        return []
    ctx = AdminContext(node.box, node.clock, BASE, deps.atm_types, deps.pcv_types)
    return node.change(lambda model: keyrotation.rotate_due(ctx, model, deps.key_users))


def allowed_methods(app: FastAPI, scope: MutableMapping[str, Any]) -> list[str]:
    """Every method the OpenAPI document lists for this request's path (FastAPI registers one route
    per method, so Starlette's own ``Allow`` would name only the first route's)."""
    matching = [r for r in app.router.routes if isinstance(r, APIRoute) and r.matches(scope)[0] is not Match.NONE]
    if not matching:
        return []
    template = matching[0].path  # the document's path for this URL: the first route whose path matches
    methods: set[str] = set()
    for route in matching:
        if route.path == template:
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _json(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)


def create_admin_app(node: Node) -> Any:
    app = FastAPI(title="Tokensmith admin API", version=__version__, openapi_url=OPENAPI, docs_url=None,
                  redoc_url=None,
                  description="PingFederate-compatible administrative API. Every request needs HTTP Basic "
                              "credentials of an administrator and an X-XSRF-Header header.")

    # ------------------------------------------------------------------ errors

    @app.exception_handler(AdminApiError)
    async def _admin_error(_: Request, exc: AdminApiError) -> JSONResponse:
        return _json(exc.to_json(), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        error = _validation_error(exc)
        return _json(error.to_json(), error.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        result = {404: "resource_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "Resource not found." if exc.status_code == 404 else str(exc.detail)
        if exc.status_code != 405:
            return _json({"resultId": result, "message": message}, exc.status_code)
        allowed = ", ".join(allowed_methods(app, request.scope))
        return JSONResponse({"resultId": result, "message": f"{request.method} is not allowed here; this path "
                             f"answers {allowed}."}, status_code=405, headers={"Allow": allowed})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected admin API error", exc_info=exc)
        return _json({"resultId": "server_error", "message": "The server could not complete the request."},
                     500)

    # ------------------------------------------------------------------ version

    @app.get(BASE + "/version", response_model=m.Version, tags=["/version"])
    def version() -> dict[str, str]:
        return {"version": PF_API_VERSION}

    deps = Deps(node, access_token_managers(), credential_validators())
    for module in ROUTES:
        module.register(app, deps)
    node.add_maintenance(lambda: rotate_key_pairs(deps))

    _install_openapi(app)
    secured = AdminSecurityMiddleware(app, AdminAuthenticator(node.store), {OPENAPI}, node.throttle)  # type: ignore[arg-type]
    return MetricsEndpoint(with_console(secured, deps), node)  # /console/: the browser console, own sign-in


def _install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        schema["servers"] = [{"url": "/"}]
        schema.setdefault("components", {})["securitySchemes"] = {"BasicAuth": {"type": "http",
                                                                                "scheme": "basic"}}
        schema["security"] = [{"BasicAuth": []}]
        for item in schema.get("paths", {}).values():
            allowed = ", ".join(sorted({method.upper() for method in item} | ({"HEAD"} if "get" in item else set())))
            for operation in item.values():
                operation.setdefault("parameters", []).append({
                    "name": "X-XSRF-Header", "in": "header", "required": True,
                    "schema": {"type": "string", "default": "PingFederate"},
                    "description": "Any non-empty value; protects against cross-site requests."})
                _declare_errors(operation, allowed)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


API_RESULT = {"$ref": "#/components/schemas/ApiResult"}
# Every error status an operation can answer, each with PingFederate's ApiResult body; the ones only a
# request with a body can meet are declared only on operations that take one.
ERROR_STATUSES = {
    "400": ("The body is not valid JSON, or a required body is missing.", True),
    "401": ("Missing or wrong administrator credentials.", False),
    "403": ("The X-XSRF-Header header is missing.", False),
    "404": ("Resource not found.", False),
    "405": ("The path exists, but not with this method; the Allow header lists the methods it takes.", False),
    "413": ("The request body is larger than 1 MiB.", True),
    "415": ("The request body is not JSON (Content-Type must be application/json).", True),
    "422": ("Validation error(s) occurred; validationErrors names each field.", False),
    "429": ("Too many failed sign-ins for this username or address: the credentials were not checked; "
            "the Retry-After header says when to try again (docs/security.md).", False),
}


def _declare_errors(operation: dict[str, Any], allowed: str) -> None:
    responses = operation.setdefault("responses", {})
    has_body = "requestBody" in operation
    for status, (description, body_only) in ERROR_STATUSES.items():
        if body_only and not has_body:
            continue
        entry = responses.setdefault(status, {"description": description})
        entry["content"] = {"application/json": {"schema": API_RESULT}}
        if status == "429":
            entry["headers"] = {"Retry-After": {"description": "Seconds until the lock ends.",
                                                "schema": {"type": "integer"}}}
        if status == "405":
            entry["headers"] = {"Allow": {"description": f"The methods this path takes: {allowed}.",
                                          "schema": {"type": "string"}}}

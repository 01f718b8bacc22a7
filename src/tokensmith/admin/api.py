"""FastAPI glue for the admin API under ``/pf-admin-api/v1``.

Handlers are thin: parse (pydantic), call a resource service inside :meth:`Node.change` (one
transaction), render. Handlers are plain functions, so FastAPI runs them in its thread pool and
slow work (password hashing, SQL) never stalls the runtime endpoints sharing the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tokensmith import __version__
from tokensmith.admin import atms, authserver, clients, mappings, pcvs
from tokensmith.admin import models as m
from tokensmith.admin.context import AdminContext
from tokensmith.admin.security import AdminAuthenticator, AdminSecurityMiddleware
from tokensmith.config.model import ATM, CLIENT, MAPPING, PCV, ConfigModel
from tokensmith.errors import AdminApiError, BadRequest, FieldError, NotFound, ValidationFailed
from tokensmith.node import Node
from tokensmith.plugins.registry import PluginRegistry, access_token_managers, credential_validators

BASE = "/pf-admin-api/v1"
OPENAPI = BASE + "/openapi.json"
log = logging.getLogger("tokensmith.admin")
T = TypeVar("T")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": m.ApiResult, "description": "Missing or wrong administrator credentials."},
    403: {"model": m.ApiResult, "description": "The X-XSRF-Header header is missing."},
    404: {"model": m.ApiResult, "description": "Resource not found."},
    422: {"model": m.ApiResult, "description": "Validation error(s) occurred."},
}


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


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
        path = str(loc[-1]) if loc and loc[0] == "query" else _field_path(loc)
        if kind == "extra_forbidden":
            errors.append(FieldError(path, f"Unrecognized property '{path}'", "unrecognized_field"))
        elif kind == "missing":
            errors.append(FieldError(path, f"'{path}' is required", "required_field_missing"))
        else:
            errors.append(FieldError(path, f"{path}: {err.get('msg', 'invalid value')}", "invalid_value"))
    return ValidationFailed(errors)


def _json(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)


def _body(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(exclude_none=True))


def create_admin_app(node: Node) -> Any:
    atm_types: PluginRegistry = access_token_managers()
    pcv_types: PluginRegistry = credential_validators()
    app = FastAPI(title="Tokensmith admin API", version=__version__, openapi_url=OPENAPI, docs_url=None,
                  redoc_url=None,
                  description="PingFederate-compatible administrative API. Every request needs HTTP Basic "
                              "credentials of an administrator and an X-XSRF-Header header.")

    def ctx(request: Request) -> AdminContext:
        base = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}{BASE}"
        return AdminContext(node.box, node.clock, base, atm_types, pcv_types)

    def read(fn: Callable[[ConfigModel], T]) -> T:
        return fn(node.model())

    # ------------------------------------------------------------------ errors

    @app.exception_handler(AdminApiError)
    async def _admin_error(_: Request, exc: AdminApiError) -> JSONResponse:
        return _json(exc.to_json(), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        error = _validation_error(exc)
        return _json(error.to_json(), error.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        result = {404: "resource_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "Resource not found." if exc.status_code == 404 else str(exc.detail)
        return _json({"resultId": result, "message": message}, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected admin API error", exc_info=exc)
        return _json({"resultId": "server_error", "message": "The server could not complete the request."},
                     500)

    # ------------------------------------------------------------------ version

    @app.get(BASE + "/version", response_model=m.Version, tags=["/version"])
    def version() -> dict[str, str]:
        return {"version": __version__}

    # ------------------------------------------------------------------ access token managers

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
        return node.change(lambda model: atms.put_settings(ctx(request), model, _body(body)))

    @app.get(atm_path, tags=tag, responses=ERRORS)
    def list_atms(request: Request) -> dict[str, Any]:
        c = ctx(request)
        return {"items": [atms.render(c, d) for d in node.model().all(ATM)]}

    @app.post(atm_path, tags=tag, status_code=201, responses=ERRORS)
    def create_atm(request: Request, body: m.AccessTokenManager) -> dict[str, Any]:
        c = ctx(request)
        return atms.render(c, node.change(lambda model: atms.create(c, model, _body(body))))

    @app.get(atm_path + "/{atm_id}", tags=tag, responses=ERRORS)
    def get_atm(request: Request, atm_id: str) -> dict[str, Any]:
        return atms.render(ctx(request), read(lambda model: atms.get(model, atm_id)))

    @app.put(atm_path + "/{atm_id}", tags=tag, responses=ERRORS)
    def update_atm(request: Request, atm_id: str, body: m.AccessTokenManager) -> dict[str, Any]:
        c = ctx(request)
        return atms.render(c, node.change(lambda model: atms.update(c, model, atm_id, _body(body))))

    @app.delete(atm_path + "/{atm_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_atm(atm_id: str) -> Response:
        node.change(lambda model: atms.delete(model, atm_id))
        return Response(status_code=204)

    # ------------------------------------------------------------------ clients

    tag = ["/oauth/clients"]
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
        return clients.render(c, node.change(lambda model: clients.create(c, model, _body(body))))

    @app.get(client_path + "/{client_id}", tags=tag, responses=ERRORS)
    def get_client(request: Request, client_id: str) -> dict[str, Any]:
        return clients.render(ctx(request), read(lambda model: clients.get(model, client_id)))

    @app.put(client_path + "/{client_id}", tags=tag, responses=ERRORS)
    def update_client(request: Request, client_id: str, body: m.Client) -> dict[str, Any]:
        c = ctx(request)
        return clients.render(c, node.change(lambda model: clients.update(c, model, client_id, _body(body))))

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
        return node.change(lambda model: clients.put_secret(c, model, client_id, _body(body)))

    # ------------------------------------------------------------------ authorization server settings

    tag = ["/oauth/authServerSettings"]
    auth_path = BASE + "/oauth/authServerSettings"

    @app.get(auth_path, tags=tag, responses=ERRORS)
    def get_auth_settings() -> dict[str, Any]:
        return read(authserver.current)

    @app.put(auth_path, tags=tag, responses=ERRORS)
    def put_auth_settings(body: m.AuthorizationServerSettings) -> dict[str, Any]:
        return node.change(lambda model: authserver.put(model, _body(body)))

    for collection in authserver.COLLECTIONS:
        _scope_routes(app, node, read, auth_path + "/scopes/" + collection, collection, tag)

    # ------------------------------------------------------------------ access token mappings

    tag = ["/oauth/accessTokenMappings"]
    map_path = BASE + mappings.PATH

    @app.get(map_path, tags=tag, responses=ERRORS)
    def list_mappings(request: Request) -> list[dict[str, Any]]:
        c = ctx(request)
        return [mappings.render(c, d) for d in node.model().all(MAPPING)]

    @app.post(map_path, tags=tag, status_code=201, responses=ERRORS)
    def create_mapping(request: Request, body: m.AccessTokenMapping) -> dict[str, Any]:
        return mappings.render(ctx(request), node.change(lambda model: mappings.create(model, _body(body))))

    @app.get(map_path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def get_mapping(request: Request, mapping_id: str) -> dict[str, Any]:
        return mappings.render(ctx(request), read(lambda model: mappings.get(model, mapping_id)))

    @app.put(map_path + "/{mapping_id}", tags=tag, responses=ERRORS)
    def update_mapping(request: Request, mapping_id: str, body: m.AccessTokenMapping) -> dict[str, Any]:
        return mappings.render(ctx(request),
                               node.change(lambda model: mappings.update(model, mapping_id, _body(body))))

    @app.delete(map_path + "/{mapping_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_mapping(mapping_id: str) -> Response:
        node.change(lambda model: mappings.delete(model, mapping_id))
        return Response(status_code=204)

    # ------------------------------------------------------------------ password credential validators

    tag = ["/passwordCredentialValidators"]
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
        return pcvs.render(c, node.change(lambda model: pcvs.create(c, model, _body(body))))

    @app.get(pcv_path + "/{pcv_id}", tags=tag, responses=ERRORS)
    def get_pcv(request: Request, pcv_id: str) -> dict[str, Any]:
        return pcvs.render(ctx(request), read(lambda model: pcvs.get(model, pcv_id)))

    @app.put(pcv_path + "/{pcv_id}", tags=tag, responses=ERRORS)
    def update_pcv(request: Request, pcv_id: str, body: m.PasswordCredentialValidator) -> dict[str, Any]:
        c = ctx(request)
        return pcvs.render(c, node.change(lambda model: pcvs.update(c, model, pcv_id, _body(body))))

    @app.delete(pcv_path + "/{pcv_id}", tags=tag, status_code=204, responses=ERRORS)
    def delete_pcv(pcv_id: str) -> Response:
        node.change(lambda model: pcvs.delete(model, pcv_id))
        return Response(status_code=204)

    _install_openapi(app)
    return AdminSecurityMiddleware(app, AdminAuthenticator(node.store), {OPENAPI})  # type: ignore[arg-type]


def _scope_routes(app: FastAPI, node: Node, read: Callable[[Callable[[ConfigModel], Any]], Any], path: str,
                  collection: str, tag: list[str | Enum]) -> None:
    group = collection.endswith("Groups")
    model_type: Any = m.ScopeGroupEntry if group else m.ScopeEntry

    def list_entries(page: int | None = Query(None, ge=1),
                     numberPerPage: int | None = Query(None, ge=1),
                     filter: str | None = None,
                     sortOrder: str | None = Query(None, pattern="^(ASC|DESC)$")) -> Any:
        return read(lambda model: authserver.list_entries(model, collection, page, numberPerPage, filter,
                                                          sortOrder == "DESC"))

    def add(body: model_type) -> Any:
        return node.change(lambda model: authserver.add_entry(model, collection, _body(body)))

    def get_one(name: str) -> Any:
        return read(lambda model: authserver.get_entry(model, collection, name))

    def update(name: str, body: model_type) -> Any:
        return node.change(lambda model: authserver.update_entry(model, collection, name, _body(body)))

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
            for operation in item.values():
                operation.setdefault("parameters", []).append({
                    "name": "X-XSRF-Header", "in": "header", "required": True,
                    "schema": {"type": "string", "default": "PingFederate"},
                    "description": "Any non-empty value; protects against cross-site requests."})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

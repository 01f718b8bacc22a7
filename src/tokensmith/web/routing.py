"""What every admin route module receives, and the helpers they share.

Each resource has a module in :mod:`tokensmith.web.routes` with one function,
``register(app, deps)``, that adds its paths to the FastAPI application. Handlers stay thin:
parse (pydantic), call the resource service inside :meth:`Deps.change` (one transaction), render.
Handlers are plain functions, so FastAPI runs them in its thread pool and slow work (password
hashing, SQL, key generation) never stalls the runtime endpoints sharing the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request

from tokensmith.admin import models as m
from tokensmith.admin.context import AdminContext
from tokensmith.admin.kinds import key_pair_users
from tokensmith.config.model import ConfigModel
from tokensmith.keys.usage import KeyPairUsage
from tokensmith.node import Node
from tokensmith.plugins.registry import PluginRegistry

BASE = "/pf-admin-api/v1"
T = TypeVar("T")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": m.ApiResult, "description": "Missing or wrong administrator credentials."},
    403: {"model": m.ApiResult, "description": "The X-XSRF-Header header is missing."},
    404: {"model": m.ApiResult, "description": "Resource not found."},
    422: {"model": m.ApiResult, "description": "Validation error(s) occurred."},
}


def as_dict(model: Any) -> dict[str, Any]:
    """A request model as the plain dict the resource services work on (unset members left out)."""
    return dict(model.model_dump(exclude_none=True))


@dataclass
class Deps:
    node: Node
    atm_types: PluginRegistry
    pcv_types: PluginRegistry
    key_users: KeyPairUsage = field(default_factory=key_pair_users)

    def ctx(self, request: Request) -> AdminContext:
        """The services' context for one admin request. Its ``location`` links start with the
        configured admin base URL (``--admin-base-url``), never with the request's ``Host``."""
        base = self.node.admin_base_url() + BASE
        return AdminContext(self.node.box, self.node.clock, base, self.atm_types, self.pcv_types)

    def read(self, fn: Callable[[ConfigModel], T]) -> T:
        return fn(self.node.model())

    def change(self, fn: Callable[[ConfigModel], T]) -> T:
        return self.node.change(fn)

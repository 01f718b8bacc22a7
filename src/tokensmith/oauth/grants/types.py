"""What a grant type is to this server: its RFC name, its PingFederate client value and its handler.

Kept free of protocol imports so the admin API, its OpenAPI models and the console can read the
registry (``tokensmith.oauth.grants``) without pulling in the token endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot
    from tokensmith.httpmsg import Response
    from tokensmith.worker import Runtime

Handler = Callable[["Runtime", "Snapshot", "RuntimeClient", dict[str, str], dict[str, Any], float],
                   Awaitable["Response"]]


@dataclass(frozen=True)
class ClientGrantType:
    """A value of a client's ``grantTypes`` (PingFederate's enumeration).

    ``refused`` says why a client may not be given the value here (``None`` when it may); a value
    that needs client authentication has ``confidential_only``. ``not_in_effect`` says why a value a
    client may hold does nothing here: it is stored and returned (so PingFederate's clients move over
    unchanged), but no endpoint serves that grant, so holding it lets the client do nothing more.
    """

    value: str
    label: str
    confidential_only: bool = False
    refused: str | None = None
    not_in_effect: str | None = None


@dataclass(frozen=True)
class Grant:
    """A grant the token endpoint serves: ``name`` is the RFC ``grant_type`` parameter, ``client``
    the client grant-type value that allows it, ``handler`` issues the token response."""

    name: str
    client: ClientGrantType
    handler: Handler

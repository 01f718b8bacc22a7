"""References to pushed authorization requests (RFC 9126): how a ``request_uri`` is made, and how the
authorization endpoint turns one back into the request the client pushed.

A reference is ``urn:ietf:params:oauth:request_uri:`` followed by ``parReferenceLength`` bytes of
randomness (base64url). Only its SHA-256 digest is stored, in the token state, so any worker or node
can redeem it and a copy of the store yields none. Redeeming takes the record out of the store in one
atomic step: a reference works once, whoever presents it, and is refused when it has expired or was
pushed by another client than the one the browser's request names (RFC 9126 §4, §7.3).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tokensmith.crypto.randomness import urlsafe_token
from tokensmith.oauth.authz_request import Refused
from tokensmith.state.base import token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import ParSettings, Snapshot

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 §2.2


def new_reference(settings: ParSettings) -> tuple[str, bytes]:
    """A new ``request_uri`` and the digest it is stored under."""
    uri = REQUEST_URI_PREFIX + urlsafe_token(math.ceil(settings.length * 4 / 3))
    return uri, token_digest(uri)


async def redeem(rt: Runtime, snapshot: Snapshot, params: dict[str, str], now: float) -> dict[str, str]:
    """The pushed parameters that a front-channel request with ``client_id`` and ``request_uri`` names.

    Every other parameter of the front-channel request is ignored (RFC 9126 §4): only what the client
    pushed, authenticated, counts. Problems are :class:`Refused`: the redirect URI is in the pushed
    request, so until it is found there is nowhere trustworthy to send an error."""
    if not snapshot.par.enabled:
        raise Refused("This server does not accept pushed authorization requests (request_uri)")
    client_id = params.get("client_id")
    if client_id is None:
        raise Refused("The request names no client (client_id is missing)")
    record = await rt.state.take_pushed(token_digest(params["request_uri"]))
    if record is None or record.expires_at <= now:
        raise Refused("The request_uri is unknown, has expired or has already been used. Return to the "
                      "application and start again.")
    if record.client_id != client_id:
        raise Refused("The request_uri was not issued to this application")
    return {**record.params, "client_id": client_id}

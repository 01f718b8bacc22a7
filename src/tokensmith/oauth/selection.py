"""Which access token manager serves a token request.

In order: ``access_token_manager_id``; a ``resource``/``aud`` matching a manager's resource URIs
(longest prefix wins); the client's default manager; the server's default manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokensmith.errors import OAuthError, invalid_request

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeAtm, RuntimeClient, Snapshot


def select(form: dict[str, str], client: RuntimeClient, snapshot: Snapshot) -> RuntimeAtm:
    atm_id: str | None = None
    requested = form.get("access_token_manager_id")
    resource = form.get("resource") or form.get("aud")
    if requested:
        if requested not in snapshot.atms:
            raise invalid_request(f"Access token manager '{requested}' does not exist")
        atm_id = requested
    elif resource:
        atm_id = snapshot.atm_for_resource(resource)
        if atm_id is None:
            raise OAuthError("invalid_target", f"No access token manager serves resource '{resource}'")
    else:
        atm_id = client.default_atm or snapshot.default_atm
    if atm_id is None or atm_id not in snapshot.atms:
        raise invalid_request("No access token manager is configured for this client")
    if client.restrict_to_default_atm and atm_id != (client.default_atm or snapshot.default_atm):
        # without a default of its own, the client is held to the server's default manager
        raise invalid_request("This client may only use its default access token manager")
    atm = snapshot.atms[atm_id]
    if not atm.allows(client.client_id):
        raise OAuthError("access_denied", f"This client may not use access token manager '{atm_id}'")
    return atm

"""RFC 8628 §3.4-3.5: the device polls the token endpoint with its device code until the user has
decided on the user page (:mod:`tokensmith.oauth.user_authz`).

Each poll is one atomic step of the token state (:func:`tokensmith.state.base.device_poll`): while
the user has not decided the answer is ``authorization_pending``, or ``slow_down`` when the poll came
sooner than the interval after the previous one (the interval then grows by 5 seconds for this and
every later poll); ``access_denied`` once the user denied, ``expired_token`` after the codes' lifetime.
The first poll after an approval redeems the device code and gets the tokens; any later poll, and a
poll with another client's device code (which changes nothing), gets ``invalid_grant``.

The tokens are issued as for the authorization code grant, for the user who signed in on the user page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.types import ClientGrantType, Grant
from tokensmith.oauth.selection import select
from tokensmith.state.base import token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

NAME = "urn:ietf:params:oauth:grant-type:device_code"

_REFUSALS = {
    "foreign": ("invalid_grant", "The device code is not valid"),
    "redeemed": ("invalid_grant", "The device code has already been used"),
    "expired": ("expired_token", "The device code has expired; start again on the device"),
    "denied": ("access_denied", "The user denied the request"),
    "pending": ("authorization_pending", "The user has not yet approved the request"),
    "slow_down": ("slow_down", "Polling too often; wait 5 seconds more between requests"),
}


async def handle(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                 context: dict[str, Any], now: float) -> Response:
    device_code = form.get("device_code")
    if not device_code:
        raise invalid_request("device_code is required")
    atm = select(form, client, snapshot)  # before the poll: a bad manager choice does not spend an approval
    polled = await rt.state.poll_device(token_digest(device_code), client.client_id, now)
    if polled is None:
        raise OAuthError("invalid_grant", "The device code is not valid")
    outcome, record = polled
    refusal = _REFUSALS.get(outcome)
    if refusal is not None:
        raise OAuthError(*refusal)
    answer, _, _ = await issuing.for_signed_in_user(rt, snapshot, client, atm, record.scope, record.user_key,
                                                    record.validator_id, record.user_attributes, context, now,
                                                    GRANT.client.value)
    return answer


GRANT = Grant(NAME, ClientGrantType("DEVICE_CODE", "Device Authorization Grant"), handle)

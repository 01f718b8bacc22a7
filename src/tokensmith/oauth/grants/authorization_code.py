"""RFC 6749 §4.1.3: redeeming an authorization code, checked against what it was bound to when the
authorization endpoint issued it (client, redirect URI, PKCE challenge RFC 7636 §4.6, expiry).

A code is redeemed once: the token state's atomic take tells a replay apart, and a replay gets
``invalid_grant`` and revokes what the first redemption issued (its refresh grant with every access
token under it, and its reference access token), as RFC 6749 §4.1.2 and the OAuth 2.0 Security BCP
advise: a replayed code is a sign that it was stolen.

The access token is filled by the mapping of the sign-in's context: ``idp_adapter:<validator id>``
(context type ``IDP_ADAPTER`` naming the password credential validator that accepted the password),
else the manager's default mapping; ``USER_KEY`` and ``USER_NAME`` are the username, as for the
password grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response
from tokensmith.oauth.grants import issuing
from tokensmith.oauth.grants.types import ClientGrantType, Grant
from tokensmith.oauth.selection import select
from tokensmith.state.base import CodeRecord, token_digest
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

NAME = "authorization_code"
_VERIFIER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def verifier_matches(record: CodeRecord, verifier: str | None) -> bool:
    """RFC 7636 §4.6: the verifier's shape, then S256 (or plain) against the stored challenge."""
    if verifier is None or not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER:
        return False
    if record.challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=")
        return hmac.compare_digest(computed, record.challenge.encode("ascii"))
    return hmac.compare_digest(verifier.encode("ascii"), record.challenge.encode("ascii"))


async def _revoke_first_exchange(rt: Runtime, record: CodeRecord) -> None:
    if record.issued_grant_id is not None:
        await rt.state.revoke_grant(record.issued_grant_id)
    if record.issued_token_key is not None:
        await rt.state.delete_token(record.issued_token_key)


def _check(record: CodeRecord | None, client: RuntimeClient, form: dict[str, str], now: float) -> CodeRecord:
    if record is None or record.client_id != client.client_id:
        raise _invalid("The authorization code is not valid")
    if record.expires_at <= now:
        raise _invalid("The authorization code has expired")
    if form.get("redirect_uri") != record.redirect_uri:
        raise _invalid("redirect_uri must be the one sent in the authorization request" if record.redirect_uri
                       else "redirect_uri was not sent in the authorization request, so it must not be sent here")
    if record.challenge:
        if not verifier_matches(record, form.get("code_verifier")):
            raise _invalid("The code_verifier does not match the code_challenge")
    elif "code_verifier" in form:  # RFC 9700 §2.1.1: a verifier for a code issued without PKCE is refused
        raise _invalid("The authorization request sent no code_challenge, so no code_verifier may be sent")
    return record


async def handle(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                 context: dict[str, Any], now: float) -> Response:
    code = form.get("code")
    if not code:
        raise invalid_request("code is required")
    atm = select(form, client, snapshot)  # before the take: a bad manager choice does not spend the code
    code_hash = token_digest(code)
    taken = await rt.state.take_code(code_hash)
    if taken is not None and taken.reused:
        await _revoke_first_exchange(rt, taken)
        raise _invalid("The authorization code has already been used; the tokens issued for it are revoked")
    record = _check(taken, client, form, now)
    answer, grant_id, token_key = await issuing.for_signed_in_user(
        rt, snapshot, client, atm, record.scope, record.user_key, record.validator_id, record.user_attributes,
        context, now, GRANT.client.value)
    if not await rt.state.record_code_issue(code_hash, grant_id, token_key):
        # replayed while this exchange ran: the replay could not see these tokens, so revoke them here
        await _revoke_first_exchange(rt, CodeRecord(code_hash, "", None, "", "", "", "", "", {}, 0.0, grant_id,
                                                    token_key))
        raise _invalid("The authorization code has already been used; the tokens issued for it are revoked")
    return answer


GRANT = Grant(NAME, ClientGrantType("AUTHORIZATION_CODE", "Authorization Code"), handle)

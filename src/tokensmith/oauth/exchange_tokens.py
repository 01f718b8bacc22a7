"""Reading and validating the subject and actor tokens of a token exchange.

JWTs and access tokens (``...:jwt``, ``...:access_token``, ``...:id_token``) are given to the token
processor as sent; SAML assertions (``...:saml2``, ``...:saml1``) are base64url-decoded (RFC 8693 §3)
and parsed with the hardened XML parser. A JWT processor whose Access Token Manager names one of this
server's managers accepts that manager's tokens: JWTs as the manager verifies them, and, for a
reference-token manager, its reference tokens, looked up in the shared token state by their digest
(so a gateway can exchange an opaque token for a JWT or a SAML assertion).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.keys.remote import RemoteJwks
from tokensmith.sts import xml as x
from tokensmith.sts.managers import manager_check
from tokensmith.sts.processors.base import Incoming, ManagerCheck
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_JWT, TT_SAML1, TT_SAML2, Identity, TokenRefused
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot

TT_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT_TYPES = (TT_JWT, TT_ACCESS_TOKEN, TT_ID_TOKEN)
SAML_TYPES = {TT_SAML2: ("saml2", x.SAML2), TT_SAML1: ("saml1", x.SAML1)}


def b64url(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise invalid_request("A SAML token must be base64url-encoded") from exc


def read_token(value: str, token_type: str) -> Incoming:
    if token_type in JWT_TYPES:
        return Incoming("jwt", value=value)
    if token_type not in SAML_TYPES:
        raise OAuthError("unsupported_token_type", f"Token type '{token_type}' is not supported")
    kind, namespace = SAML_TYPES[token_type]
    try:
        element = x.parse(b64url(value))
    except x.XmlRefused as exc:
        raise invalid_request(f"The SAML token is refused: {exc}") from exc
    if element.tag != x.q(namespace, "Assertion"):
        raise invalid_request("The token is not a SAML assertion of the given token type")
    return Incoming(kind, element=element)


@dataclass(frozen=True)
class _WithReferenceTokens:
    """The node's manager check, which also finds this server's reference tokens by their digest
    (a reference token has no dots), and the node's JWKS fetcher as the processors expect it."""

    rt: Runtime
    snapshot: Snapshot
    jwt_check: ManagerCheck
    issuer: str
    subject_claim: str

    @property
    def remote_jwks(self) -> RemoteJwks | None:
        return self.jwt_check.remote_jwks

    async def __call__(self, atm_id: str, token: str, now: float) -> dict[str, Any] | None:
        found = await self.jwt_check(atm_id, token, now)
        if found is not None or "." in token:
            return found
        record = await self.rt.state.get_token(self.rt.state.token_key(token))
        if record is None or record.atm_id != atm_id or record.expires_at <= now or atm_id not in self.snapshot.atms:
            return None
        claims: dict[str, Any] = {**record.attributes, "iss": self.issuer, "exp": record.expires_at,
                                  "iat": record.issued_at, "client_id": record.client_id}
        if record.scope:
            claims["scope"] = record.scope
        claims.setdefault(self.subject_claim, record.client_id)  # a client's own token: the client is the subject
        return claims


async def validate(rt: Runtime, snapshot: Snapshot, processor_id: str, token: Incoming, now: float,
                   what: str) -> Identity:
    """The identity the processor finds in the token, or ``invalid_request`` naming why not."""
    entry = snapshot.sts.processors.get(processor_id)
    if entry is None or entry.runtime is None:
        raise invalid_request(f"Token processor '{processor_id}' is not available"
                              + (f": {entry.error}" if entry is not None and entry.error else ""))
    runtime = entry.runtime
    check = _WithReferenceTokens(rt, snapshot, manager_check(rt, snapshot), str(getattr(runtime, "issuer", "")),
                                 str(getattr(runtime, "subject_claim", "sub")))
    try:
        return await runtime.process(token, now, check)
    except TokenRefused as error:
        raise invalid_request(f"The {what} is not valid: {error.message}") from error

"""The one list of grant types: the token endpoint dispatches on it, the RFC 8414 metadata publishes it,
the admin API validates clients' ``grantTypes`` against it and the console offers its labels.

A grant the token endpoint serves is one module declaring a ``GRANT`` (RFC name, PingFederate client
value, handler). A client grant-type value that is not a token endpoint grant (``ACCESS_TOKEN_VALIDATION``,
which lets a resource server introspect) or that this server does not serve is declared here, with
the reason a client cannot be given it.
"""

from __future__ import annotations

from tokensmith.oauth.grants import (
    authorization_code,
    client_credentials,
    device_code,
    password,
    refresh_token,
    token_exchange,
)
from tokensmith.oauth.grants.types import ClientGrantType, Grant

NOT_SERVED = "not supported by this server"
IMPLICIT = ("the implicit grant is not offered: the OAuth 2.0 Security Best Current Practice (RFC 9700 section "
            "2.1.2) says not to use it, as tokens in the redirect leak; use AUTHORIZATION_CODE with PKCE")
NO_EXTENSION = ("no extension grant types are installed here, so the token endpoint answers any other grant_type "
                "with unsupported_grant_type")
NO_CIBA = "Client Initiated Backchannel Authentication has no endpoint here"

GRANTS: dict[str, Grant] = {g.name: g for g in (
    authorization_code.GRANT, client_credentials.GRANT, password.GRANT, refresh_token.GRANT, token_exchange.GRANT,
    device_code.GRANT)}

# Every value of PingFederate's client grantTypes enumeration, in its order.
CLIENT_VALUES: dict[str, ClientGrantType] = {c.value: c for c in (
    ClientGrantType("IMPLICIT", "Implicit", refused=IMPLICIT),
    authorization_code.GRANT.client,
    password.GRANT.client,
    client_credentials.GRANT.client,
    refresh_token.GRANT.client,
    ClientGrantType("EXTENSION", "Extension Grants", not_in_effect=NO_EXTENSION),
    device_code.GRANT.client,
    ClientGrantType("ACCESS_TOKEN_VALIDATION", "Access Token Validation (Client is a Resource Server)",
                    confidential_only=True),
    ClientGrantType("CIBA", "Client Initiated Backchannel Authentication", not_in_effect=NO_CIBA),
    token_exchange.GRANT.client,
)}


def grant(name: str) -> Grant | None:
    """The token endpoint grant with this RFC ``grant_type`` name."""
    return GRANTS.get(name)


def served_names() -> list[str]:
    """The RFC ``grant_type`` names the token endpoint serves (RFC 8414 ``grant_types_supported``)."""
    return list(GRANTS)


def label(value: str) -> str:
    """How the console names a client grant type value (the value itself when it is not one of ours)."""
    known = CLIENT_VALUES.get(value)
    return value if known is None else known.label


def allowed_client_values() -> dict[str, ClientGrantType]:
    """The client grant-type values a client may be given here."""
    return {v: c for v, c in CLIENT_VALUES.items() if c.refused is None}

"""RFC 8693 token exchange, served by ``tokensmith.oauth.exchange`` through the STS generators."""

from __future__ import annotations

from tokensmith.oauth.exchange import GRANT_TOKEN_EXCHANGE, token_exchange
from tokensmith.oauth.grants.types import ClientGrantType, Grant

GRANT = Grant(GRANT_TOKEN_EXCHANGE, ClientGrantType("TOKEN_EXCHANGE", "Token Exchange"), token_exchange)

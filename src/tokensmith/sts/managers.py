"""Checking a JWT issued by one of this server's access token managers, for the JWT token processor.

The manager's own type verifies the token (JWS or JWE, static or centralized rotating keys), checks
its claims and, when the manager revokes tokens, its ``jti`` against the shared revocation list,
exactly as introspection does.
"""

from __future__ import annotations

from typing import Any

from tokensmith.atm.jwt.runtime import JwtAtm
from tokensmith.atm.types import atm_types
from tokensmith.config.snapshot import Snapshot
from tokensmith.oauth.runtime import Runtime
from tokensmith.sts.processors.runtime import ManagerCheck

JWT_MANAGER = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"


def manager_check(rt: Runtime, snapshot: Snapshot) -> ManagerCheck:
    async def check(atm_id: str, token: str, now: float) -> dict[str, Any] | None:
        jwt_type = atm_types().get(JWT_MANAGER)
        verify = getattr(jwt_type, "verify", None)
        if verify is None:
            return None
        found = await verify(rt, snapshot, token, now)
        if found is None:
            return None
        atm, claims = found
        if not isinstance(atm, JwtAtm) or atm.id != atm_id:
            return None
        jti = claims.get("jti")
        if atm.settings.revocation and isinstance(jti, str) and await rt.state.is_jti_revoked(atm.jti_key(jti), now):
            return None
        return dict(claims)

    return check

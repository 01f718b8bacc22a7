"""What token processors ask of the running node: whether a JWT is a current one of this server's
access token managers (for the JWT token processor), and the node's fetcher of partners' JWK sets.

The manager's own type verifies the token (JWS or JWE, static or centralized rotating keys), checks
its claims and, when the manager revokes tokens, its ``jti`` against the shared revocation list,
exactly as introspection does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokensmith.atm.jwt.manager import JwtAtm
from tokensmith.atm.types import atm_types
from tokensmith.keys.remote import RemoteJwks
from tokensmith.sts.processors.base import ManagerCheck
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot

JWT_MANAGER = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"


@dataclass(frozen=True)
class _NodeCheck:
    rt: Runtime
    snapshot: Snapshot

    @property
    def remote_jwks(self) -> RemoteJwks | None:
        return self.rt.remote_jwks

    async def __call__(self, atm_id: str, token: str, now: float) -> dict[str, Any] | None:
        jwt_type = atm_types().get(JWT_MANAGER)
        verify = getattr(jwt_type, "verify", None)
        if verify is None:
            return None
        found = await verify(self.rt, self.snapshot, token, now)
        if found is None:
            return None
        atm, claims = found
        if not isinstance(atm, JwtAtm) or atm.id != atm_id:
            return None
        jti = claims.get("jti")
        if atm.settings.revocation and isinstance(jti, str) and \
                await self.rt.state.is_jti_revoked(atm.jti_key(jti), now):
            return None
        return dict(claims)


def manager_check(rt: Runtime, snapshot: Snapshot) -> ManagerCheck:
    return _NodeCheck(rt, snapshot)

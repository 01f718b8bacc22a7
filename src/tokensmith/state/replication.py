"""How "Mode for Synchronous RPC" and "RPC Timeout" map onto Redis replication.

Redis replicates asynchronously; ``WAIT n timeout`` blocks the writing connection until ``n``
replicas have acknowledged everything it wrote, or until ``timeout`` ms pass. A deployment of one
primary and R replicas holds R + 1 copies:

* mode ``"3"`` (majority of nodes): a majority of the R + 1 copies, so ``(R + 1) // 2`` replica
  acknowledgements besides the primary's own copy (R=1 → 1, R=2 → 1, R=3 → 2, R=4 → 2);
* mode ``"2"`` (all nodes): all R replicas.

With no replicas, nothing is waited for. What a timeout means is decided by the caller
(:class:`tokensmith.state.redis.RedisTokenState`): issuance refuses to hand out a token that
is not replicated as the mode asks; revocation and extension are already applied on the primary and
are answered, and the timeout is counted and logged.
"""

from __future__ import annotations

from dataclasses import dataclass

MAJORITY, ALL_NODES = "3", "2"
DEFAULT_TIMEOUT_MS = 500


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    mode: str = MAJORITY
    timeout_ms: int = DEFAULT_TIMEOUT_MS


DEFAULT_POLICY = SyncPolicy()


def required_acks(mode: str, replicas: int) -> int:
    """Replica acknowledgements a write needs under ``mode`` when the primary has ``replicas``."""
    if replicas <= 0:
        return 0
    if mode == ALL_NODES:
        return replicas
    return (replicas + 1) // 2

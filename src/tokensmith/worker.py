"""What the protocol cores need from the running node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokensmith.clock import Clock
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.keys.central import CentralKeys
from tokensmith.keys.remote import RemoteJwks
from tokensmith.metrics import Metrics
from tokensmith.state.base import TokenState
from tokensmith.state.throttle import Throttle

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot


@dataclass
class Runtime:
    snapshot: Callable[[], Snapshot]
    state: TokenState
    clock: Clock
    box: SecretBox
    central_keys: CentralKeys | None = None  # centralized signing keys (JWT managers, /pf/JWKS)
    remote_jwks: RemoteJwks | None = None  # partners' JWK sets fetched from URLs
    throttle: Throttle | None = None  # guessing of client secrets and passwords (None: not throttled)
    metrics: Metrics | None = None

    def count_malformed(self, what: str) -> None:
        """Count an input refused by strict parsing (``tokensmith_malformed_input_total``)."""
        if what and self.metrics is not None:
            self.metrics.inc("tokensmith_malformed_input_total", what)

"""What the protocol cores need from the running node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tokensmith.clock import Clock
from tokensmith.config.snapshot import Snapshot
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.state.base import TokenState


@dataclass
class Runtime:
    snapshot: Callable[[], Snapshot]
    state: TokenState
    clock: Clock
    box: SecretBox

"""One worker's view of a Tokensmith node: configuration, token state, secrets and the clock.

The runtime endpoints read :meth:`Node.snapshot` on every request; it costs one memory read
unless another process changed the configuration, in which case the snapshot is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

from tokensmith.clock import Clock, SystemClock
from tokensmith.config.generation import GenerationCounter
from tokensmith.config.model import ConfigModel
from tokensmith.config.snapshot import Snapshot, build
from tokensmith.config.store import ConfigStore
from tokensmith.crypto.masterkey import MasterKey
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.keys.central import CentralKeys
from tokensmith.keys.remote import RemoteJwks
from tokensmith.keys.ring import KeyLoader
from tokensmith.oauth.runtime import Runtime
from tokensmith.settings import Settings
from tokensmith.state.base import TokenState
from tokensmith.state.sqlite import SqliteTokenState

T = TypeVar("T")
log = logging.getLogger("tokensmith")


class Node:
    def __init__(self, settings: Settings, clock: Clock | None = None, state: TokenState | None = None,
                 store: ConfigStore | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.box = SecretBox(MasterKey.load(settings.master_key_file))
        self.store = store or ConfigStore.sqlite(settings.config_db)
        self.state: TokenState = state or SqliteTokenState(settings.state_db)
        self.generation = GenerationCounter(settings.generation_file)
        self._seen_generation = self.generation.read()
        self.keys = KeyLoader(self.box)  # loaded key pairs, kept across snapshot rebuilds
        self._snapshot = build(self.store.load(), self.keys)
        self.central_keys = CentralKeys(self.state, self.box, settings.key_rotation_period)
        self.remote_jwks = RemoteJwks()
        self.runtime = Runtime(self.snapshot, self.state, self.clock, self.box, self.central_keys, self.remote_jwks)
        self._purger: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- configuration

    def snapshot(self) -> Snapshot:
        generation = self.generation.read()
        if generation != self._seen_generation:
            self._seen_generation = generation
            self._snapshot = build(self.store.load(), self.keys)
        return self._snapshot

    def model(self) -> ConfigModel:
        return self.store.load()

    def change(self, fn: Callable[[ConfigModel], T]) -> T:
        """Apply an admin change atomically, then make it live in every worker."""
        before = self._seen_generation
        result, model = self.store.mutate(fn)
        generation = self.generation.bump()
        if generation == before + 1:
            self._snapshot = build(model, self.keys)
        else:  # another process changed the configuration meanwhile: take the committed whole
            self._snapshot = build(self.store.load(), self.keys)
        self._seen_generation = generation
        return result

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._purger is None:
            self._purger = asyncio.create_task(self._purge_loop(), name="tokensmith-purge")

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval)
            try:
                removed = await self.state.purge_expired(self.clock.now())
                if removed:
                    log.info("purged %d expired tokens and grants", removed)
            except Exception:  # keep purging on later rounds; log the cause
                log.exception("purging expired tokens failed")

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None
        await self.remote_jwks.close()
        await self.state.close()
        self.store.close()
        self.generation.close()

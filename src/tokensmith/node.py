"""One worker's view of a Tokensmith node: configuration, token state, secrets and the clock.

The runtime endpoints read :meth:`Node.snapshot` on every request; it costs one memory read
unless another process of this node changed the configuration, in which case the snapshot is
rebuilt. Changes made on other nodes of a cluster (configuration in PostgreSQL) are brought in by a
:class:`tokensmith.config.watcher.ConfigWatcher` thread, which swaps in a newly built snapshot.

Token state is SQLite in the data directory, or Redis with ``--redis-url`` (then each access token
manager's "Mode for Synchronous RPC" and "RPC Timeout" decide how writes wait for replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from tokensmith.assembly.snapshot import Snapshot, build
from tokensmith.clock import Clock, SystemClock
from tokensmith.config.generation import GenerationCounter
from tokensmith.config.model import ConfigModel
from tokensmith.config.store import ConfigStore, open_store
from tokensmith.config.watcher import ConfigWatcher
from tokensmith.crypto.masterkey import MasterKey
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.keys.central import CentralKeys
from tokensmith.keys.remote import RemoteJwks
from tokensmith.keys.ring import KeyLoader
from tokensmith.metrics import Metrics
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.publicurl import admin_base_url, runtime_base_url
from tokensmith.settings import Settings
from tokensmith.state.base import TokenState
from tokensmith.state.replication import DEFAULT_POLICY, SyncPolicy
from tokensmith.state.sqlite import SqliteTokenState
from tokensmith.state.throttle import Throttle, ThrottlePolicy
from tokensmith.worker import Runtime

T = TypeVar("T")
log = logging.getLogger("tokensmith")


class Node:
    def __init__(self, settings: Settings, clock: Clock | None = None, state: TokenState | None = None,
                 store: ConfigStore | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        master = MasterKey.load(settings.master_key_file)
        self._locator_key = master.locator_key
        self.box = SecretBox(master)
        self.metrics = Metrics(settings.data_dir / "metrics.bin")
        self.store = store or open_store(settings.database_url, settings.config_db)
        self.generation = GenerationCounter(settings.generation_file)
        self._seen_generation = self.generation.read()
        self.keys = KeyLoader(self.box)  # loaded key pairs, kept across snapshot rebuilds
        VERIFIED_PASSWORDS.configure(settings.credential_cache_seconds)
        self._swap = threading.Lock()
        self._snapshot = build(self.store.load(), self.keys)
        self.metrics.set("tokensmith_config_version", self._snapshot.version)
        self.state: TokenState = state or self._open_state()
        self.throttle = Throttle(self.state, self.clock, self.metrics, ThrottlePolicy(
            settings.throttle_failures, settings.throttle_address_failures, settings.throttle_window,
            settings.throttle_lockout, settings.throttle_max_lockout))
        self.central_keys = CentralKeys(self.state, self.box, settings.key_rotation_period)
        self.remote_jwks = RemoteJwks()
        self.runtime = Runtime(self.snapshot, self.state, self.clock, self.box, self.central_keys, self.remote_jwks,
                               self.throttle, self.metrics)
        self._purger: asyncio.Task[None] | None = None
        self._watcher: ConfigWatcher | None = None
        # Periodic configuration upkeep registered by the layers above (key pair rotation), run with the
        # token purge; each task is idempotent, since every worker of every node runs it.
        self._maintenance: list[Callable[[], object]] = []

    def _open_state(self) -> TokenState:
        s = self.settings
        if s.redis_url is None:
            return SqliteTokenState(s.state_db, locator_key=self._locator_key)
        from tokensmith.state.redis import RedisTokenState

        return RedisTokenState.from_url(s.redis_url, s.redis_replica_url, clock=self.clock, sync_for=self.sync_policy,
                                        metrics=self.metrics)

    def sync_policy(self, atm_id: str | None) -> SyncPolicy:
        """The replication policy of an access token manager (the default for others and for none)."""
        atm = self.snapshot().atms.get(atm_id) if atm_id is not None else None
        mode = getattr(getattr(atm, "policy", None), "rpc_mode", None)
        timeout = getattr(getattr(atm, "policy", None), "rpc_timeout_ms", None)
        if isinstance(mode, str) and isinstance(timeout, int):
            return SyncPolicy(mode, timeout)
        return DEFAULT_POLICY

    # ----------------------------------------------------------------- configuration

    def snapshot(self) -> Snapshot:
        generation = self.generation.read()
        if generation != self._seen_generation:
            self._seen_generation = generation
            self._install(build(self.store.load(), self.keys), "local")
        return self._snapshot

    def _install(self, snapshot: Snapshot, source: str) -> None:
        """Swap ``snapshot`` in unless a newer one is already live (threads race to install)."""
        with self._swap:
            if snapshot.version < self._snapshot.version:
                return
            self._snapshot = snapshot
        self.metrics.inc("tokensmith_config_reloads_total", source)
        self.metrics.set("tokensmith_config_version", snapshot.version)

    def _refresh_from_cluster(self) -> None:
        """Called by the watcher thread when the store holds a newer version."""
        self._install(build(self.store.load(), self.keys), "cluster")

    def base_url(self) -> str:
        """The runtime base URL this node advertises (issuer, discovery documents); never from a request."""
        return runtime_base_url(self.settings, self.snapshot().base_url)

    def admin_base_url(self) -> str:
        """The admin listener's base URL, for admin API links; never from a request."""
        return admin_base_url(self.settings)

    def model(self) -> ConfigModel:
        return self.store.load()

    def change(self, fn: Callable[[ConfigModel], T]) -> T:
        """Apply an admin change atomically, then make it live in every worker."""
        before = self._seen_generation
        result, model = self.store.mutate(fn)
        generation = self.generation.bump()
        if generation == before + 1:
            self._install(build(model, self.keys), "local")
        else:  # another process changed the configuration meanwhile: take the committed whole
            self._install(build(self.store.load(), self.keys), "local")
        self._seen_generation = generation
        return result

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._purger is None:
            self._purger = asyncio.create_task(self._purge_loop(), name="tokensmith-purge")
        if self._watcher is None and self.store.postgres:
            self._watcher = ConfigWatcher(self.store, lambda: self._snapshot.version, self._refresh_from_cluster)
            self._watcher.start()

    def add_maintenance(self, task: Callable[[], object]) -> None:
        self._maintenance.append(task)

    def run_maintenance(self) -> None:
        """Run every maintenance task once (blocking: call it from a thread, or from tests)."""
        for task in self._maintenance:
            try:
                task()
            except Exception:  # one failing task must not stop the others, nor the next rounds
                log.exception("configuration maintenance task failed")

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval)
            if self._maintenance:
                await asyncio.get_running_loop().run_in_executor(None, self.run_maintenance)
            try:
                removed = await self.state.purge_expired(self.clock.now())
                if removed:
                    log.info("purged %d expired tokens and grants", removed)
            except Exception:  # keep purging on later rounds; log the cause
                log.exception("purging expired tokens failed")

    async def stop(self) -> None:
        if self._watcher is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._watcher.stop)
            self._watcher = None
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None
        await self.remote_jwks.close()
        await self.state.close()
        self.store.close()
        self.generation.close()
        self.metrics.close()

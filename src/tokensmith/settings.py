"""Process settings: where data lives, which ports to serve, how many workers, which cluster to join."""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from tokensmith.errors import ConfigurationError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9031
    admin_port: int = 9999
    workers: int = 1
    cert_file: Path | None = None
    key_file: Path | None = None
    node_id: str = "node-1"
    base_url: str | None = None  # runtime base URL unless /serverSettings names one (see publicurl)
    admin_base_url: str | None = None  # admin API links; None: from --host and --admin-port
    forwarded_allow_ips: str | None = None  # trust X-Forwarded-* only from these proxies
    purge_interval: float = 60.0
    key_rotation_period: float = 30 * 86400.0  # seconds between rotations of the centralized signing keys
    credential_cache_seconds: float = 60.0  # verified-password cache (tokensmith.pcv.verified); 0 = off
    log_level: str = "info"
    region: str = "default"
    redis_url: str | None = None  # token state in Redis (cluster); None: tokens.db in the data directory
    redis_replica_url: str | None = None  # this region's replica, for reads
    database_url: str | None = None  # configuration in PostgreSQL (cluster); None: config.db
    # Throttling of guessed secrets (tokensmith.state.throttle): failures per identity and address, per
    # address; seconds until a count is forgotten; the first and the longest lock. 0 failures: key off.
    throttle_failures: int = 10
    throttle_address_failures: int = 100
    throttle_window: float = 900.0
    throttle_lockout: float = 60.0
    throttle_max_lockout: float = 900.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        return self.cert_file is not None

    @property
    def config_db(self) -> Path:
        return self.data_dir / "config.db"

    @property
    def state_db(self) -> Path:
        return self.data_dir / "tokens.db"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def generation_file(self) -> Path:
        return self.data_dir / "config.gen"

    def check(self) -> None:
        self._check_cluster()
        self._check_throttle()
        if self.workers < 1:
            raise ConfigurationError("--workers must be at least 1")
        if not 0 <= self.credential_cache_seconds <= 3600:
            raise ConfigurationError("--credential-cache-seconds must be between 0 (off) and 3600")
        if not 3600 <= self.key_rotation_period <= 3650 * 86400:
            raise ConfigurationError("--key-rotation-days must be between 1/24 (one hour) and 3650")
        for name, port in (("--port", self.port), ("--admin-port", self.admin_port)):
            if not 0 <= port <= 65535:
                raise ConfigurationError(f"{name} must be between 0 and 65535")
        if self.port == self.admin_port and self.port != 0:
            raise ConfigurationError("--port and --admin-port must differ")
        from tokensmith.publicurl import problem

        for option, url in (("--base-url", self.base_url), ("--admin-base-url", self.admin_base_url)):
            reason = problem(url) if url is not None else None
            if reason is not None:
                raise ConfigurationError(f"{option} {reason}")
        if (self.cert_file is None) != (self.key_file is None):
            raise ConfigurationError("--cert and --key must be given together")
        for p in (self.cert_file, self.key_file):
            if p is not None and not p.is_file():
                raise ConfigurationError(f"no such file: {p}")
        if self.cert_file is not None and self.key_file is not None:
            try:  # fail here, once, rather than in every worker over and over
                ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(self.cert_file, self.key_file)
            except (ssl.SSLError, OSError) as exc:
                raise ConfigurationError(f"cannot use --cert {self.cert_file} with --key {self.key_file}: "
                                         f"{exc}") from exc

    def _check_throttle(self) -> None:
        for option, count in (("--throttle-failures", self.throttle_failures),
                              ("--throttle-address-failures", self.throttle_address_failures)):
            if not 0 <= count <= 1_000_000:
                raise ConfigurationError(f"{option} must be between 0 (off) and 1000000")
        for option, seconds in (("--throttle-window", self.throttle_window),
                                ("--throttle-lockout", self.throttle_lockout),
                                ("--throttle-max-lockout", self.throttle_max_lockout)):
            if not 1 <= seconds <= 30 * 86400:
                raise ConfigurationError(f"{option} must be between 1 and 2592000 seconds")
        if self.throttle_max_lockout < self.throttle_lockout:
            raise ConfigurationError("--throttle-max-lockout must not be shorter than --throttle-lockout")

    def _check_cluster(self) -> None:
        for option, value in (("--node-id", self.node_id), ("--region", self.region)):
            if not NAME.match(value):
                raise ConfigurationError(f"{option} must be 1 to 64 letters, digits, '.', '_' or '-', starting "
                                         "with a letter or digit")
        from tokensmith.state.redis_url import parse_redis_url

        if self.redis_url is not None:
            parse_redis_url(self.redis_url)
        if self.redis_replica_url is not None:
            if self.redis_url is None:
                raise ConfigurationError("--redis-replica-url needs --redis-url (the primary or its Sentinels)")
            if parse_redis_url(self.redis_replica_url, "--redis-replica-url").sentinel:
                raise ConfigurationError("--redis-replica-url names one replica: redis://HOST:PORT/DB")
        if self.database_url is not None:
            from tokensmith.config.store import postgres_url

            try:
                postgres_url(self.database_url)
            except Exception as exc:  # sqlalchemy's ArgumentError or our ValueError
                raise ConfigurationError(f"--database-url must be a PostgreSQL URL "
                                         f"(postgresql://USER@HOST:PORT/DB): {exc}") from exc


def env_default(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)

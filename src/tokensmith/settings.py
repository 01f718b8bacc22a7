"""Process settings: where data lives, which ports to serve, how many workers."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from tokensmith.errors import ConfigurationError


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
    base_url: str | None = None
    forwarded_allow_ips: str | None = None  # trust X-Forwarded-* only from these proxies
    purge_interval: float = 60.0
    key_rotation_period: float = 30 * 86400.0  # seconds between rotations of the centralized signing keys
    log_level: str = "info"
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
        if self.workers < 1:
            raise ConfigurationError("--workers must be at least 1")
        if not 3600 <= self.key_rotation_period <= 3650 * 86400:
            raise ConfigurationError("--key-rotation-days must be between 1/24 (one hour) and 3650")
        for name, port in (("--port", self.port), ("--admin-port", self.admin_port)):
            if not 0 <= port <= 65535:
                raise ConfigurationError(f"{name} must be between 0 and 65535")
        if self.port == self.admin_port and self.port != 0:
            raise ConfigurationError("--port and --admin-port must differ")
        if self.base_url is not None and not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError("--base-url must start with https:// or http://")
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


def env_default(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)

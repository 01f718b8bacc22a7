"""Command line: ``tokensmith serve``, ``init``, ``export``, ``import``, ``admin`` and ``doctor``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tokensmith import __version__, cli_admin, cli_bulk, cli_doctor
from tokensmith.datadir import ADMIN_USER, initialise
from tokensmith.datalock import acquire
from tokensmith.errors import ConfigurationError
from tokensmith.settings import Settings


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokensmith", description="Tokensmith security token service")
    parser.add_argument("--version", action="version", version=f"tokensmith {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, default=Path(_env("TOKENSMITH_DATA_DIR", "tokensmith-data")),
                       help="where configuration, token state and the master key live "
                            "(default: ./tokensmith-data, or TOKENSMITH_DATA_DIR)")
        p.add_argument("--database-url", default=os.environ.get("TOKENSMITH_DATABASE_URL"),
                       help="PostgreSQL database holding the configuration of a cluster, "
                            "postgresql://USER:PASSWORD@HOST:PORT/DB (default: config.db in the data directory; "
                            "or TOKENSMITH_DATABASE_URL)")

    serve = commands.add_parser("serve", help="start the runtime endpoints and the admin API")
    common(serve)
    serve.add_argument("--host", default=_env("TOKENSMITH_HOST", "127.0.0.1"),
                       help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=int(_env("TOKENSMITH_PORT", "9031")),
                       help="runtime port: token, introspection, revocation (default 9031)")
    serve.add_argument("--admin-port", type=int, default=int(_env("TOKENSMITH_ADMIN_PORT", "9999")),
                       help="admin API port (default 9999)")
    serve.add_argument("--workers", type=int, default=int(_env("TOKENSMITH_WORKERS", "1")),
                       help="worker processes (default 1)")
    serve.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM); enables HTTPS")
    serve.add_argument("--key", type=Path, default=None, help="TLS private key (PEM)")
    serve.add_argument("--node-id", default=_env("TOKENSMITH_NODE_ID", "node-1"),
                       help="this node's name in logs, headers and metrics (default node-1)")
    serve.add_argument("--region", default=_env("TOKENSMITH_REGION", "default"),
                       help="this node's region (default 'default'); nodes of a region read tokens from "
                            "--redis-replica-url")
    serve.add_argument("--redis-url", default=os.environ.get("TOKENSMITH_REDIS_URL"),
                       help="Redis holding the token state of a cluster: redis://HOST:PORT/DB, rediss://..., or "
                            "redis+sentinel://HOST:26379,HOST:26379/MASTER (default: tokens.db in the data "
                            "directory; or TOKENSMITH_REDIS_URL)")
    serve.add_argument("--redis-replica-url", default=os.environ.get("TOKENSMITH_REDIS_REPLICA_URL"),
                       help="this region's Redis replica; token lookups go there first "
                            "(or TOKENSMITH_REDIS_REPLICA_URL)")
    serve.add_argument("--base-url", default=os.environ.get("TOKENSMITH_BASE_URL"),
                       help="public base URL of the runtime endpoints: the issuer and the prefix of every URL "
                            "in the discovery documents, unless /serverSettings federationInfo.baseUrl is set "
                            "(default: from --host and --port; never from a request's Host header; or "
                            "TOKENSMITH_BASE_URL)")
    serve.add_argument("--admin-base-url", default=os.environ.get("TOKENSMITH_ADMIN_BASE_URL"),
                       help="public base URL of the admin listener, for the admin API's location links "
                            "(default: from --host and --admin-port; or TOKENSMITH_ADMIN_BASE_URL)")
    serve.add_argument("--forwarded-allow-ips", default=os.environ.get("TOKENSMITH_FORWARDED_ALLOW_IPS"),
                       help="comma-separated proxy addresses whose X-Forwarded-For/-Proto headers are "
                            "trusted (default: none are trusted)")
    serve.add_argument("--key-rotation-days", type=float,
                       default=float(_env("TOKENSMITH_KEY_ROTATION_DAYS", "30")),
                       help="days between rotations of the centralized signing keys (default 30)")
    serve.add_argument("--credential-cache-seconds", type=float,
                       default=float(_env("TOKENSMITH_CREDENTIAL_CACHE_SECONDS", "60")),
                       help="seconds a worker remembers (as a keyed digest) a username and password a "
                            "credential validator has just accepted, instead of checking the slow hash again "
                            "(default 60; 0 turns the cache off)")
    _throttle_options(serve)
    serve.add_argument("--log-level", default=_env("TOKENSMITH_LOG_LEVEL", "info"),
                       choices=["debug", "info", "warning", "error"])

    init = commands.add_parser("init", help="create the data directory and the administrator account")
    common(init)
    cli_bulk.add_commands(commands, common)
    cli_admin.add_commands(commands, common)
    cli_doctor.add_commands(commands, common)
    return parser


def _throttle_options(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("throttling of guessed secrets (docs/security.md)")
    group.add_argument("--throttle-failures", type=int, default=int(_env("TOKENSMITH_THROTTLE_FAILURES", "10")),
                       help="failed client secrets, admin passwords or UsernameToken passwords of one identity from "
                            "one address before it is locked (default 10; 0: no per-identity limit)")
    group.add_argument("--throttle-address-failures", type=int,
                       default=int(_env("TOKENSMITH_THROTTLE_ADDRESS_FAILURES", "100")),
                       help="failures from one address, any identity, before the address is locked "
                            "(default 100; 0: no per-address limit; both 0: throttling off)")
    group.add_argument("--throttle-window", type=float, default=float(_env("TOKENSMITH_THROTTLE_WINDOW", "900")),
                       help="seconds without a failure after which a count is forgotten (default 900)")
    group.add_argument("--throttle-lockout", type=float, default=float(_env("TOKENSMITH_THROTTLE_LOCKOUT", "60")),
                       help="seconds of the first lock; each further failure doubles it (default 60)")
    group.add_argument("--throttle-max-lockout", type=float,
                       default=float(_env("TOKENSMITH_THROTTLE_MAX_LOCKOUT", "900")),
                       help="the longest lock in seconds (default 900)")


def _announce_password(password: str | None) -> None:
    if password:
        print(f"Created administrator '{ADMIN_USER}' with password: {password}\n"
              "This password is shown only once. Set TOKENSMITH_ADMIN_PASSWORD before the first start "
              "to choose it yourself.", flush=True)


def _announce_cluster(settings: Settings) -> None:
    if settings.redis_url is None and settings.database_url is None:
        return
    from tokensmith.state.redis_url import redact

    state = redact(settings.redis_url) if settings.redis_url else "tokens.db (this node only)"
    if settings.redis_replica_url:
        state += f", reads from {redact(settings.redis_replica_url)}"
    config = redact(settings.database_url) if settings.database_url else "config.db (this node only)"
    print(f"Tokensmith {settings.node_id} in region {settings.region}: token state {state}; "
          f"configuration {config}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
            settings.check()
            result = initialise(settings)
            _announce_password(result.admin_password)
            print(f"Data directory ready: {settings.data_dir}")
            return 0
        if args.command == "export":
            return cli_bulk.run_export(Settings(data_dir=args.data_dir, database_url=args.database_url or None), args)
        if args.command == "import":
            return cli_bulk.run_import(Settings(data_dir=args.data_dir, database_url=args.database_url or None), args)
        if args.command == "admin":
            redis_url = getattr(args, "redis_url", None) or os.environ.get("TOKENSMITH_REDIS_URL") or None
            return cli_admin.run(Settings(data_dir=args.data_dir, database_url=args.database_url or None,
                                          redis_url=redis_url), args)
        if args.command == "doctor":
            return cli_doctor.run(Settings(data_dir=args.data_dir, database_url=args.database_url or None,
                                           host=args.host, port=args.port, admin_port=args.admin_port))
        settings = Settings(
            data_dir=args.data_dir, host=args.host, port=args.port, admin_port=args.admin_port,
            workers=args.workers, cert_file=args.cert, key_file=args.key, node_id=args.node_id,
            log_level=args.log_level, base_url=args.base_url, admin_base_url=args.admin_base_url,
            forwarded_allow_ips=args.forwarded_allow_ips,
            key_rotation_period=args.key_rotation_days * 86400.0,
            credential_cache_seconds=args.credential_cache_seconds,
            region=args.region, redis_url=args.redis_url or None, redis_replica_url=args.redis_replica_url or None,
            database_url=args.database_url or None, throttle_failures=args.throttle_failures,
            throttle_address_failures=args.throttle_address_failures, throttle_window=args.throttle_window,
            throttle_lockout=args.throttle_lockout, throttle_max_lockout=args.throttle_max_lockout,
        )
        settings.check()
        from tokensmith.supervisor import Supervisor, check_ports

        check_ports(settings)  # before anything is created on disk
        if settings.redis_url is not None:
            from tokensmith.statecheck import check_redis

            check_redis(settings)
        _announce_password(initialise(settings).admin_password)
        _announce_cluster(settings)
        scheme = "https" if settings.tls else "http"
        lock = acquire(settings.data_dir, f"runtime {scheme}://{settings.host}:{settings.port}, "
                                          f"admin port {settings.admin_port}")
        try:
            return Supervisor(settings).run()
        finally:
            lock.release()
    except ConfigurationError as exc:
        print(f"tokensmith: {exc}", file=sys.stderr)
        return 2

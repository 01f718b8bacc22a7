"""``tokensmith admin unlock``: clear a lock left by failed sign-ins or guessed secrets.

The failure counters live in the token state (:mod:`tokensmith.state.throttle`), so the command
opens the same state as the running node (``tokens.db`` in the data directory, or ``--redis-url``)
and works whether or not the node is running; every worker sees the change on its next check.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from tokensmith.errors import ConfigurationError, TemporarilyUnavailable
from tokensmith.settings import Settings
from tokensmith.state.base import TokenState
from tokensmith.state.throttle import address_group, identity_group


def add_command(actions: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    unlock = actions.add_parser("unlock", help="clear the lock (and failure count) of an administrator, a client, "
                                               "an STS user, a source address or device code entry, at every address")
    common(unlock)
    unlock.add_argument("--redis-url", default=None,
                        help="the cluster's token state, as given to tokensmith serve (or TOKENSMITH_REDIS_URL)")
    which = unlock.add_mutually_exclusive_group(required=True)
    which.add_argument("username", nargs="?", help="an administrator (admin API and console sign-ins)")
    which.add_argument("--client", metavar="CLIENT_ID", help="an OAuth client (its client secret)")
    which.add_argument("--sts-user", metavar="USERNAME", help="a UsernameToken user at the STS")
    which.add_argument("--password-user", metavar="USERNAME", help="a user of the OAuth password grant")
    which.add_argument("--address", metavar="ADDRESS", help="a source address (every identity from it)")
    which.add_argument("--device-codes", action="store_true",
                       help="the device user page's lock on wrong codes, at every address")
    unlock.set_defaults(admin_action=run_unlock)


def _group(args: argparse.Namespace) -> tuple[str, str]:
    if args.client:
        return identity_group("client", args.client), f"client '{args.client}'"
    if args.sts_user:
        return identity_group("sts", args.sts_user), f"STS user '{args.sts_user}'"
    if args.password_user:
        return identity_group("password", args.password_user), f"password-grant user '{args.password_user}'"
    if args.address:
        return address_group(args.address), f"address {args.address}"
    if args.device_codes:  # the user page counts wrong codes under one identity, per address
        return identity_group("user_code", "device"), "device code entry"
    return identity_group("admin", args.username), f"administrator '{args.username}'"


def _state(settings: Settings) -> TokenState:
    if settings.redis_url is not None:
        from tokensmith.state.redis import RedisTokenState

        return RedisTokenState.from_url(settings.redis_url)
    if not settings.state_db.exists():
        raise ConfigurationError(f"{settings.data_dir} holds no token state (tokens.db); is it the node's "
                                 "data directory?")
    from tokensmith.state.sqlite import SqliteTokenState

    return SqliteTokenState(settings.state_db, checkpoint=False)


def run_unlock(settings: Settings, args: argparse.Namespace) -> int:
    group, what = _group(args)

    async def unlock() -> int:
        state = _state(settings)
        try:
            return await state.unlock_guesses(group)
        finally:
            await state.close()

    try:
        removed = asyncio.run(unlock())
    except TemporarilyUnavailable as exc:
        raise ConfigurationError(f"cannot reach the token state: {exc.description}") from exc
    print(f"Unlocked {what}: cleared {removed} failure count(s)." if removed else
          f"Nothing to unlock: {what} has no failures counted.")
    return 0

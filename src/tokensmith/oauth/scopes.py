"""Which of the requested scopes a client may have (RFC 6749 §3.3).

A scope parameter is split on the space character (U+0020) only, and each name must consist of
the characters RFC 6749 §3.3 allows (``%x21 / %x23-5B / %x5D-7E``): other whitespace such as
U+2003 (em space), U+3000 (ideographic space) or a tab is not a separator, and a scope holding one
is ``invalid_scope`` rather than silently granted as two scopes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tokensmith.errors import OAuthError

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Scopes

MAX_SCOPES = 100
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)


def _matches_dynamic(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name.startswith(p) and len(name) > len(p) for p in prefixes)


def parse(requested: str) -> list[str]:
    """The distinct scope names of a ``scope`` parameter, in order (RFC 6749 §3.3 syntax)."""
    names = [name for name in requested.split(" ") if name]
    for name in names:
        if not SCOPE_TOKEN.fullmatch(name):
            error = _invalid("The scope parameter holds a character RFC 6749 does not allow in scope names "
                             "(scopes are separated by single spaces, U+0020)")
            error.malformed = "scope"
            raise error
    return list(dict.fromkeys(names))


def grant(requested: str | None, client: RuntimeClient, scopes: Scopes) -> list[str]:
    """The granted scope names (groups kept as groups), or an ``invalid_scope`` error."""
    if not requested:
        return []
    names = parse(requested)
    if len(names) > MAX_SCOPES:
        raise _invalid(f"At most {MAX_SCOPES} scopes may be requested")
    for name in names:
        if name in scopes.exclusive or name in scopes.exclusive_groups or _matches_dynamic(
                name, scopes.exclusive_dynamic):
            allowed = name in client.exclusive_scopes or any(
                name.startswith(p[:-1]) for p in client.exclusive_scopes if p.endswith("*"))
            if not allowed:
                raise _invalid(f"Scope '{name}' is exclusive and not granted to this client")
        elif name in scopes.common or name in scopes.common_groups or _matches_dynamic(
                name, scopes.common_dynamic):
            if client.restrict_scopes and name not in client.restricted_scopes and not any(
                    name.startswith(p[:-1]) for p in client.restricted_scopes if p.endswith("*")):
                raise _invalid(f"Scope '{name}' is not allowed for this client")
        else:
            raise _invalid(f"Scope '{name}' is not defined")
    return names


def expand(names: list[str], scopes: Scopes) -> list[str]:
    out: list[str] = []
    for name in names:
        members = scopes.members(name)
        out.extend(members if members else (name,))
    return list(dict.fromkeys(out))


def narrow(requested: str | None, granted: list[str], scopes: Scopes) -> list[str]:
    """Scopes for a refresh: a subset of what the grant holds (members of a held group count)."""
    if not requested:
        return granted
    held = set(granted) | set(expand(granted, scopes))
    names = parse(requested)
    for name in names:
        if name not in held:
            raise _invalid(f"Scope '{name}' was not part of the original grant")
    return names

"""What both JWT token processors share: partners' key sets and the signature check.

A key set named by URL comes from the node's one fetcher of partners' JWK sets
(:class:`tokensmith.keys.remote.RemoteJwks`: kept for the response's Cache-Control max-age, else
the processor's cache duration; a stale set keeps serving while the issuer is unreachable). The
imported :class:`KeySet` is kept for as long as the fetcher hands back the same document, so a
token that set verified before is not verified again (:mod:`.jwtcache`), and a refetched set is a
new object whose tokens are checked again.

Only asymmetric JWS algorithms are ever accepted: never ``none`` and never HMAC (a key set is
public, so an HMAC "signature" with one of its keys proves nothing).
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tokensmith.crypto.compact import strict_compact
from tokensmith.keys.remote import RemoteJwksError
from tokensmith.sts.processors.base import ManagerCheck
from tokensmith.sts.processors.jwtcache import VERIFIED_JWTS
from tokensmith.sts.tokens import TokenRefused

JWS_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_IMPORTED: dict[str, tuple[dict[str, Any], KeySet]] = {}  # url -> (fetched document, its key set)


def parse_key_set(text: str) -> KeySet:
    """A pasted JWK set; ValueError (with the reason) when it is not one."""
    try:
        parsed = json.loads(text)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("keys"), list):
            raise ValueError("no 'keys' list")
        return KeySet.import_key_set(parsed)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError, AttributeError, JoseError) as exc:
        raise ValueError(str(exc)) from exc


def _imported(url: str, document: dict[str, Any]) -> KeySet | None:
    known = _IMPORTED.get(url)
    return known[1] if known is not None and known[0] is document else None


def held_key_set(url: str, manager: ManagerCheck | None, now: float) -> KeySet | None:
    """The key set of ``url`` if the node's fetcher holds a fresh one already imported; never fetches."""
    fetcher = manager.remote_jwks if manager is not None else None
    document = fetcher.fresh(url, now) if fetcher is not None else None
    return _imported(url, document) if document is not None else None


async def remote_key_set(url: str, default_ttl: float, manager: ManagerCheck | None, now: float) -> KeySet:
    fetcher = manager.remote_jwks if manager is not None else None
    if fetcher is None:
        raise TokenRefused(f"The issuer's keys cannot be fetched from {url} (no fetcher on this node)")
    try:
        document = await fetcher.get(url, now, default_ttl)
    except RemoteJwksError as exc:
        raise TokenRefused(f"The issuer's keys cannot be fetched from {url}") from exc
    known = _imported(url, document)
    if known is not None:
        return known
    try:
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError, AttributeError, JoseError) as exc:
        raise TokenRefused(f"The document at {url} is not a usable JSON Web Key Set") from exc
    _IMPORTED[url] = (document, keys)
    return keys


def require_compact(token: str) -> None:
    """Refuse anything but a strict compact JWS before any key is fetched."""
    if not strict_compact(token, (3,)):  # joserfc alone accepts padding and stray characters
        raise TokenRefused("Only signed JWTs in the JWS compact serialisation (three parts of unpadded "
                           "base64url) are accepted", malformed="jose")


async def verified_claims(token: str, static_keys: KeySet | None, url: str, default_ttl: float,
                          manager: ManagerCheck | None, now: float, algorithms: tuple[str, ...]) -> dict[str, Any]:
    """The claims of a compact JWS that the pasted keys, or the set fetched from ``url``, verify under
    one of ``algorithms``.

    A remembered token is these exact bytes, which passed the syntax check and a signature check by
    the same key set before they were remembered: neither is repeated, and nothing is fetched. A
    malformed token is refused before any fetch.
    """
    held = static_keys if static_keys is not None else held_key_set(url, manager, now)
    known = VERIFIED_JWTS.get(token, held, algorithms) if held is not None else None
    if known is not None:
        return known
    require_compact(token)
    keys = static_keys if static_keys is not None else await remote_key_set(url, default_ttl, manager, now)
    return signed_claims(token, keys, algorithms)


def signed_claims(token: str, keys: KeySet, algorithms: tuple[str, ...]) -> dict[str, Any]:
    """The claims of a compact JWS (checked by :func:`require_compact`) that ``keys`` verifies under
    one of ``algorithms``."""
    known = VERIFIED_JWTS.get(token, keys, algorithms)
    if known is not None:
        return known
    try:
        decoded = jwt.decode(token, keys, algorithms=list(algorithms))
    except (JoseError, ValueError) as exc:
        raise TokenRefused(f"The JWT's signature is not valid: {exc}") from exc
    claims = dict(decoded.claims)
    VERIFIED_JWTS.put(token, keys, algorithms, claims)
    return claims


def audiences_of(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def attributes_of(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims as processor attributes: strings and lists as they are, objects as JSON, others as text."""
    return {k: (v if isinstance(v, str | list) else json.dumps(v) if isinstance(v, dict) else str(v))
            for k, v in claims.items()}

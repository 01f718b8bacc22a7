"""Compiled token processors: each turns an incoming token into an :class:`Identity` or refuses it.

* Username Token: the PasswordText password against the configured validators (run off the event
  loop: password hashes are slow on purpose; a pair just accepted is answered from
  :mod:`tokensmith.pcv.verified`). Guessing is throttled through the node's shared throttle
  (:mod:`tokensmith.state.throttle`), asked before the cache or any hash is looked at; the
  processor's "Authentication Attempts" is its per-username (and address) limit.
* SAML 2.0 / 1.1: :mod:`tokensmith.sts.saml.verify` against the trusted CAs and DN lists.
* JWT: a JWS verified with joserfc against a JWKS (pasted, or fetched from a URL and cached; a
  token that key set has verified before is not verified again, :mod:`.jwtcache`), or a token of
  one of this server's JWT access token managers, verified (or decrypted) by that manager with its
  current keys and revocation list; then ``iss``/``aud``/``exp``/``nbf`` on every request.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from lxml import etree

from tokensmith.crypto.compact import strict_compact
from tokensmith.pcv.simple import SimpleValidator
from tokensmith.pcv.verified import VERIFIED_PASSWORDS
from tokensmith.state.throttle import UNTHROTTLED, Attempt
from tokensmith.sts.processors import descriptors as d
from tokensmith.sts.processors.jwtcache import VERIFIED_JWTS
from tokensmith.sts.saml import verify
from tokensmith.sts.tokens import Identity, TokenRefused

# (manager id, token, now) -> the claims of a current, unrevoked token that manager issued, else None
ManagerCheck = Callable[[str, str, float], Awaitable[dict[str, Any] | None]]
# (username, failures allowed) -> the throttle's go-ahead for one password check (raises Throttled)
PasswordGuard = Callable[[str, int], Awaitable[Attempt]]
MAX_JWKS_BYTES = 512 * 1024


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Incoming:
    """A token taken from a request."""

    kind: str  # "username", "saml2", "saml1" or "jwt"
    username: str = ""
    password: str = ""
    element: etree._Element | None = None
    value: str = ""


@dataclass(frozen=True)
class UsernameProcessor:
    id: str
    validators: tuple[SimpleValidator, ...]
    attempts: int
    kinds: tuple[str, ...] = ("username",)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != "username":
            raise TokenRefused("This token processor accepts only UsernameTokens")
        attempt = await guard(token.username, self.attempts) if guard is not None else UNTHROTTLED
        for validator in self.validators:
            attrs = await VERIFIED_PASSWORDS.validate(validator, token.username, token.password, now)
            if attrs is not None:
                await attempt.succeeded()
                return Identity(subject=token.username, attributes={"username": token.username}, authn="password")
        await attempt.failed()
        raise TokenRefused("The username or password is not correct", "FailedAuthentication")


@dataclass(frozen=True)
class SamlProcessor:
    id: str
    version: str  # "saml2" or "saml1"
    trust: verify.Trust
    audiences: tuple[str, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.version,)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != self.version or token.element is None:
            label = "SAML 2.0" if self.version == "saml2" else "SAML 1.1"
            raise TokenRefused(f"This token processor accepts only {label} assertions")
        signed = verify.verified(token.element, self.trust, now)
        return verify.read(signed, self.audiences, now)


class JwksCache:
    """JWKS documents fetched from URLs, kept for each processor's cache duration (per worker)."""

    def __init__(self, fetch: Callable[[str], bytes] | None = None) -> None:
        self._entries: dict[str, tuple[float, KeySet]] = {}
        self.fetch = fetch or _fetch

    def fresh(self, url: str, now: float) -> KeySet | None:
        """The key set of ``url`` if one is held and not yet due for a refetch; never fetches."""
        found = self._entries.get(url)
        return found[1] if found is not None and found[0] > now else None

    async def get(self, url: str, ttl: float, now: float) -> KeySet:
        found = self._entries.get(url)
        if found is not None and found[0] > now:
            return found[1]
        loop = asyncio.get_running_loop()
        try:
            raw = await loop.run_in_executor(None, self.fetch, url)
            keys = KeySet.import_key_set(json.loads(raw))
        except (OSError, ValueError, JoseError) as exc:
            if found is not None:  # keep serving the last good set while the issuer is unreachable
                return found[1]
            raise TokenRefused(f"The issuer's keys cannot be fetched from {url}") from exc
        self._entries[url] = (now + ttl, keys)
        return keys


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - admin-set URL
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        data: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise ValueError("the JWKS document is too large")
    return data


JWKS_CACHE = JwksCache()


@dataclass(frozen=True)
class JwtProcessor:
    id: str
    issuer: str
    audience: str
    require_audience: bool
    tolerance: float
    algorithms: tuple[str, ...]
    subject_claim: str
    static_keys: KeySet | None = None
    jwks_url: str = ""
    cache_seconds: float = 720 * 60
    cache: JwksCache = field(default=JWKS_CACHE, compare=False)
    atm_id: str = ""  # tokens of this server's access token manager, checked by the manager itself
    kinds: tuple[str, ...] = ("jwt",)

    async def _keys(self, now: float) -> KeySet:
        if self.static_keys is not None:
            return self.static_keys
        return await self.cache.get(self.jwks_url, self.cache_seconds, now)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != "jwt" or not token.value:
            raise TokenRefused("This token processor accepts only JWTs")
        if self.atm_id:
            if manager is None:
                raise TokenRefused("This token processor needs the access token manager's runtime")
            found = await manager(self.atm_id, token.value, now)
            if found is None:
                raise TokenRefused(f"The token was not issued by access token manager '{self.atm_id}', or it "
                                   "has expired or been revoked")
            claims: dict[str, Any] = dict(found)
        else:
            # A remembered token is these exact bytes, which passed the syntax check below and a
            # signature check by the same key set before they were remembered: neither is repeated.
            held = self.static_keys if self.static_keys is not None else self.cache.fresh(self.jwks_url, now)
            known = VERIFIED_JWTS.get(token.value, held, self.algorithms) if held is not None else None
            if known is not None:
                claims = known
            else:
                if not strict_compact(token.value, (3,)):  # joserfc alone accepts padding and stray characters
                    raise TokenRefused("Only signed JWTs in the JWS compact serialisation (three parts of "
                                       "unpadded base64url) are accepted", malformed="jose")
                keys = await self._keys(now)
                try:
                    decoded = jwt.decode(token.value, keys, algorithms=list(self.algorithms))
                except (JoseError, ValueError) as exc:
                    raise TokenRefused(f"The JWT's signature is not valid: {exc}") from exc
                claims = dict(decoded.claims)
                VERIFIED_JWTS.put(token.value, keys, self.algorithms, claims)
        if claims.get("iss") != self.issuer:
            raise TokenRefused("The JWT's issuer is not accepted")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or now > exp + self.tolerance:
            raise TokenRefused("The JWT has expired (or has no exp)")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and now + self.tolerance < nbf:
            raise TokenRefused("The JWT is not valid yet")
        aud = claims.get("aud")
        named = [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] \
            if isinstance(aud, list) else []
        if self.audience and (named or self.require_audience) and self.audience not in named:
            raise TokenRefused("The JWT's audience is not accepted")
        subject = claims.get(self.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise TokenRefused(f"The JWT has no '{self.subject_claim}' claim")
        attributes = {k: (v if isinstance(v, str | list) else json.dumps(v) if isinstance(v, dict) else str(v))
                      for k, v in claims.items()}
        attributes["sub"] = subject
        return Identity(subject=subject, attributes=attributes, issuer=self.issuer)


RuntimeProcessor = UsernameProcessor | SamlProcessor | JwtProcessor


def now() -> float:
    return time.time()


__all__ = ["JWKS_CACHE", "Incoming", "JwksCache", "JwtProcessor", "RuntimeProcessor", "SamlProcessor",
           "UsernameProcessor", "d"]

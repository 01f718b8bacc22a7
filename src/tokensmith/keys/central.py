"""Centralized signing keys: key sets that Tokensmith creates and rotates itself, published at
``/pf/JWKS`` and used by JWT managers with "Use Centralized Signing Key".

There is one key family per algorithm family: RSA-2048 (RS256) and EC on P-256, P-384 and P-521
(ES256, ES384, ES512). Each key carries the instant it *activates*:

* the **active** key of a family is the one with the latest activation time not in the future;
* a **pending** key activates later; it is published from the moment it is created, a whole
  rotation period before it signs anything, so resource servers see it first;
* older keys are **retired**: still published, and still accepted at introspection, for one more
  rotation period (at least a day) after their successor took over, then dropped.

The key sets live in the token state as one compare-and-set shared value, private keys encrypted
under the master key. Because the switch happens at a stored instant, every worker and node that
has read the value agrees on the active key at any moment, and a restart changes nothing. A worker
re-reads the value at most every :data:`REFRESH_SECONDS` and, when a pending key has become active,
adds the next pending key (the first worker to do so wins; the others adopt its keys).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey

from tokensmith.crypto.secretbox import SecretBox
from tokensmith.state.base import TokenState

SHARED_NAME = "keys.central.v1"
REFRESH_SECONDS = 5.0
MIN_RETENTION = 86_400.0
FAMILIES: dict[str, str] = {"RSA": "RS256", "P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
FAMILY_FOR_ALG = {alg: family for family, alg in FAMILIES.items()}
_CURVES: dict[str, type[ec.SECP256R1 | ec.SECP384R1 | ec.SECP521R1]] = {
    "P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}


@dataclass(frozen=True, eq=False)
class CentralKey:
    kid: str
    family: str  # "RSA", "P-256", "P-384", "P-521"
    alg: str
    activates: float
    jose_key: RSAKey | ECKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = dict(self.jose_key.as_dict(private=False))
        for name in ("kid", "use", "alg", "key_ops"):
            jwk.pop(name, None)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg}


class CentralKeySet:
    """One read of the shared key sets. Which key is active is decided by the clock, not the read."""

    def __init__(self, keys: list[CentralKey], version: int) -> None:
        self.version = version
        self.keys = sorted(keys, key=lambda k: (k.family, k.activates))
        self._by_kid = {k.kid: k for k in self.keys}

    def signing(self, alg: str, now: float) -> CentralKey | None:
        family = FAMILY_FOR_ALG.get(alg)
        active = None
        for key in self.keys:
            if key.family == family and key.activates <= now:
                active = key
        return active

    def by_kid(self, kid: str) -> CentralKey | None:
        return self._by_kid.get(kid)

    def jwks(self) -> list[dict[str, Any]]:
        return [k.public_jwk() for k in self.keys]


def _new_private(family: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if family == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(_CURVES[family]())


class CentralKeys:
    """A worker's view of the centralized key sets (see the module description)."""

    def __init__(self, state: TokenState, box: SecretBox, period: float) -> None:
        self.state = state
        self.box = box
        self.period = period
        self.retention = max(period, MIN_RETENTION)
        self._current: CentralKeySet | None = None
        self._fresh_until = float("-inf")  # re-read after this instant (or when a pending key activates)
        self._loaded: dict[str, CentralKey] = {}  # kid -> loaded key, kept across reads
        self._lock = asyncio.Lock()

    async def current(self, now: float) -> CentralKeySet:
        current = self._current
        if current is not None and now < self._fresh_until:
            return current
        async with self._lock:
            if self._current is None or now >= self._fresh_until:
                await self._refresh(now)
            assert self._current is not None
            return self._current

    async def _refresh(self, now: float) -> None:
        for _ in range(10):
            shared = await self.state.get_shared(SHARED_NAME)
            version = shared.version if shared is not None else 0
            entries: list[dict[str, Any]] = orjson.loads(shared.value)["keys"] if shared is not None else []
            updated = self._maintain(entries, now)
            if updated is None:
                self._install(entries, version, now)
                return
            if await self.state.put_shared(SHARED_NAME, version, orjson.dumps({"keys": updated})):
                self._install(updated, version + 1, now)
                return
        raise RuntimeError("could not agree on the centralized signing keys (too much contention)")

    def _maintain(self, entries: list[dict[str, Any]], now: float) -> list[dict[str, Any]] | None:
        """The entries with missing pending keys added and expired retired keys dropped, or None
        when nothing needs to change."""
        kept: list[dict[str, Any]] = []
        changed = False
        for family in FAMILIES:
            mine = sorted((e for e in entries if e["family"] == family), key=lambda e: e["activates"])
            if not mine:
                mine = [self._entry(family, now)]
                changed = True
            if mine[-1]["activates"] <= now:  # the pending key has become active: add the next one
                mine.append(self._entry(family, max(mine[-1]["activates"] + self.period, now + 1.0)))
                changed = True
            active_index = max(i for i, e in enumerate(mine) if e["activates"] <= now)
            for i, entry in enumerate(mine):
                successor_since = mine[i + 1]["activates"] if i + 1 < len(mine) else None
                retired_long_ago = (i < active_index and successor_since is not None
                                    and successor_since + self.retention <= now)
                if retired_long_ago:
                    changed = True
                else:
                    kept.append(entry)
        return kept if changed else None

    def _entry(self, family: str, activates: float) -> dict[str, Any]:
        key = _new_private(family)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return {"kid": secrets.token_urlsafe(12), "family": family, "activates": activates,
                "private": self.box.encrypt(base64.b64encode(der).decode("ascii"))}

    def _install(self, entries: list[dict[str, Any]], version: int, now: float) -> None:
        loaded: dict[str, CentralKey] = {}
        for entry in entries:
            key = self._loaded.get(entry["kid"])
            if key is None:
                der = base64.b64decode(self.box.decrypt(entry["private"]))
                private = serialization.load_der_private_key(der, None)
                jose: RSAKey | ECKey = (RSAKey.import_key(private) if isinstance(private, rsa.RSAPrivateKey)
                                        else ECKey.import_key(private))  # type: ignore[arg-type]
                key = CentralKey(entry["kid"], entry["family"], FAMILIES[entry["family"]], float(entry["activates"]),
                                 jose)
            loaded[key.kid] = key
        self._loaded = loaded
        self._current = CentralKeySet(list(loaded.values()), version)
        pending = [k.activates for k in loaded.values() if k.activates > now]
        self._fresh_until = min([now + REFRESH_SECONDS, *pending])

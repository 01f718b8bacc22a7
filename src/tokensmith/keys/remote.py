"""Partners' JWK sets fetched from a URL, cached per worker.

A set is kept for the ``max-age`` of its response's ``Cache-Control`` header, or for the caller's
default when there is none. Concurrent requests for a set being fetched wait for that one fetch.
When a refresh fails, the stale set keeps being used (and the failure logged) until a refresh
succeeds; with no set at all, :class:`RemoteJwksError` is raised.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

MAX_BYTES = 512 * 1024
TIMEOUT = 5.0
RETRY_AFTER_FAILURE = 30.0
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)
log = logging.getLogger("tokensmith.keys")


class RemoteJwksError(RuntimeError):
    pass


@dataclass
class _Entry:
    jwks: dict[str, Any]
    expires_at: float


def max_age(cache_control: str | None) -> float | None:
    if not cache_control or "no-store" in cache_control.lower():
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


class RemoteJwks:
    def __init__(self, client_factory: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self._client_factory = client_factory or (lambda: httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False))
        self._client: httpx.AsyncClient | None = None
        self._cache: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0

    def fresh(self, url: str, now: float) -> dict[str, Any] | None:
        """The set of ``url`` if one is held and not yet due for a refetch; never fetches."""
        entry = self._cache.get(url)
        return entry.jwks if entry is not None and now < entry.expires_at else None

    async def get(self, url: str, now: float, default_ttl: float) -> dict[str, Any]:
        entry = self._cache.get(url)
        if entry is not None and now < entry.expires_at:
            return entry.jwks
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            entry = self._cache.get(url)
            if entry is not None and now < entry.expires_at:
                return entry.jwks
            try:
                jwks, ttl = await self._fetch(url)
            except RemoteJwksError as exc:
                if entry is None:
                    raise
                log.warning("keeping the cached JWK set of %s: %s", url, exc)
                entry.expires_at = now + RETRY_AFTER_FAILURE
                return entry.jwks
            self._cache[url] = _Entry(jwks, now + (ttl if ttl is not None else default_ttl))
            return jwks

    async def _fetch(self, url: str) -> tuple[dict[str, Any], float | None]:
        if self._client is None:
            self._client = self._client_factory()
        self.fetches += 1
        try:
            response = await self._client.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise RemoteJwksError(f"cannot fetch {url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise RemoteJwksError(f"{url} answered {response.status_code}")
        if len(response.content) > MAX_BYTES:
            raise RemoteJwksError(f"{url} returned more than {MAX_BYTES} bytes")
        try:
            jwks = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RemoteJwksError(f"{url} did not return JSON") from exc
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise RemoteJwksError(f"{url} did not return a JWK set")
        return jwks, max_age(response.headers.get("cache-control"))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

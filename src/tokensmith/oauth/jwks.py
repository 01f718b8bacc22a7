"""Key publication: ``/pf/JWKS``, ``/ext/<JWKS Endpoint Path>``, and the certificate URLs
``/ext/oauth/x509/kid?v=<Key ID>`` and ``/ext/oauth/x509/x5t?v=<x5t>``.

* ``/pf/JWKS`` lists the centralized signing keys (pending, active and retired) and the signing
  certificates of every JWT manager with "Publish Keys to the PingFederate JWKS Endpoint".
* ``/ext/<path>`` lists the public keys of the JWT manager with that JWKS Endpoint Path: every row
  of its Certificates table (so a key removed from the active position stays published while it
  is in the table), or its family of centralized keys. ``Cache-Control: max-age`` is its JWKS
  Endpoint Cache Duration.
* The x509 URLs return a certificate (PEM) of a manager that enables the matching option.

Symmetric keys are never published. Documents are built once per configuration snapshot and
centralized-key version, then served from memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from tokensmith.atm.jwt.manager import JwtAtm, key_alg
from tokensmith.httpmsg import Request, Response
from tokensmith.keys.central import FAMILY_FOR_ALG, CentralKeySet
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot

PF_JWKS_MAX_AGE = 300
X509_PREFIX = "/ext/oauth/x509/"


def _not_found() -> Response:
    return Response(404, b'{"error":"not_found","error_description":"No such endpoint"}',
                    [(b"content-type", b"application/json")])


def _jwks_response(keys: list[dict[str, Any]], max_age: int) -> Response:
    return Response(200, orjson.dumps({"keys": keys}), [(b"content-type", b"application/json"),
                                                        (b"cache-control", f"max-age={max_age}".encode())])


def _jwt_managers(snapshot: Snapshot) -> Iterator[JwtAtm]:
    return (atm for atm in snapshot.atms.values() if isinstance(atm, JwtAtm))


def manager_keys(atm: JwtAtm, central: CentralKeySet | None) -> list[dict[str, Any]]:
    s = atm.settings
    if s.central:
        family = FAMILY_FOR_ALG.get(s.jws_alg)
        return [k.public_jwk() for k in (central.keys if central else []) if k.family == family]
    return [key.public_jwk(kid=kid, alg=key_alg(key, s.jws_alg)) for kid, key in atm.certificates.items()]


class Publisher:
    """The publication endpoints of one worker, with their documents cached per snapshot."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._cache_key: tuple[int, int] = (-1, -1)
        self._cache: dict[str, Response] = {}

    async def _central(self, snapshot: Snapshot, needed: bool) -> CentralKeySet | None:
        if not needed or self.rt.central_keys is None:
            return None
        return await self.rt.central_keys.current(self.rt.clock.now())

    def _cached(self, snapshot: Snapshot, central: CentralKeySet | None) -> dict[str, Response]:
        key = (id(snapshot), central.version if central is not None else -1)
        if key != self._cache_key:
            self._cache_key, self._cache = key, {}
        return self._cache

    async def pf_jwks(self, request: Request) -> Response:
        snapshot = self.rt.snapshot()
        central = await self._central(snapshot, True)
        cache = self._cached(snapshot, central)
        found = cache.get("/pf/JWKS")
        if found is None:
            keys = central.jwks() if central is not None else []
            for atm in _jwt_managers(snapshot):
                if atm.settings.publish_to_pf_jwks and not atm.settings.central:
                    keys.extend(manager_keys(atm, None))
            found = cache["/pf/JWKS"] = _jwks_response(keys, PF_JWKS_MAX_AGE)
        return found

    async def ext(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(405, b'{"error":"invalid_request","error_description":"Use GET"}',
                            [(b"content-type", b"application/json"), (b"allow", b"GET")])
        snapshot = self.rt.snapshot()
        if request.path.startswith(X509_PREFIX):
            return self._x509(snapshot, request)
        path = request.path[len("/ext"):]
        atm = next((a for a in _jwt_managers(snapshot) if a.settings.jwks_path == path), None)
        if atm is None:
            return _not_found()
        central = await self._central(snapshot, atm.settings.central)
        cache = self._cached(snapshot, central)
        found = cache.get(request.path)
        if found is None:
            found = cache[request.path] = _jwks_response(manager_keys(atm, central), int(atm.settings.jwks_cache))
        return found

    def _x509(self, snapshot: Snapshot, request: Request) -> Response:
        kind = request.path[len(X509_PREFIX):]
        wanted = (parse_qs(request.query).get("v") or [""])[0]
        if kind not in ("kid", "x5t") or not wanted:
            return _not_found()
        for atm in _jwt_managers(snapshot):
            enabled = atm.settings.publish_kid_x509 if kind == "kid" else atm.settings.publish_x5t_x509
            if not enabled:
                continue
            for kid, key in atm.certificates.items():
                if (kid if kind == "kid" else key.x5t) == wanted:
                    return Response(200, key.certificate_pem, [(b"content-type", b"application/x-pem-file"),
                                                               (b"cache-control", b"max-age=3600")])
        return _not_found()

"""The JOSE side of a JWT manager, prepared once per snapshot: signers, encrypters, and the keys
that verify and decrypt its tokens. All JWS/JWE work is done by joserfc with an explicit algorithm
allow-list per key, so a token can never choose its own algorithm (no ``none``, no HMAC with a
public key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joserfc import jwe, jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from tokensmith.atm.jwt.keymaterial import KeyMaterialProblem, RecipientKey, recipient_from_jwks
from tokensmith.errors import OAuthError
from tokensmith.keys.remote import RemoteJwksError

if TYPE_CHECKING:
    from tokensmith.oauth.runtime import Runtime

JoseKey = OctKey | RSAKey | ECKey


def _unavailable(what: str) -> OAuthError:
    return OAuthError("temporarily_unavailable", f"The {what} of this access token manager is not available", 503)


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class StaticSigner:
    """Signs with one configured key (HMAC secret or key pair)."""

    alg: str
    header: dict[str, str]
    key: JoseKey

    async def sign(self, rt: Runtime, payload: bytes, now: float) -> str:
        return jws.serialize_compact(self.header, payload, self.key, algorithms=[self.alg])


@dataclass(frozen=True)
class CentralSigner:
    """Signs with the centralized key of the algorithm's family that is active now."""

    alg: str
    include_kid: bool
    typ: str

    async def sign(self, rt: Runtime, payload: bytes, now: float) -> str:
        if rt.central_keys is None:
            raise _unavailable("centralized signing key")
        key = (await rt.central_keys.current(now)).signing(self.alg, now)
        if key is None:
            raise _unavailable("centralized signing key")
        header = {"alg": self.alg}
        if self.include_kid:
            header["kid"] = key.kid
        if self.typ:
            header["typ"] = self.typ
        return jws.serialize_compact(header, payload, key.jose_key, algorithms=[self.alg])


Signer = StaticSigner | CentralSigner


# --------------------------------------------------------------------------- encryption


def _jwe_header(alg: str, enc: str, kid: str | None, x5t: str | None, nested: bool, typ: str) -> dict[str, str]:
    header = {"alg": alg, "enc": enc}
    if kid:
        header["kid"] = kid
    if x5t:
        header["x5t"] = x5t
    if nested:
        header["cty"] = "JWT"
    elif typ:
        header["typ"] = typ
    return header


@dataclass(frozen=True)
class StaticEncrypter:
    """Encrypts to a configured key: a symmetric key of the manager, or the recipient's public key."""

    alg: str
    enc: str
    header: dict[str, str]
    key: JoseKey

    async def encrypt(self, rt: Runtime, plaintext: bytes, now: float) -> str:
        return jwe.encrypt_compact(self.header, plaintext, self.key, algorithms=[self.alg, self.enc])


class JwksEncrypter:
    """Encrypts to the recipient key found in a JWK set URL (cached by :class:`RemoteJwks`)."""

    def __init__(self, alg: str, enc: str, url: str, ttl: float, include_kid: bool, include_x5t: bool,
                 nested: bool, typ: str) -> None:
        self.alg, self.enc, self.url, self.ttl = alg, enc, url, ttl
        self.include_kid, self.include_x5t, self.nested, self.typ = include_kid, include_x5t, nested, typ
        self._last: tuple[dict[str, Any], RecipientKey, dict[str, str]] | None = None

    async def encrypt(self, rt: Runtime, plaintext: bytes, now: float) -> str:
        if rt.remote_jwks is None:
            raise _unavailable("encryption key")
        try:
            jwks = await rt.remote_jwks.get(self.url, now, self.ttl)
            last = self._last
            if last is None or last[0] is not jwks:  # parse a newly fetched set once
                recipient = recipient_from_jwks(jwks, self.alg)
                header = _jwe_header(self.alg, self.enc, recipient.kid if self.include_kid else None,
                                     recipient.x5t if self.include_x5t else None, self.nested, self.typ)
                last = self._last = (jwks, recipient, header)
        except (RemoteJwksError, KeyMaterialProblem) as exc:
            raise _unavailable("encryption key") from exc
        return jwe.encrypt_compact(last[2], plaintext, last[1].key, algorithms=[self.alg, self.enc])


Encrypter = StaticEncrypter | JwksEncrypter


def recipient_encrypter(alg: str, enc: str, recipient: RecipientKey, include_kid: bool, include_x5t: bool,
                        nested: bool, typ: str) -> StaticEncrypter:
    header = _jwe_header(alg, enc, recipient.kid if include_kid else None, recipient.x5t if include_x5t else None,
                         nested, typ)
    return StaticEncrypter(alg, enc, header, recipient.key)


def symmetric_encrypter(alg: str, enc: str, kid: str, key: OctKey, include_kid: bool, nested: bool,
                        typ: str) -> StaticEncrypter:
    return StaticEncrypter(alg, enc, _jwe_header(alg, enc, kid if include_kid else None, None, nested, typ), key)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifyKey:
    key: JoseKey
    alg: str


@dataclass(frozen=True)
class DecryptKey:
    key: OctKey
    alg: str
    enc: str

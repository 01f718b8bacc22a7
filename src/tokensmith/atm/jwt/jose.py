"""The JOSE side of a JWT manager, prepared once per snapshot: signers, encrypters, and the keys
that verify and decrypt its tokens. All JWS/JWE work is done by joserfc with an explicit algorithm
allow-list per key, so a token can never choose its own algorithm (no ``none``, no HMAC with a
public key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joserfc import jwe
from joserfc.jwk import ECKey, OctKey, RSAKey, guess_key
from joserfc.jws import CompactSignature, JWSRegistry
from joserfc.util import json_b64encode, urlsafe_b64encode

from tokensmith.atm.jwt.keymaterial import KeyMaterialProblem, RecipientKey, recipient_from_jwks
from tokensmith.errors import OAuthError
from tokensmith.keys.remote import RemoteJwksError

if TYPE_CHECKING:
    from tokensmith.worker import Runtime

JoseKey = OctKey | RSAKey | ECKey


def _unavailable(what: str) -> OAuthError:
    return OAuthError("temporarily_unavailable", f"The {what} of this access token manager is not available", 503)


# --------------------------------------------------------------------------- signing


class _SigningKey:
    """A joserfc key as its algorithm's ``sign`` sees it, with the signing key resolved once.

    joserfc's algorithms start every signature with ``key.get_op_key("sign")``, which checks the
    key's ``key_ops`` and privateness and finds the native key again (about 4 µs, i.e. about half
    a percent of an RS256 token's CPU). None of that can change for a prepared key, so it is done
    here once, by joserfc itself, and every other attribute is the key's own.
    """

    __slots__ = ("_key", "_sign")

    def __init__(self, key: Any) -> None:
        self._key = key
        self._sign = key.get_op_key("sign")  # joserfc's checks, once: UnsupportedKeyOperationError here

    def get_op_key(self, operation: str) -> Any:
        return self._sign if operation == "sign" else self._key.get_op_key(operation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._key, name)


class CompactJws:
    """JWS compact serialisation with one header, algorithm and key, checked by joserfc once.

    ``jws.serialize_compact`` checks the header against joserfc's registry, builds a registry with
    the algorithm allow-list, resolves and checks the key, and encodes the header again on every
    call. All of that depends only on the header and the key, so it is done here, once, with
    joserfc's own functions (the native signing key too: :class:`_SigningKey`); each token then
    costs what joserfc's compact signing itself does:
    base64url of the payload, the algorithm's ``sign`` (joserfc's algorithm model over
    ``cryptography``) and base64url of the signature. The output is byte for byte what
    ``serialize_compact`` gives (tests compare them and verify with a second JOSE library).
    """

    def __init__(self, alg: str, header: dict[str, str], key: JoseKey) -> None:
        if alg == "none" or header.get("alg") != alg or "b64" in header or "crit" in header:
            raise ValueError("a compact JWS header with only this algorithm and no b64/crit parameters is expected")
        registry = JWSRegistry(algorithms=[alg])
        registry.check_header(header)
        self._alg = registry.get_alg(alg)
        chosen = guess_key(key, CompactSignature(dict(header), b""), True, use="sig")
        self._alg.check_key(chosen)
        self._key: Any = _SigningKey(chosen)
        self._prefix = json_b64encode(dict(header)) + b"."

    def sign(self, payload: bytes) -> str:
        signing_input = self._prefix + urlsafe_b64encode(payload)
        return (signing_input + b"." + urlsafe_b64encode(self._alg.sign(signing_input, self._key))).decode("ascii")


class StaticSigner:
    """Signs with one configured key (HMAC secret or key pair)."""

    def __init__(self, alg: str, header: dict[str, str], key: JoseKey) -> None:
        self.alg, self.header, self.key = alg, header, key
        self._jws = CompactJws(alg, header, key)

    async def sign(self, rt: Runtime, payload: bytes, now: float) -> str:
        return self._jws.sign(payload)


class CentralSigner:
    """Signs with the centralized key of the algorithm's family that is active now."""

    def __init__(self, alg: str, include_kid: bool, typ: str) -> None:
        self.alg, self.include_kid, self.typ = alg, include_kid, typ
        self._last: tuple[object, CompactJws] | None = None  # (key in use, its prepared signer)

    async def sign(self, rt: Runtime, payload: bytes, now: float) -> str:
        if rt.central_keys is None:
            raise _unavailable("centralized signing key")
        key = (await rt.central_keys.current(now)).signing(self.alg, now)
        if key is None:
            raise _unavailable("centralized signing key")
        last = self._last
        if last is None or last[0] is not key:  # prepared once per key (keys rotate rarely)
            header = {"alg": self.alg}
            if self.include_kid:
                header["kid"] = key.kid
            if self.typ:
                header["typ"] = self.typ
            last = self._last = (key, CompactJws(self.alg, header, key.jose_key))
        return last[1].sign(payload)


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

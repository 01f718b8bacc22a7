"""JWT access tokens at runtime: issuing (claims, JWS, JWE, signed-then-encrypted), and validating
them for introspection and revocation.

A :class:`JwtAtm` is compiled once per snapshot: key objects come from the worker's key ring,
headers and allow-lists are fixed, so issuing a token costs the claims, one JSON encoding and the
cryptography itself.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from joserfc import jwe, jws
from joserfc.errors import JoseError

from tokensmith.atm.base import (
    AccessTokenRequest,
    AtmBuildError,
    AtmCommon,
    BuildContext,
    IssuedAccessToken,
    ManagedAtm,
    RevokeOutcome,
)
from tokensmith.atm.jwt import descriptor as d
from tokensmith.atm.jwt.jose import (
    CentralSigner,
    DecryptKey,
    Encrypter,
    JwksEncrypter,
    Signer,
    StaticSigner,
    VerifyKey,
    recipient_encrypter,
    symmetric_encrypter,
)
from tokensmith.atm.jwt.keymaterial import KeyMaterialProblem, decode_symmetric, oct_key, recipient_from_text
from tokensmith.atm.jwt.settings import JwtSettings
from tokensmith.crypto.compact import strict_compact
from tokensmith.crypto.secretbox import SecretBox, SecretBoxError
from tokensmith.keys.ring import SigningKey
from tokensmith.plugins.configuration import NormalizedConfig

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot
    from tokensmith.worker import Runtime

MAX_TOKEN_CHARS = 16 * 1024
ISSUED_CLAIMS = ("exp", "iat", "nbf", "jti")


def key_alg(key: SigningKey, jws_alg: str) -> str | None:
    """The algorithm a certificate row verifies with under this manager's JWS algorithm, if any."""
    if key.key_type == "RSA" and jws_alg in d.RSA_ALGS:
        return jws_alg
    if key.key_type == "EC" and d.EC_CURVE_FOR.get(jws_alg) == key.curve:
        return jws_alg
    return None


class JwtAtm(ManagedAtm):
    def __init__(self, common: AtmCommon, settings: JwtSettings, config: NormalizedConfig,
                 context: BuildContext, box: SecretBox) -> None:
        super().__init__(common)
        self.settings = s = settings
        self.reserved = {*ISSUED_CLAIMS, s.client_id_claim, s.scope_claim, s.grant_claim} - {""}
        symmetric: dict[str, bytes] = {}
        for row in config.table_rows(d.SYMMETRIC_KEYS):
            try:
                symmetric[row[d.KEY_ID]] = decode_symmetric(box.decrypt(row[d.KEY]), row.get(d.ENCODING, "b64u"))
            except (SecretBoxError, KeyMaterialProblem, KeyError) as exc:
                raise AtmBuildError(f"symmetric key '{row.get(d.KEY_ID)}' cannot be read") from exc
        # Key ID -> loaded key pair, for every Certificates row (all are published and verify).
        self.certificates: dict[str, SigningKey] = {}
        for row in config.table_rows(d.CERTIFICATES):
            key = context.keys.get(row.get(d.CERTIFICATE, ""))
            if key is not None:
                self.certificates[row[d.KEY_ID]] = key
        self.verify_keys: dict[str, VerifyKey] = {}
        if s.jws_alg in d.HMAC_ALGS:
            self.verify_keys = {kid: VerifyKey(oct_key(secret), s.jws_alg) for kid, secret in symmetric.items()}
        elif s.jws_alg and not s.central:
            for kid, key in self.certificates.items():
                alg = key_alg(key, s.jws_alg)
                if alg is not None:
                    self.verify_keys[kid] = VerifyKey(key.jose_key, alg)
        self.signer = self._signer(symmetric)
        self.decrypt_keys: dict[str, DecryptKey] = {}
        if s.jwe_alg in d.SYMMETRIC_JWE_ALGS:
            self.decrypt_keys = {kid: DecryptKey(oct_key(secret), s.jwe_alg, s.jwe_enc)
                                 for kid, secret in symmetric.items()}
        self.encrypter = self._encrypter(symmetric)
        self.accepted_iss, self.any_iss = self._accepted(context, "iss", s.issuer)
        self.accepted_aud, self.any_aud = self._accepted(context, "aud", s.audience)

    @property
    def expand_scope_groups(self) -> bool:
        return self.settings.expand_scope_groups

    # ----------------------------------------------------------------- compile

    def _signer(self, symmetric: dict[str, bytes]) -> Signer | None:
        s = self.settings
        if not s.jws_alg:
            return None
        if s.central:
            return CentralSigner(s.jws_alg, s.include_kid, s.type_header)
        header = {"alg": s.jws_alg}
        if s.jws_alg in d.HMAC_ALGS:
            kid = s.active_symmetric
            if kid not in symmetric:
                raise AtmBuildError(f"active symmetric key '{kid}' is missing")
            key: Any = oct_key(symmetric[kid])
            x5t = None
        else:
            kid = s.active_certificate
            pair = self.certificates.get(kid)
            if pair is None or kid not in self.verify_keys:
                raise AtmBuildError(f"signing certificate '{kid}' is not available")
            key, x5t = pair.jose_key, pair.x5t
        if s.include_kid:
            header["kid"] = kid
        if s.include_x5t and x5t:
            header["x5t"] = x5t
        if s.type_header:
            header["typ"] = s.type_header
        return StaticSigner(s.jws_alg, header, key)

    def _encrypter(self, symmetric: dict[str, bytes]) -> Encrypter | None:
        s = self.settings
        nested = self.signer is not None
        if not s.jwe_alg:
            return None
        if s.jwe_alg in d.SYMMETRIC_JWE_ALGS:
            kid = s.active_encryption
            if kid not in symmetric:
                raise AtmBuildError(f"active symmetric encryption key '{kid}' is missing")
            return symmetric_encrypter(s.jwe_alg, s.jwe_enc, kid, oct_key(symmetric[kid]), s.include_jwe_kid, nested,
                                       s.type_header)
        if s.encryption_jwks_url:
            return JwksEncrypter(s.jwe_alg, s.jwe_enc, s.encryption_jwks_url, s.jwks_url_cache, s.include_jwe_kid,
                                 s.include_jwe_x5t, nested, s.type_header)
        try:
            recipient = recipient_from_text(s.encryption_key, s.jwe_alg)
        except KeyMaterialProblem as exc:
            raise AtmBuildError(str(exc)) from exc
        return recipient_encrypter(s.jwe_alg, s.jwe_enc, recipient, s.include_jwe_kid, s.include_jwe_x5t, nested,
                                   s.type_header)

    def _accepted(self, context: BuildContext, claim: str, configured: str) -> tuple[frozenset[str], bool]:
        """The values of ``iss``/``aud`` this manager puts in tokens, and whether a mapping may put any
        value there (then the claim is not checked at introspection)."""
        values = {configured} if configured else set()
        dynamic = False
        for mapping_id, mapping in context.mappings.items():
            if not mapping_id.endswith(f"|{self.id}"):
                continue
            for name, source_type, value in mapping.fulfilment:
                if name == claim and source_type == "TEXT":
                    values.add(value)
                elif name == claim and source_type != "NO_MAPPING":
                    dynamic = True
        return frozenset(values), dynamic

    # ----------------------------------------------------------------- issue

    def claims(self, request: AccessTokenRequest) -> dict[str, Any]:
        s = self.settings
        now = int(request.now)
        claims: dict[str, Any] = {}
        if s.issuer:
            claims["iss"] = s.issuer
        if s.audience:
            claims["aud"] = s.audience
        lifetime = s.lifetime
        for name, value in request.attributes.items():
            if name == "exp":
                lifetime = _minutes(value, lifetime)
            elif name not in self.reserved:
                claims[name] = value
        if s.client_id_claim:
            claims[s.client_id_claim] = request.client_id
        if s.scope_claim and request.scopes:
            claims[s.scope_claim] = " ".join(request.scopes) if s.space_delimit else list(request.scopes)
        if s.grant_claim and request.grant_id:
            claims[s.grant_claim] = request.grant_id
        if s.jti_length:
            claims["jti"] = secrets.token_urlsafe(s.jti_length)[: s.jti_length]
        if s.include_iat:
            claims["iat"] = now
        if s.nbf_offset is not None:
            claims["nbf"] = now - s.nbf_offset
        claims["exp"] = now + int(lifetime)
        return claims

    async def issue(self, rt: Runtime, request: AccessTokenRequest) -> IssuedAccessToken:
        claims = self.claims(request)
        payload = orjson.dumps(claims)
        token = await self.signer.sign(rt, payload, request.now) if self.signer is not None else None
        if self.encrypter is not None:
            token = await self.encrypter.encrypt(rt, token.encode("ascii") if token else payload, request.now)
        assert token is not None
        return IssuedAccessToken(token, float(claims["exp"]))

    # ----------------------------------------------------------------- validate

    async def verify_jws(self, rt: Runtime, token: str, header: Mapping[str, Any], now: float) -> dict[str, Any] | None:
        kid = header.get("kid")
        candidates: list[VerifyKey] = []
        if self.settings.central:
            if rt.central_keys is not None and isinstance(kid, str):
                key = (await rt.central_keys.current(now)).by_kid(kid)
                if key is not None and key.alg == self.settings.jws_alg:
                    candidates.append(VerifyKey(key.jose_key, key.alg))
        elif isinstance(kid, str):
            found = self.verify_keys.get(kid)
            candidates = [found] if found is not None else []
        elif kid is None:
            candidates = list(self.verify_keys.values())
        for candidate in candidates:
            try:
                verified = jws.deserialize_compact(token, candidate.key, algorithms=[candidate.alg])
            except (JoseError, ValueError):
                continue
            return _json_object(verified.payload)
        return None

    async def decrypt(self, rt: Runtime, token: str, header: Mapping[str, Any], now: float) -> dict[str, Any] | None:
        kid = header.get("kid")
        keys = ([self.decrypt_keys[kid]] if isinstance(kid, str) and kid in self.decrypt_keys
                else list(self.decrypt_keys.values()) if kid is None else [])
        for key in keys:
            try:
                plaintext = jwe.decrypt_compact(token, key.key, algorithms=[key.alg, key.enc]).plaintext
            except (JoseError, ValueError):
                continue
            if plaintext is None:
                return None
            if self.signer is None:
                return _json_object(plaintext)
            inner = plaintext.decode("ascii", "replace")
            inner_header = _header(inner)
            if inner_header is None or not strict_compact(inner, (3,)):
                return None
            return await self.verify_jws(rt, inner, inner_header, now)
        return None

    def claims_hold(self, claims: Mapping[str, Any], now: float) -> bool:
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float) or exp <= now:
            return False
        if nbf is not None and (not isinstance(nbf, int | float) or nbf > now):
            return False
        if not self.any_iss and not _matches(claims.get("iss"), self.accepted_iss):
            return False
        return self.any_aud or _matches(claims.get("aud"), self.accepted_aud)

    def jti_key(self, jti: str) -> str:
        return f"{self.id}|{jti}"


def _matches(value: Any, accepted: frozenset[str]) -> bool:
    if value is None:
        return not accepted
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v in accepted for v in values)


def _minutes(value: Any, default: float) -> float:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return default
    return minutes * 60.0 if minutes > 0 else default


def _json_object(data: bytes | None) -> dict[str, Any] | None:
    try:
        value = orjson.loads(data or b"")
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _header(token: str) -> dict[str, Any] | None:
    head = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return None
    return _json_object(raw)


class JwtType:
    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor

    def build(self, common: AtmCommon, config: NormalizedConfig, context: BuildContext) -> JwtAtm:
        if context.box is None:
            raise AtmBuildError("no master key to read the symmetric keys with")
        return JwtAtm(common, JwtSettings.from_values(config.values()), config, context, context.box)

    def could_be(self, token: str) -> bool:
        return token.count(".") in (2, 4) and len(token) <= MAX_TOKEN_CHARS

    async def verify(self, rt: Runtime, snapshot: Snapshot, token: str,
                     now: float) -> tuple[JwtAtm, dict[str, Any]] | None:
        """The manager that issued ``token`` and its claims, when the token is authentic and current."""
        if not strict_compact(token):  # padding or foreign characters: not one of ours (crypto/compact.py)
            rt.count_malformed("jose")
            return None
        header = _header(token)
        if header is None or not isinstance(header.get("alg"), str):
            return None
        encrypted = token.count(".") == 4
        for atm in snapshot.atms.values():
            if not isinstance(atm, JwtAtm) or encrypted != (atm.encrypter is not None):
                continue
            claims = (await atm.decrypt(rt, token, header, now) if encrypted
                      else await atm.verify_jws(rt, token, header, now))
            if claims is not None and atm.claims_hold(claims, now):
                return atm, claims
        return None

    async def introspect(self, rt: Runtime, snapshot: Snapshot, token: str, now: float,
                         caller: str) -> dict[str, Any] | None:
        found = await self.verify(rt, snapshot, token, now)
        if found is None:
            return None
        atm, claims = found
        s = atm.settings
        if not atm.allows(caller):
            return None
        jti = claims.get("jti")
        if s.revocation and isinstance(jti, str) and await rt.state.is_jti_revoked(atm.jti_key(jti), now):
            return None
        grant_id = claims.get(s.grant_claim) if s.grant_claim else None
        if isinstance(grant_id, str):
            grant = await rt.state.get_grant(grant_id)
            if grant is None or (grant.expires_at is not None and grant.expires_at <= now):
                return None
        payload: dict[str, Any] = {"active": True, **claims, "token_type": "Bearer"}
        if s.client_id_claim and s.client_id_claim in claims:
            payload["client_id"] = claims[s.client_id_claim]
        scopes = claims.get(s.scope_claim) if s.scope_claim else None
        if isinstance(scopes, list):
            payload["scope"] = " ".join(str(x) for x in scopes)
        elif isinstance(scopes, str):
            payload["scope"] = scopes
        return payload

    async def revoke(self, rt: Runtime, snapshot: Snapshot, token: str, client_id: str,
                     now: float) -> RevokeOutcome:
        found = await self.verify(rt, snapshot, token, now)
        if found is None:
            return RevokeOutcome.NOT_FOUND
        atm, claims = found
        s = atm.settings
        jti = claims.get("jti")
        if not s.revocation or not isinstance(jti, str):
            return RevokeOutcome.UNSUPPORTED
        if claims.get(s.client_id_claim) != client_id:
            return RevokeOutcome.NOT_YOURS
        await rt.state.revoke_jti(atm.jti_key(jti), float(claims["exp"]))
        return RevokeOutcome.REVOKED

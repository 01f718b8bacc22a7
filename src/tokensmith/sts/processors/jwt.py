"""Tokensmith's JWT Token Processor: one issuer, its keys from a JWKS URL, a pasted JWKS, or one of
this server's JWT access token managers.

A JWS is verified with joserfc against the key set (:mod:`.jwtkeys`); a token of one of this
server's JWT access token managers is verified (or decrypted) by that manager with its current keys
and revocation list. Then ``iss``/``exp``/``nbf``/``aud`` are checked on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from tokensmith.config.model import ATM, ConfigModel
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import FieldDescriptor, FieldType, PluginDescriptor, check_box, integer
from tokensmith.sts.processors import jwtkeys
from tokensmith.sts.processors.base import CompileInput, Incoming, ManagerCheck, PasswordGuard, ProcessorType
from tokensmith.sts.processors.jwtkeys import JWS_ALGORITHMS
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_ID_TOKEN, TT_JWT, Identity, TokenRefused

JWT_ID = "org.tokensmith.wstrust.processor.jwt.JwtTokenProcessor"
F_AUDIENCE = "Audience"
F_JWKS_URL, F_JWKS, F_ATM = "JWKS Endpoint URI", "JWKS", "Access Token Manager"
F_ISSUER, F_TOLERANCE, F_ALGORITHMS = "Issuer", "Expiry Tolerance", "Allowed Signing Algorithms"
F_SUBJECT_CLAIM, F_CACHE, F_REQUIRE_AUD = "Subject Claim Name", "JWKS Cache Duration", "Require Audience"


def _algorithms(value: str) -> str | None:
    unknown = [a for a in (p.strip() for p in value.split(",")) if a and a not in JWS_ALGORITHMS]
    if unknown:
        return f"not supported: {', '.join(unknown)}; use some of {', '.join(JWS_ALGORITHMS)}"
    return None


DESCRIPTOR = PluginDescriptor(
    id=JWT_ID, name="JWT Token Processor",
    description="Validates signed JWTs (JWS) with keys from a JWKS URL, a pasted JWKS, or the signing keys of "
                "one of this server's JWT access token managers.",
    fields=(
        FieldDescriptor(F_JWKS_URL, FieldType.TEXT, "HTTPS URL of the issuer's JSON Web Key Set."),
        FieldDescriptor(F_JWKS, FieldType.TEXT_AREA, "A JSON Web Key Set (public keys), instead of a URL."),
        FieldDescriptor(F_ATM, FieldType.SELECT, "The id of a JWT access token manager of this server whose "
                        "tokens are accepted; that manager checks them as introspection does."),
        FieldDescriptor(F_ISSUER, FieldType.TEXT, "The required 'iss' claim.", required=True),
        FieldDescriptor(F_AUDIENCE, FieldType.TEXT, "An accepted 'aud' value (required when Require Audience is "
                        "set)."),
        check_box(F_REQUIRE_AUD, "Refuse tokens without the configured audience.", "false"),
        FieldDescriptor(F_TOLERANCE, FieldType.TEXT, "Clock skew allowed for 'exp' and 'nbf', in seconds.", "0",
                        rules=(integer(0, 3600),)),
        FieldDescriptor(F_ALGORITHMS, FieldType.TEXT, "Comma-separated JWS algorithms accepted (never 'none' or "
                        "HMAC).", ",".join(JWS_ALGORITHMS), rules=(_algorithms,)),
        FieldDescriptor(F_SUBJECT_CLAIM, FieldType.TEXT, "The claim that becomes the subject.", "sub"),
        FieldDescriptor(F_CACHE, FieldType.TEXT, "Minutes a fetched JWKS is kept (unless its response's "
                        "Cache-Control max-age says otherwise).", "720", advanced=True,
                        rules=(integer(1, 10080),)),
    ),
    core_attributes=("sub",), supports_extended_contract=True, supports_parent=True,
)


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
    atm_id: str = ""  # tokens of this server's access token manager, checked by the manager itself
    kinds: tuple[str, ...] = ("jwt",)

    async def _claims(self, token: str, now: float, manager: ManagerCheck | None) -> dict[str, Any]:
        if self.atm_id:
            if manager is None:
                raise TokenRefused("This token processor needs the access token manager's runtime")
            found = await manager(self.atm_id, token, now)
            if found is None:
                raise TokenRefused(f"The token was not issued by access token manager '{self.atm_id}', or it "
                                   "has expired or been revoked")
            return dict(found)
        return await jwtkeys.verified_claims(token, self.static_keys, self.jwks_url, self.cache_seconds, manager,
                                             now, self.algorithms)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != "jwt" or not token.value:
            raise TokenRefused("This token processor accepts only JWTs")
        claims = await self._claims(token.value, now, manager)
        if claims.get("iss") != self.issuer:
            raise TokenRefused("The JWT's issuer is not accepted")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or now > exp + self.tolerance:
            raise TokenRefused("The JWT has expired (or has no exp)")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and now + self.tolerance < nbf:
            raise TokenRefused("The JWT is not valid yet")
        named = jwtkeys.audiences_of(claims)
        if self.audience and (named or self.require_audience) and self.audience not in named:
            raise TokenRefused("The JWT's audience is not accepted")
        subject = claims.get(self.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise TokenRefused(f"The JWT has no '{self.subject_claim}' claim")
        attributes = jwtkeys.attributes_of(claims)
        attributes["sub"] = subject
        return Identity(subject=subject, attributes=attributes, issuer=self.issuer)


def _check(model: ConfigModel, config: NormalizedConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    values = config.values()
    sources = [name for name in (F_JWKS_URL, F_JWKS, F_ATM) if values.get(name, "").strip()]
    if len(sources) != 1:
        problems.append((f"configuration.fields[{F_JWKS_URL}]",
                         "Give exactly one of JWKS Endpoint URI, JWKS or Access Token Manager"))
    url = values.get(F_JWKS_URL, "").strip()
    if url and not url.startswith(("https://", "http://")):
        problems.append((f"configuration.fields[{F_JWKS_URL}]", "The JWKS Endpoint URI must be an http(s) URL"))
    jwks = values.get(F_JWKS, "").strip()
    if jwks:
        try:
            jwtkeys.parse_key_set(jwks)
        except ValueError as exc:
            problems.append((f"configuration.fields[{F_JWKS}]", f"Not a JSON Web Key Set: {exc}"))
    atm = values.get(F_ATM, "").strip()
    if atm and model.get(ATM, atm) is None:
        problems.append((f"configuration.fields[{F_ATM}]", f"Access token manager '{atm}' does not exist"))
    if values.get(F_REQUIRE_AUD) == "true" and not values.get(F_AUDIENCE, "").strip():
        problems.append((f"configuration.fields[{F_AUDIENCE}]", "Require Audience needs an Audience"))
    if not [a for a in values.get(F_ALGORITHMS, "").split(",") if a.strip()]:
        problems.append((f"configuration.fields[{F_ALGORITHMS}]", "At least one algorithm is required"))
    return problems


def _compile(source: CompileInput) -> JwtProcessor:
    v = source.values
    static = jwtkeys.parse_key_set(v[F_JWKS]) if v.get(F_JWKS, "").strip() else None
    return JwtProcessor(
        source.instance_id, issuer=v.get(F_ISSUER, ""), audience=v.get(F_AUDIENCE, "").strip(),
        require_audience=v.get(F_REQUIRE_AUD) == "true", tolerance=float(v.get(F_TOLERANCE) or 0),
        algorithms=tuple(a.strip() for a in v.get(F_ALGORITHMS, "").split(",") if a.strip()),
        subject_claim=v.get(F_SUBJECT_CLAIM) or "sub", static_keys=static,
        jwks_url=v.get(F_JWKS_URL, "").strip(), cache_seconds=float(v.get(F_CACHE) or 720) * 60,
        atm_id=v.get(F_ATM, "").strip())


PROCESSOR = ProcessorType(DESCRIPTOR, _compile, _check, exchange_types=(TT_JWT, TT_ACCESS_TOKEN, TT_ID_TOKEN))

"""PingFederate's JWT Token Processor (2.0), under PingFederate's own plugin id and field names, so a
PingFederate export's JWT processors import as they are.

Unlike Tokensmith's JWT processor (:mod:`.jwt`, one issuer), it trusts a table of issuers, each with
its own keys (a JWKS URL or a pasted JWKS), and a table of audiences. A token is handled so:

1. It must be a strict compact JWS. Its (not yet trusted) ``iss`` picks the issuer row; a token of
   an issuer not in the table is refused before any key is fetched.
2. Its signature must verify with that issuer's keys (:mod:`.jwtkeys`: asymmetric JWS algorithms
   only, never ``none`` or HMAC; the ``kid`` must name a key of the set).
3. ``exp``, ``nbf`` and ``iat`` are checked with ``Allowed Clock Skew`` whenever present, and must
   be present when their "Require ..." box is set; ``Max Future Validity`` bounds how far in the
   future ``exp`` may lie.
4. ``aud`` must name one of the allowed audiences (when the table is not empty) and must be there at
   all when ``Require Audience`` is set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tokensmith.config.model import ConfigModel
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    check_box,
    integer,
    unique_column,
)
from tokensmith.sts.processors import jwtkeys
from tokensmith.sts.processors.base import CompileInput, Incoming, ManagerCheck, PasswordGuard, ProcessorType
from tokensmith.sts.processors.jwtkeys import JWS_ALGORITHMS
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_ID_TOKEN, TT_JWT, Identity, TokenRefused

PF_JWT_ID = "com.pingidentity.pf.tokenprocessors.jwt.JwtTokenProcessor"
ISSUERS, AUDIENCES = "Allowed Issuers", "Allowed Audiences"
C_ISSUER, C_JWKS_URL, C_JWKS, C_AUDIENCE = "Issuer", "JWKS URL", "JWKS", "Audience"
F_REQUIRE_AUD, F_REQUIRE_EXP = "Require Audience", "Require Expiration Time"
F_REQUIRE_IAT, F_REQUIRE_NBF = "Require Issued At Time", "Require Not Before Time"
F_SKEW, F_MAX_FUTURE, F_CACHE = "Allowed Clock Skew", "Max Future Validity", "Default Cache Duration"

DESCRIPTOR = PluginDescriptor(
    id=PF_JWT_ID, name="JWT Token Processor 2.0",
    description="Validates signed JWTs (JWS) from a list of allowed issuers, each with its own JWKS URL or JWKS, "
                "for a list of allowed audiences.",
    fields=(
        check_box(F_REQUIRE_AUD, "Refuse tokens without an 'aud' claim (it must then name an allowed audience).",
                  "true"),
        check_box(F_REQUIRE_EXP, "Refuse tokens without an 'exp' claim.", "true"),
        check_box(F_REQUIRE_IAT, "Refuse tokens without an 'iat' claim.", "false"),
        check_box(F_REQUIRE_NBF, "Refuse tokens without an 'nbf' claim.", "false"),
        FieldDescriptor(F_SKEW, FieldType.TEXT, "Seconds of clock skew allowed for 'exp', 'nbf' and 'iat'.", "0",
                        rules=(integer(0, 3600),)),
        FieldDescriptor(F_MAX_FUTURE, FieldType.TEXT, "When set, minutes from now beyond which a token's 'exp' may "
                        "not lie (refuses tokens that stay valid too long).", rules=(integer(1, 525600),)),
        FieldDescriptor(F_CACHE, FieldType.TEXT, "Minutes a JWKS fetched from a JWKS URL is kept when its response "
                        "has no Cache-Control max-age.", "720", advanced=True, rules=(integer(1, 10080),)),
    ),
    tables=(
        TableDescriptor(ISSUERS, (
            FieldDescriptor(C_ISSUER, FieldType.TEXT, "An accepted 'iss' value (compared exactly).", required=True),
            FieldDescriptor(C_JWKS_URL, FieldType.TEXT, "HTTPS URL of this issuer's JSON Web Key Set."),
            FieldDescriptor(C_JWKS, FieldType.TEXT_AREA, "This issuer's JSON Web Key Set (public keys), instead "
                            "of a URL."),
        ), description="Issuers whose tokens are accepted, each with exactly one of JWKS URL and JWKS.",
            rules=(unique_column(C_ISSUER),)),
        TableDescriptor(AUDIENCES, (
            FieldDescriptor(C_AUDIENCE, FieldType.TEXT, "An accepted 'aud' value.", required=True),),
            description="When not empty, a token's 'aud' must name one of these.",
            rules=(unique_column(C_AUDIENCE),)),
    ),
    core_attributes=("sub",), supports_extended_contract=True, supports_parent=True,
)


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    static_keys: KeySet | None
    jwks_url: str


@dataclass(frozen=True)
class PingJwtProcessor:
    id: str
    issuers: dict[str, TrustedIssuer]
    audiences: frozenset[str]
    require_audience: bool
    require_exp: bool
    require_iat: bool
    require_nbf: bool
    skew: float
    max_future: float | None  # seconds; None: no bound
    cache_seconds: float
    kinds: tuple[str, ...] = ("jwt",)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != "jwt" or not token.value:
            raise TokenRefused("This token processor accepts only JWTs")
        jwtkeys.require_compact(token.value)
        trusted = self.issuers.get(_claimed_issuer(token.value))
        if trusted is None:
            raise TokenRefused("The JWT's issuer is not accepted")
        claims = await jwtkeys.verified_claims(token.value, trusted.static_keys, trusted.jwks_url,
                                               self.cache_seconds, manager, now, JWS_ALGORITHMS)
        if claims.get("iss") != trusted.issuer:
            raise TokenRefused("The JWT's issuer is not accepted")
        self._check_times(claims, now)
        named = jwtkeys.audiences_of(claims)
        if self.require_audience and not named:
            raise TokenRefused("The JWT has no audience ('aud')")
        if named and self.audiences and not self.audiences.intersection(named):
            raise TokenRefused("The JWT's audience is not accepted")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("The JWT has no 'sub' claim")
        attributes = jwtkeys.attributes_of(claims)
        return Identity(subject=subject, attributes=attributes, issuer=trusted.issuer)

    def _check_times(self, claims: dict[str, Any], now: float) -> None:
        exp, nbf, iat = (_number(claims, name) for name in ("exp", "nbf", "iat"))
        if exp is None and self.require_exp:
            raise TokenRefused("The JWT has no expiration time ('exp')")
        if exp is not None and now > exp + self.skew:
            raise TokenRefused("The JWT has expired")
        if exp is not None and self.max_future is not None and exp - now > self.max_future + self.skew:
            raise TokenRefused("The JWT is valid for longer than this processor accepts (Max Future Validity)")
        if nbf is None and self.require_nbf:
            raise TokenRefused("The JWT has no not-before time ('nbf')")
        if nbf is not None and now + self.skew < nbf:
            raise TokenRefused("The JWT is not valid yet")
        if iat is None and self.require_iat:
            raise TokenRefused("The JWT has no issued-at time ('iat')")
        if iat is not None and now + self.skew < iat:
            raise TokenRefused("The JWT was issued in the future ('iat')")


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f"The JWT's '{name}' claim is not a number")
    return float(value)


def _claimed_issuer(token: str) -> str:
    """The ``iss`` the (not yet verified) payload claims: only used to pick whose keys to try."""
    try:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
    except (ValueError, TypeError, JoseError) as exc:
        raise TokenRefused("The JWT's payload is not a JSON object", malformed="jose") from exc
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else ""


def _check(model: ConfigModel, config: NormalizedConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    rows = config.table_rows(ISSUERS)
    if not rows:
        problems.append((f"configuration.tables[{ISSUERS}]", "At least one allowed issuer is required"))
    for i, row in enumerate(rows):
        path = f"configuration.tables[{ISSUERS}].rows[{i}].fields"
        url, jwks = row.get(C_JWKS_URL, "").strip(), row.get(C_JWKS, "").strip()
        if bool(url) == bool(jwks):
            problems.append((f"{path}[{C_JWKS_URL}]", f"Give exactly one of JWKS URL and JWKS for issuer "
                                                      f"'{row.get(C_ISSUER, '')}'"))
        if url and not url.startswith(("https://", "http://")):
            problems.append((f"{path}[{C_JWKS_URL}]", "The JWKS URL must be an http(s) URL"))
        if jwks:
            try:
                jwtkeys.parse_key_set(jwks)
            except ValueError as exc:
                problems.append((f"{path}[{C_JWKS}]", f"Not a JSON Web Key Set: {exc}"))
    if config.values().get(F_REQUIRE_AUD) == "true" and not config.table_rows(AUDIENCES):
        problems.append((f"configuration.tables[{AUDIENCES}]", "Require Audience needs at least one allowed "
                                                               "audience"))
    return problems


def _compile(source: CompileInput) -> PingJwtProcessor:
    v = source.values
    issuers = {}
    for row in source.tables.get(ISSUERS, []):
        jwks = row.get(C_JWKS, "").strip()
        issuers[row[C_ISSUER]] = TrustedIssuer(row[C_ISSUER], jwtkeys.parse_key_set(jwks) if jwks else None,
                                               row.get(C_JWKS_URL, "").strip())
    max_future = v.get(F_MAX_FUTURE, "").strip()
    return PingJwtProcessor(
        source.instance_id, issuers, frozenset(r[C_AUDIENCE] for r in source.tables.get(AUDIENCES, [])),
        require_audience=v.get(F_REQUIRE_AUD) == "true", require_exp=v.get(F_REQUIRE_EXP) == "true",
        require_iat=v.get(F_REQUIRE_IAT) == "true", require_nbf=v.get(F_REQUIRE_NBF) == "true",
        skew=float(v.get(F_SKEW) or 0), max_future=float(max_future) * 60 if max_future else None,
        cache_seconds=float(v.get(F_CACHE) or 720) * 60)


PROCESSOR = ProcessorType(DESCRIPTOR, _compile, _check, exchange_types=(TT_JWT, TT_ACCESS_TOKEN, TT_ID_TOKEN))

"""A JWT manager's field values, typed once per snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from tokensmith.atm.jwt import descriptor as d


@dataclass(frozen=True)
class JwtSettings:
    lifetime: float  # seconds
    central: bool
    jws_alg: str
    active_symmetric: str
    active_certificate: str
    jwe_alg: str
    jwe_enc: str
    active_encryption: str
    encryption_key: str
    encryption_jwks_url: str
    revocation: bool
    include_kid: bool
    include_x5t: bool
    jwks_url_cache: float  # seconds
    include_jwe_kid: bool
    include_jwe_x5t: bool
    client_id_claim: str
    scope_claim: str
    space_delimit: bool
    authz_details_claim: str
    issuer: str
    audience: str
    nbf_offset: int | None  # seconds; None: no nbf
    include_iat: bool
    jti_length: int
    grant_claim: str
    jwks_path: str
    jwks_cache: float  # seconds
    publish_kid_x509: bool
    publish_x5t_x509: bool
    expand_scope_groups: bool
    type_header: str
    publish_to_pf_jwks: bool

    @classmethod
    def from_values(cls, v: dict[str, str]) -> JwtSettings:
        def flag(name: str) -> bool:
            return v.get(name) == "true"

        offset = v.get(d.NBF_OFFSET, "")
        return cls(
            lifetime=int(v[d.LIFETIME]) * 60.0, central=flag(d.USE_CENTRAL), jws_alg=v.get(d.JWS_ALG, ""),
            active_symmetric=v.get(d.ACTIVE_SYMMETRIC, ""), active_certificate=v.get(d.ACTIVE_CERTIFICATE, ""),
            jwe_alg=v.get(d.JWE_ALG, ""), jwe_enc=v.get(d.JWE_ENC, ""),
            active_encryption=v.get(d.ACTIVE_ENCRYPTION, ""), encryption_key=v.get(d.ENCRYPTION_KEY, ""),
            encryption_jwks_url=v.get(d.ENCRYPTION_JWKS_URL, ""), revocation=flag(d.REVOCATION),
            include_kid=flag(d.INCLUDE_KID), include_x5t=flag(d.INCLUDE_X5T),
            jwks_url_cache=int(v.get(d.JWKS_URL_CACHE) or 720) * 60.0,
            include_jwe_kid=flag(d.INCLUDE_JWE_KID), include_jwe_x5t=flag(d.INCLUDE_JWE_X5T),
            client_id_claim=v.get(d.CLIENT_ID_CLAIM, ""), scope_claim=v.get(d.SCOPE_CLAIM, ""),
            space_delimit=flag(d.SPACE_DELIMIT), authz_details_claim=v.get(d.AUTHZ_DETAILS_CLAIM, ""),
            issuer=v.get(d.ISSUER, ""), audience=v.get(d.AUDIENCE, ""),
            nbf_offset=int(offset) if offset else None, include_iat=flag(d.INCLUDE_IAT),
            jti_length=int(v.get(d.JTI_LENGTH) or 0), grant_claim=v.get(d.GRANT_CLAIM, ""),
            jwks_path=v.get(d.JWKS_PATH, ""), jwks_cache=int(v.get(d.JWKS_CACHE) or 720) * 60.0,
            publish_kid_x509=flag(d.PUBLISH_KID_X509), publish_x5t_x509=flag(d.PUBLISH_X5T_X509),
            expand_scope_groups=flag(d.EXPAND_SCOPES), type_header=v.get(d.TYPE_HEADER, ""),
            publish_to_pf_jwks=flag(d.PUBLISH_TO_PF_JWKS),
        )

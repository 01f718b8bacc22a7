"""Descriptors of the bundled token processor types (``/idp/tokenProcessors/descriptors``)."""

from __future__ import annotations

from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    check_box,
    integer,
    unique_column,
)

USERNAME_ID = "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor"
SAML20_ID = "org.sourceid.wstrust.processor.saml.Saml20TokenProcessor"
SAML11_ID = "org.sourceid.wstrust.processor.saml.Saml11TokenProcessor"
JWT_ID = "org.tokensmith.wstrust.processor.jwt.JwtTokenProcessor"

CREDENTIAL_VALIDATORS, PCV_COLUMN = "Credential Validators", "Password Credential Validator Instance"
ISSUER_DNS, SUBJECT_DNS = "Valid Certificate Issuer DNs", "Valid Certificate Subject DNs"
F_AUDIENCE, F_ATTEMPTS = "Audience", "Authentication Attempts"
F_JWKS_URL, F_JWKS, F_ATM = "JWKS Endpoint URI", "JWKS", "Access Token Manager"
F_ISSUER, F_TOLERANCE, F_ALGORITHMS = "Issuer", "Expiry Tolerance", "Allowed Signing Algorithms"
F_SUBJECT_CLAIM, F_CACHE, F_REQUIRE_AUD = "Subject Claim Name", "JWKS Cache Duration", "Require Audience"
JWS_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def _algorithms(value: str) -> str | None:
    unknown = [a for a in (p.strip() for p in value.split(",")) if a and a not in JWS_ALGORITHMS]
    if unknown:
        return f"not supported: {', '.join(unknown)}; use some of {', '.join(JWS_ALGORITHMS)}"
    return None


USERNAME_DESCRIPTOR = PluginDescriptor(
    id=USERNAME_ID, name="Username Token Processor",
    description="Validates WS-Security UsernameTokens (PasswordText) against password credential validators.",
    fields=(FieldDescriptor(F_ATTEMPTS, FieldType.TEXT, "Failed attempts allowed for one username from one "
                            "address before it is locked out for a while (0: only the per-address limit).", "3",
                            required=True,
                            rules=(integer(0, 100),)),),
    tables=(TableDescriptor(CREDENTIAL_VALIDATORS, (
        FieldDescriptor(PCV_COLUMN, FieldType.SELECT, "A password credential validator id.", required=True),),
        description="Validators tried in order; the first that accepts the credentials wins.",
        rules=(unique_column(PCV_COLUMN),)),),
    core_attributes=("username",), supports_extended_contract=False, supports_parent=True,
)


def _saml_descriptor(plugin_id: str, name: str) -> PluginDescriptor:
    return PluginDescriptor(
        id=plugin_id, name=name,
        description="Validates signed SAML assertions: a trusted certificate, optional issuer and subject DN "
                    "lists, the audience naming this STS, and the validity window.",
        fields=(FieldDescriptor(F_AUDIENCE, FieldType.TEXT, "The audience tokens must name. When empty, the "
                                "server's SAML entity ID / SAML 1.x issuer (serverSettings federationInfo)."),),
        tables=(
            TableDescriptor(ISSUER_DNS, (FieldDescriptor("Issuer DN", FieldType.TEXT,
                                                         "An accepted certificate issuer DN.", required=True),),
                            description="When not empty, the signing certificate's issuer must be one of these.",
                            rules=(unique_column("Issuer DN"),)),
            TableDescriptor(SUBJECT_DNS, (FieldDescriptor("Subject DN", FieldType.TEXT,
                                                          "An accepted certificate subject DN.", required=True),),
                            description="When not empty, the signing certificate's subject must be one of these.",
                            rules=(unique_column("Subject DN"),)),
        ),
        core_attributes=("SAML_SUBJECT",), supports_extended_contract=True, supports_parent=True,
    )


SAML20_DESCRIPTOR = _saml_descriptor(SAML20_ID, "SAML 2.0 Token Processor")
SAML11_DESCRIPTOR = _saml_descriptor(SAML11_ID, "SAML 1.1 Token Processor")

JWT_DESCRIPTOR = PluginDescriptor(
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
        FieldDescriptor(F_CACHE, FieldType.TEXT, "Minutes a fetched JWKS is kept.", "720", advanced=True,
                        rules=(integer(1, 10080),)),
    ),
    core_attributes=("sub",), supports_extended_contract=True, supports_parent=True,
)

ALL = (USERNAME_DESCRIPTOR, JWT_DESCRIPTOR, SAML20_DESCRIPTOR, SAML11_DESCRIPTOR)

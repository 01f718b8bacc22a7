"""The JSON Web Token access token manager's descriptor: 33 fields and two tables, in server order,
with their defaults and the rules that need only the submitted configuration.

Rules that need the rest of the configuration (key pairs, other managers) live in
:mod:`tokensmith.atm.jwt.rules`.
"""

from __future__ import annotations

from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    TableDescriptor,
    check_box,
    integer,
    options_of,
    unique_column,
)

PLUGIN_ID = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"

SYMMETRIC_KEYS = "Symmetric Keys"
CERTIFICATES = "Certificates"
KEY_ID, KEY, ENCODING, CERTIFICATE = "Key ID", "Key", "Encoding", "Certificate"

LIFETIME = "Token Lifetime"
USE_CENTRAL = "Use Centralized Signing Key"
JWS_ALG = "JWS Algorithm"
ACTIVE_SYMMETRIC = "Active Symmetric Key ID"
ACTIVE_CERTIFICATE = "Active Signing Certificate Key ID"
JWE_ALG = "JWE Algorithm"
JWE_ENC = "JWE Content Encryption Algorithm"
ACTIVE_ENCRYPTION = "Active Symmetric Encryption Key ID"
ENCRYPTION_KEY = "Asymmetric Encryption Key"
ENCRYPTION_JWKS_URL = "Asymmetric Encryption JWKS URL"
REVOCATION = "Enable Token Revocation"
INCLUDE_KID = "Include Key ID Header Parameter"
INCLUDE_X5T = "Include X.509 Thumbprint Header Parameter"
JWKS_URL_CACHE = "Default JWKS URL Cache Duration"
INCLUDE_JWE_KID = "Include JWE Key ID Header Parameter"
INCLUDE_JWE_X5T = "Include JWE X.509 Thumbprint Header Parameter"
CLIENT_ID_CLAIM = "Client ID Claim Name"
SCOPE_CLAIM = "Scope Claim Name"
SPACE_DELIMIT = "Space Delimit Scope Values"
AUTHZ_DETAILS_CLAIM = "Authorization Details Claim Name"
ISSUER = "Issuer Claim Value"
AUDIENCE = "Audience Claim Value"
NBF_OFFSET = "Not Before Claim Offset"
INCLUDE_IAT = "Include Issued At Claim"
JTI_LENGTH = "JWT ID Claim Length"
GRANT_CLAIM = "Access Grant GUID Claim Name"
JWKS_PATH = "JWKS Endpoint Path"
JWKS_CACHE = "JWKS Endpoint Cache Duration"
PUBLISH_KID_X509 = "Publish Key ID X.509 URL"
PUBLISH_X5T_X509 = "Publish Thumbprint X.509 URL"
EXPAND_SCOPES = "Expand Scope Groups"
TYPE_HEADER = "Type Header Value"
PUBLISH_TO_PF_JWKS = "Publish Keys to the PingFederate JWKS Endpoint"

HMAC_ALGS = ("HS256", "HS384", "HS512")
RSA_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGS = ("ES256", "ES384", "ES512")
JWS_ALGS = HMAC_ALGS + RSA_ALGS + EC_ALGS
CENTRAL_ALGS = ("RS256", "ES256", "ES384", "ES512")
EC_CURVE_FOR = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

DIRECT = "dir"
KEY_WRAP = ("A128KW", "A192KW", "A256KW")
GCM_KEY_WRAP = ("A128GCMKW", "A192GCMKW", "A256GCMKW")
ECDH = ("ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW")
RSA_OAEP = ("RSA-OAEP", "RSA-OAEP-256")
SYMMETRIC_JWE_ALGS = (DIRECT, *KEY_WRAP, *GCM_KEY_WRAP)
ASYMMETRIC_JWE_ALGS = (*ECDH, *RSA_OAEP)
JWE_ALGS = SYMMETRIC_JWE_ALGS + ASYMMETRIC_JWE_ALGS
JWE_ENCS = ("A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM")
# Key sizes in bytes: the content key of each "enc" (what "dir" needs) and the key-wrapping keys.
CEK_BYTES = {"A128CBC-HS256": 32, "A192CBC-HS384": 48, "A256CBC-HS512": 64, "A128GCM": 16, "A192GCM": 24,
             "A256GCM": 32}
WRAP_KEY_BYTES = {"A128KW": 16, "A192KW": 24, "A256KW": 32, "A128GCMKW": 16, "A192GCMKW": 24, "A256GCMKW": 32}
ENCODINGS = ("b64u", "b64", "hex")


def _jws_options() -> tuple[tuple[str, str], ...]:
    """Option labels as RFC 7518 section 3.1 names the algorithms. ES512 is ECDSA on P-521 (not
    "P-512"), so the curve comes from ``EC_CURVE_FOR`` rather than from the algorithm's digits."""
    family = {"HS": "HMAC using SHA-{}", "RS": "RSASSA-PKCS1-v1_5 using SHA-{}", "PS": "RSASSA-PSS using SHA-{}"}

    def label(alg: str) -> str:
        if alg.startswith("ES"):
            return f"ECDSA using {EC_CURVE_FOR[alg]} and SHA-{alg[2:]} ({alg})"
        return family[alg[:2]].format(alg[2:]) + f" ({alg})"

    return (("", "None"), *((a, label(a)) for a in JWS_ALGS))


def _path_rule(value: str) -> str | None:
    if value and not value.startswith("/"):
        return "must start with '/'"
    if value.startswith("/oauth/x509/") or value == "/oauth/x509":
        return "/oauth/x509 is reserved for the certificate URLs"
    if value and (any(c in value for c in "?#% ") or "//" in value or "/../" in value + "/"):
        return "may not contain '?', '#', '%', spaces, '//' or '..' segments"
    return None


def _url_rule(value: str) -> str | None:
    if value and not value.startswith("https://"):
        return "must be an https:// URL"
    return None


def _claim_name_rule(value: str) -> str | None:
    if value in ("exp", "iat", "nbf", "jti"):
        return f"'{value}' is set by the token manager itself"
    return None


def _cross_rules(v: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    jws, jwe, enc = v.get(JWS_ALG, ""), v.get(JWE_ALG, ""), v.get(JWE_ENC, "")
    central = v.get(USE_CENTRAL) == "true"
    if not jws and not jwe:
        problems.append((JWS_ALG, "Choose a JWS Algorithm, a JWE Algorithm, or both"))
    if central and jws not in CENTRAL_ALGS:
        problems.append((JWS_ALG, f"With Use Centralized Signing Key, the JWS Algorithm must be one of "
                                  f"{', '.join(CENTRAL_ALGS)}"))
    elif jws in HMAC_ALGS and not v.get(ACTIVE_SYMMETRIC):
        problems.append((ACTIVE_SYMMETRIC, f"{JWS_ALG} {jws} needs an Active Symmetric Key ID"))
    elif (jws in RSA_ALGS or jws in EC_ALGS) and not central and not v.get(ACTIVE_CERTIFICATE):
        problems.append((ACTIVE_CERTIFICATE, f"{JWS_ALG} {jws} needs an Active Signing Certificate Key ID "
                                             "(or Use Centralized Signing Key)"))
    if jwe and not enc:
        problems.append((JWE_ENC, f"{JWE_ALG} {jwe} needs a JWE Content Encryption Algorithm"))
    if enc and not jwe:
        problems.append((JWE_ALG, f"{JWE_ENC} {enc} needs a JWE Algorithm"))
    key, url = v.get(ENCRYPTION_KEY, ""), v.get(ENCRYPTION_JWKS_URL, "")
    if key and url:
        problems.append((ENCRYPTION_JWKS_URL, f"Give either an {ENCRYPTION_KEY} or an {ENCRYPTION_JWKS_URL}, "
                                              "not both"))
    if jwe in SYMMETRIC_JWE_ALGS and not v.get(ACTIVE_ENCRYPTION):
        problems.append((ACTIVE_ENCRYPTION, f"{JWE_ALG} {jwe} needs an Active Symmetric Encryption Key ID"))
    if jwe in ASYMMETRIC_JWE_ALGS and not key and not url:
        problems.append((ENCRYPTION_KEY, f"{JWE_ALG} {jwe} needs an {ENCRYPTION_KEY} or an "
                                         f"{ENCRYPTION_JWKS_URL}"))
    if v.get(REVOCATION) == "true":
        if not v.get(CLIENT_ID_CLAIM):
            problems.append((CLIENT_ID_CLAIM, f"{REVOCATION} needs a {CLIENT_ID_CLAIM}"))
        length = v.get(JTI_LENGTH, "")
        if not length.isdigit() or int(length) < 22:
            problems.append((JTI_LENGTH, f"{REVOCATION} needs a {JTI_LENGTH} of at least 22"))
    return problems


_unique_key_ids = unique_column(KEY_ID, "Key ID '{value}' appears more than once")


def _key_id_rule(value: str) -> str | None:
    if not value.strip():
        return "a Key ID is required"
    if len(value) > 128:
        return "must be at most 128 characters"
    return None


BASE_DESCRIPTOR = PluginDescriptor(  # completed with the instance rules in atm.jwt.plugin
    id=PLUGIN_ID,
    name="JSON Web Tokens",
    description=("Issues self-contained JWT access tokens: signed (JWS), encrypted (JWE), or signed then "
                 "encrypted. Resource servers can validate them locally with the published keys."),
    fields=(
        FieldDescriptor(LIFETIME, FieldType.TEXT, "Minutes an access token stays valid. An 'exp' attribute in "
                        "the contract overrides it (minutes from issuance).", default="120", required=True,
                        rules=(integer(1, 525_600),)),
        check_box(USE_CENTRAL, "Sign with the centrally managed, automatically rotated keys published at "
                  "/pf/JWKS instead of a key of this manager."),
        FieldDescriptor(JWS_ALG, FieldType.SELECT, "Signature algorithm. None: the token is only encrypted.",
                        options=options_of(*_jws_options())),
        FieldDescriptor(ACTIVE_SYMMETRIC, FieldType.SELECT, "Key ID (Symmetric Keys table) that signs with an "
                        "HMAC algorithm."),
        FieldDescriptor(ACTIVE_CERTIFICATE, FieldType.SELECT, "Key ID (Certificates table) that signs with an "
                        "RSA or EC algorithm."),
        FieldDescriptor(JWE_ALG, FieldType.SELECT, "Key management algorithm. None: the token is only signed.",
                        options=options_of(("", "None"), *((a, a) for a in JWE_ALGS))),
        FieldDescriptor(JWE_ENC, FieldType.SELECT, "Content encryption algorithm.",
                        options=options_of(("", "None"), *((e, e) for e in JWE_ENCS))),
        FieldDescriptor(ACTIVE_ENCRYPTION, FieldType.SELECT, "Key ID (Symmetric Keys table) for dir, AES key wrap "
                        "and AES-GCM key wrap encryption."),
        FieldDescriptor(ENCRYPTION_KEY, FieldType.TEXT_AREA, "The recipient's public key for RSA-OAEP or ECDH-ES: "
                        "a JWK (JSON) or an X.509 certificate (PEM)."),
        FieldDescriptor(ENCRYPTION_JWKS_URL, FieldType.TEXT, "https URL of the recipient's JWK set; the key is "
                        "chosen by algorithm and cached.", rules=(_url_rule,)),
        check_box(REVOCATION, "Allow /as/revoke_token.oauth2 to revoke these tokens by their jti."),
        check_box(INCLUDE_KID, "Put 'kid' in the JWS header.", default="true", advanced=True),
        check_box(INCLUDE_X5T, "Put 'x5t' (SHA-1 certificate thumbprint) in the JWS header.", advanced=True),
        FieldDescriptor(JWKS_URL_CACHE, FieldType.TEXT, "Minutes to cache keys from the Asymmetric Encryption "
                        "JWKS URL when its response has no Cache-Control max-age.", default="720", required=True,
                        advanced=True, rules=(integer(0, 525_600),)),
        check_box(INCLUDE_JWE_KID, "Put 'kid' in the JWE header.", default="true", advanced=True),
        check_box(INCLUDE_JWE_X5T, "Put 'x5t' in the JWE header when the encryption key has a certificate.",
                  advanced=True),
        FieldDescriptor(CLIENT_ID_CLAIM, FieldType.TEXT, "Claim carrying the client id. Empty: none.",
                        default="client_id", advanced=True, rules=(_claim_name_rule,)),
        FieldDescriptor(SCOPE_CLAIM, FieldType.TEXT, "Claim carrying the scopes. Empty: none.", default="scope",
                        advanced=True, rules=(_claim_name_rule,)),
        check_box(SPACE_DELIMIT, "Scopes as one space-delimited string instead of an array.", advanced=True),
        FieldDescriptor(AUTHZ_DETAILS_CLAIM, FieldType.TEXT, "Claim for rich authorization request details.",
                        default="authorization_details", advanced=True, rules=(_claim_name_rule,)),
        FieldDescriptor(ISSUER, FieldType.TEXT, "Value of 'iss'. Empty: none (a contract attribute 'iss' "
                        "overrides it).", advanced=True),
        FieldDescriptor(AUDIENCE, FieldType.TEXT, "Value of 'aud'. Empty: none (a contract attribute 'aud' "
                        "overrides it).", advanced=True),
        FieldDescriptor(NBF_OFFSET, FieldType.TEXT, "Seconds before the issue time to put in 'nbf'. Empty: no "
                        "'nbf'.", advanced=True, rules=(integer(0, 86_400),)),
        check_box(INCLUDE_IAT, "Include 'iat'.", advanced=True),
        FieldDescriptor(JTI_LENGTH, FieldType.TEXT, "Characters of the random 'jti'. 0: no 'jti'.", default="22",
                        advanced=True, rules=(integer(0, 256),)),
        FieldDescriptor(GRANT_CLAIM, FieldType.TEXT, "Claim carrying the id of the persistent grant behind the "
                        "token. Empty: none.", advanced=True, rules=(_claim_name_rule,)),
        FieldDescriptor(JWKS_PATH, FieldType.TEXT, "Publish this manager's public keys at /ext/<path>. Empty: "
                        "not published there.", advanced=True, rules=(_path_rule,)),
        FieldDescriptor(JWKS_CACHE, FieldType.TEXT, "Minutes for the Cache-Control max-age of that JWK set.",
                        default="720", required=True, advanced=True, rules=(integer(0, 525_600),)),
        check_box(PUBLISH_KID_X509, "Serve each signing certificate at /ext/oauth/x509/kid?v=<Key ID>.",
                  advanced=True),
        check_box(PUBLISH_X5T_X509, "Serve each signing certificate at /ext/oauth/x509/x5t?v=<x5t>.",
                  advanced=True),
        check_box(EXPAND_SCOPES, "Replace each scope group by its member scopes.", advanced=True),
        FieldDescriptor(TYPE_HEADER, FieldType.TEXT, "Value of the 'typ' header, e.g. at+jwt. Empty: none.",
                        advanced=True),
        check_box(PUBLISH_TO_PF_JWKS, "Also publish this manager's signing certificates at /pf/JWKS.",
                  advanced=True),
    ),
    tables=(
        TableDescriptor(SYMMETRIC_KEYS, (
            FieldDescriptor(KEY_ID, FieldType.TEXT, "Key ID, unique across all JWT managers.", required=True,
                            rules=(_key_id_rule,)),
            FieldDescriptor(KEY, FieldType.TEXT, "The key, in the chosen encoding.", required=True, encrypted=True),
            FieldDescriptor(ENCODING, FieldType.SELECT, "How Key is written.", default="b64u", required=True,
                            options=options_of(("b64u", "Base64 URL"), ("b64", "Base64"), ("hex", "Hex"))),
        ), "HMAC signing keys and symmetric encryption keys.", rules=(_unique_key_ids,)),
        TableDescriptor(CERTIFICATES, (
            FieldDescriptor(KEY_ID, FieldType.TEXT, "Key ID, unique across all JWT managers.", required=True,
                            rules=(_key_id_rule,)),
            FieldDescriptor(CERTIFICATE, FieldType.SELECT, "Id of a signing key pair (/keyPairs/signing).",
                            required=True),
        ), "Signing key pairs for RSA and EC algorithms.", rules=(_unique_key_ids,)),
    ),
    rules=(_cross_rules,),
    supports_parent=True,
)

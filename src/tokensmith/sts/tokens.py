"""What flows through the STS: token-type URIs, the identity a processor extracts from an incoming
token, the request a generator fulfils, and the token it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from lxml import etree

# RFC 8693 token types.
TT_SAML2 = "urn:ietf:params:oauth:token-type:saml2"
TT_SAML1 = "urn:ietf:params:oauth:token-type:saml1"
TT_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TT_JWT = "urn:ietf:params:oauth:token-type:jwt"
TT_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"

# WS-Trust TokenType URIs.
WSS_SAML2 = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
WSS_SAML11 = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1"
SAML2_URN = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML1_URN = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2_TOKEN_TYPES = (WSS_SAML2, SAML2_URN, TT_SAML2)
SAML11_TOKEN_TYPES = (WSS_SAML11, SAML1_URN, TT_SAML1)
JWT_TOKEN_TYPES = (TT_JWT, "JWT")

# Key types a request may ask for.
BEARER, PUBLIC_KEY, SYMMETRIC_KEY = "bearer", "publickey", "symmetric"


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Identity:
    """What a token processor learned from a valid incoming token."""

    subject: str
    attributes: Mapping[str, Any]  # processor contract attribute -> str or list of str
    authn: str = "unspecified"  # "password", "x509" or "unspecified"
    issuer: str = ""  # the incoming token's issuer (SAML Issuer, JWT iss), when it has one


@dataclass(frozen=True)
class ProofKey:
    """The holder-of-key material a request asked for."""

    kind: str  # PUBLIC_KEY or SYMMETRIC_KEY
    certificate: x509.Certificate | None = None  # PUBLIC_KEY with a certificate
    public_key: Any = None  # PUBLIC_KEY given as a raw key
    secret: bytes | None = None  # SYMMETRIC_KEY: the proof key itself


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class IssueRequest:
    """What a generator is asked to issue."""

    subject: str
    attributes: Mapping[str, Sequence[str]]  # generator contract attribute -> values (SAML_SUBJECT excluded)
    now: float
    audience: str = ""  # AppliesTo / RFC 8693 audience; the generator's own Audience when empty
    key_type: str | None = None  # BEARER, PUBLIC_KEY, SYMMETRIC_KEY, or None for the configured method
    proof: ProofKey | None = None
    authn: str = "unspecified"


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class IssuedToken:
    """A generated token: its serialised value, put unchanged into the RSTR (WS-Trust) or encoded
    for token exchange. The value is never parsed on the issuing path; :attr:`element` parses it
    only when something asks for the tree."""

    value: bytes
    token_type: str  # WS-Trust TokenType URI
    exchange_type: str  # RFC 8693 token type
    token_id: str
    created: float
    expires: float
    reference_value_type: str = ""  # wsse KeyIdentifier ValueType for attached/unattached references
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def element(self) -> etree._Element:
        """The token as an lxml tree (parsed from :attr:`value` with the hardened parser)."""
        from tokensmith.sts.xml import parse

        return parse(self.value)


class TokenRefused(Exception):
    """A processor refused an incoming token, or a generator cannot issue what was asked."""

    def __init__(self, message: str, code: str = "InvalidSecurityToken", malformed: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.malformed = malformed  # which strict-parsing rule refused the token (metrics), if any

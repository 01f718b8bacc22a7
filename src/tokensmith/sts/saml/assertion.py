"""SAML 2.0 and SAML 1.1 assertions as a WS-Trust STS issues them.

:func:`write` returns the unsigned assertion in exclusive canonical form (:mod:`.c14n`), split
where each schema wants the ``ds:Signature`` (after ``Issuer`` in SAML 2.0, last in SAML 1.1);
the generator then signs it (:mod:`tokensmith.sts.saml.signing`).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from tokensmith.sts.saml import c14n
from tokensmith.sts.saml.c14n import (
    ATTRNAME_UNSPECIFIED,
    BEARER,
    CM1,
    CM2,
    HOLDER_OF_KEY,
    SAML1_ATTRIBUTE_NAMESPACE,
    UNSPECIFIED_NAMEID,
    Canonical,
    split_attribute_name,
)

SAML20 = "2.0"
SAML11 = "1.1"
SENDER_VOUCHES = "sender-vouches"

# How the subject was authenticated, for AuthnContextClassRef / AuthenticationMethod.
AUTHN_CONTEXT = {
    "password": ("urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "urn:oasis:names:tc:SAML:1.0:am:password"),
    "x509": ("urn:oasis:names:tc:SAML:2.0:ac:classes:X509", "urn:ietf:rfc:2246"),
    "unspecified": ("urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
                    "urn:oasis:names:tc:SAML:1.0:am:unspecified"),
}


_SECONDS: dict[int, str] = {}  # whole seconds -> "YYYY-MM-DDTHH:MM:SS." (a few per request)


def instant(moment: float) -> str:
    """``moment`` as xs:dateTime in UTC with milliseconds, e.g. ``2027-01-15T08:00:00.250Z``; the
    same value ``datetime.fromtimestamp(moment, UTC)`` gives (microseconds rounded half to even,
    then truncated to milliseconds)."""
    fraction, whole = math.modf(moment)
    micro = round(fraction * 1e6)
    seconds = int(whole)
    if micro >= 1_000_000:
        seconds, micro = seconds + 1, micro - 1_000_000
    elif micro < 0:
        seconds, micro = seconds - 1, micro + 1_000_000
    prefix = _SECONDS.get(seconds)
    if prefix is None:
        if len(_SECONDS) > 64:
            _SECONDS.clear()
        prefix = _SECONDS[seconds] = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{prefix}{micro // 1000:03d}Z"


def new_id() -> str:
    return "_" + secrets.token_hex(16)


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class AssertionSpec:
    version: str  # SAML20 or SAML11
    issuer: str
    subject: str
    audience: str
    confirmation: str  # BEARER, SENDER_VOUCHES or HOLDER_OF_KEY
    now: float
    not_before: float
    not_on_or_after: float
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    authn: str = "unspecified"
    proof_key_info: etree._Element | None = None  # holder-of-key KeyInfo
    id: str = field(default_factory=new_id)


def write(spec: AssertionSpec) -> Canonical:
    """The unsigned assertion in canonical form; ValueError for text XML cannot carry."""
    saml2 = spec.version == SAML20
    fields = c14n.Fields(
        id=spec.id, issuer=spec.issuer, subject=spec.subject, audience=spec.audience,
        confirmation=spec.confirmation, issue_instant=instant(spec.now), not_before=instant(spec.not_before),
        not_on_or_after=instant(spec.not_on_or_after), authn_context=AUTHN_CONTEXT[spec.authn][0 if saml2 else 1],
        attributes=spec.attributes, proof_key_info=spec.proof_key_info)
    return c14n.saml2(fields) if saml2 else c14n.saml1(fields)


__all__ = ["ATTRNAME_UNSPECIFIED", "AUTHN_CONTEXT", "BEARER", "CM1", "CM2", "HOLDER_OF_KEY",
           "SAML1_ATTRIBUTE_NAMESPACE", "SENDER_VOUCHES", "UNSPECIFIED_NAMEID", "AssertionSpec", "instant", "new_id",
           "split_attribute_name", "write"]

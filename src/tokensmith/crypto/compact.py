"""Strict syntax of JOSE compact serialisations (RFC 7515 §7.1, RFC 7516 §7.1).

Every part of a compact JWS or JWE is BASE64URL without padding (RFC 7515 §2, appendix C). joserfc
adds padding and decodes with Python's ``base64`` module, which also accepts ``=`` padding and
quietly skips characters outside the alphabet, so ``header.payload.signature==`` (or a signature
with a stray ``+`` or newline) verifies like the original token. Such a token is a different string
for the same signature: a cache, a denylist or a log keyed by token value would treat it as another
token. So every compact token taken from outside is checked here first and refused unless each part
is canonical unpadded base64url: only ``A-Z a-z 0-9 - _``, no length of the form 4n+1, and unused
low bits of the last character zero (the encoding of the decoded bytes gives back the same text).
"""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def canonical_part(part: str) -> bool:
    """True when ``part`` is canonical unpadded base64url (the empty string is)."""
    if len(part) % 4 == 1 or not _ALPHABET.fullmatch(part):
        return False
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == part


def strict_compact(token: str, parts: tuple[int, ...] = (3, 5)) -> bool:
    """True when ``token`` has one of ``parts`` dot-separated parts (3: JWS, 5: JWE), each canonical."""
    pieces = token.split(".")
    return len(pieces) in parts and all(canonical_part(piece) for piece in pieces)

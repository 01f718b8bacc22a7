"""Client authentication at the token, introspection and revocation endpoints.

``client_secret_basic`` (RFC 6749 §2.3.1: id and secret form-encoded, then Basic) and
``client_secret_post``; a public client sends only ``client_id``. Using two methods at once is an
error. Secrets are checked against the keyed digest in the snapshot, in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import unquote_plus

from tokensmith.config.snapshot import RuntimeClient, Snapshot
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.errors import invalid_client, invalid_request


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("The Authorization header is not valid Basic credentials", basic=True) from exc
    if ":" not in decoded:
        raise invalid_client("The Authorization header is not valid Basic credentials", basic=True)
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate(headers: dict[str, str], form: dict[str, str], snapshot: Snapshot, box: SecretBox,
                 now: float) -> RuntimeClient | None:
    """The authenticated client, or None when the request names no client at all."""
    secret: str | None
    header = headers.get("authorization")
    basic = _basic(header) if header else None
    if basic is not None:
        if "client_secret" in form:
            raise invalid_request("Use one client authentication method, not both Basic and client_secret")
        if "client_id" in form and form["client_id"] != basic[0]:
            raise invalid_request("client_id does not match the Authorization header")
        client_id, secret = basic
        via_basic = True
    elif "client_id" in form:
        client_id, secret = form["client_id"], form.get("client_secret")
        via_basic = False
    else:
        if "client_secret" in form:
            raise invalid_request("client_secret was sent without client_id")
        return None

    client = snapshot.clients.get(client_id)
    if client is None or not client.enabled:
        raise invalid_client("Client authentication failed", basic=via_basic)
    if client.confidential:
        if not secret or not _secret_ok(client, secret, box, now):
            raise invalid_client("Client authentication failed", basic=via_basic)
    elif secret:
        raise invalid_client("This client does not use a secret", basic=via_basic)
    return client


def _secret_ok(client: RuntimeClient, secret: str, box: SecretBox, now: float) -> bool:
    digest = box.digest(secret)
    ok = client.secret_digest is not None and hmac.compare_digest(digest, client.secret_digest)
    for other, expires in client.secondary:
        if expires > now and hmac.compare_digest(digest, other):
            ok = True
    return ok

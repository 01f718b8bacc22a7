"""Authorization server metadata (RFC 8414) and the OpenID discovery document.

Both describe only what this server actually offers with its current configuration. Every URL in
them starts with the configured base URL (``tokensmith.publicurl``), never with the request's
``Host``: the documents are cacheable, so a forged ``Host`` must not end up in them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokensmith.httpmsg import Response, json_response
from tokensmith.oauth.authorize import RESPONSE_MODES
from tokensmith.oauth.grants import registry

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
TOKEN_AUTH_METHODS = [*AUTH_METHODS, "none"]  # public clients send only client_id


def device_metadata(base: str) -> dict[str, Any]:
    """RFC 8628 §4: where a device asks for its codes."""
    return {"device_authorization_endpoint": f"{base}/as/device_authz.oauth2"}


def metadata(snapshot: Snapshot, base: str) -> dict[str, Any]:
    scopes = sorted(snapshot.scopes.common | set(snapshot.scopes.common_groups))
    doc = {
        "issuer": base,
        "authorization_endpoint": f"{base}/as/authorization.oauth2",
        "token_endpoint": f"{base}/as/token.oauth2",
        "introspection_endpoint": f"{base}/as/introspect.oauth2",
        "revocation_endpoint": f"{base}/as/revoke_token.oauth2",
        "jwks_uri": f"{base}/pf/JWKS",
        "grant_types_supported": registry.served_names(),
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "code_challenge_methods_supported": ["S256"] if snapshot.codes.disallow_plain_pkce else ["S256", "plain"],
        "authorization_response_iss_parameter_supported": snapshot.codes.include_issuer,
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        **device_metadata(base),
    }
    doc.update(_par_metadata(snapshot, base))
    return doc


def _par_metadata(snapshot: Snapshot, base: str) -> dict[str, Any]:
    """RFC 9126 §5: the PAR endpoint (left out while ``parStatus`` is DISABLED) and whether every
    authorization request must come through it."""
    if not snapshot.par.enabled:
        return {}
    return {"pushed_authorization_request_endpoint": f"{base}/as/par.oauth2",
            "require_pushed_authorization_requests": snapshot.par.required}


def metadata_endpoint(snapshot: Snapshot, base: str) -> Response:
    response = json_response(metadata(snapshot, base))
    response.headers = [(b"content-type", b"application/json"), (b"cache-control", b"max-age=300")]
    return response

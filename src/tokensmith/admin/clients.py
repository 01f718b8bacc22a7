"""``/oauth/clients``: OAuth clients and their secrets.

A client secret is stored twice, never in clear: encrypted under the master key (returned as
``encryptedSecret`` and accepted back unchanged on PUT), and as a keyed HMAC digest that the
token endpoint checks in about a microsecond.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tokensmith.admin.authserver import MAX_PENDING_TIMEOUT, MAX_POLLING_INTERVAL, absolute_url_problem
from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, check_name, public, ref_id
from tokensmith.config.model import ATM, CLIENT, TX_POLICY, ConfigModel
from tokensmith.crypto.secretbox import SecretBoxError
from tokensmith.errors import ErrorCollector, FieldError, ValidationFailed
from tokensmith.oauth import redirects
from tokensmith.oauth.grants import registry

PATH = "/oauth/clients"
SUPPORTED_AUTH = {"NONE", "SECRET"}
MIN_SECRET = 8
CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,255}$")

DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "redirectUris": [],
    "description": "",
    "refreshRolling": "SERVER_DEFAULT",
    "refreshTokenRollingIntervalType": "SERVER_DEFAULT",
    "persistentGrantExpirationType": "SERVER_DEFAULT",
    "persistentGrantIdleTimeoutType": "SERVER_DEFAULT",
    "persistentGrantReuseType": "SERVER_DEFAULT",
    "bypassApprovalPage": False,
    "restrictScopes": False,
    "restrictedScopes": [],
    "exclusiveScopes": [],
    "restrictedResponseTypes": [],
    "authorizationDetailTypes": [],
    "restrictToDefaultAccessTokenManager": False,
    "validateUsingAllEligibleAtms": False,
    "requireProofKeyForCodeExchange": False,
    "requirePushedAuthorizationRequests": False,
    "clientSecretRetentionPeriodType": "SERVER_DEFAULT",
    "refreshTokenRollingGracePeriodType": "SERVER_DEFAULT",
    "deviceFlowSettingType": "SERVER_DEFAULT",
}
READ_ONLY = {"creationDate", "modificationDate", "replicationStatus", "clientSecretChangedTime"}


def render(ctx: AdminContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    if (out.get("tokenExchangeProcessorPolicyRef") or {}).get("id"):
        out["tokenExchangeProcessorPolicyRef"] = ctx.link("/oauth/tokenExchange/processor/policies",
                                                          out["tokenExchangeProcessorPolicyRef"]["id"])
    if out.get("defaultAccessTokenManagerRef"):
        out["defaultAccessTokenManagerRef"] = ctx.link("/oauth/accessTokenManagers",
                                                       out["defaultAccessTokenManagerRef"]["id"])
    return out


CLIENTS = Collection(CLIENT, "OAuth client", key="clientId")


def get(model: ConfigModel, client_id: str) -> dict[str, Any]:
    return CLIENTS.get(model, client_id)


def _check_client_id(value: Any, errors: ErrorCollector) -> None:
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        errors.add("clientId", "clientId is required: 1 to 255 printable characters, no spaces")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:  # a time without a zone is UTC, not the server's local time
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _secret_from(ctx: AdminContext, item: dict[str, Any], path: str, errors: ErrorCollector
                 ) -> tuple[str, str] | None:
    """(encrypted, digest hex) for a {secret | encryptedSecret} object, or None if neither is set."""
    if item.get("secret"):
        secret = item["secret"]
        if len(secret) < MIN_SECRET:
            errors.add(f"{path}.secret" if path else "secret",
                       f"A client secret must be at least {MIN_SECRET} characters; use a long random value")
            return None
        return ctx.box.encrypt(secret), ctx.box.digest(secret).hex()
    if item.get("encryptedSecret"):
        try:
            secret = ctx.box.decrypt(item["encryptedSecret"])
        except SecretBoxError:
            errors.add(f"{path}.encryptedSecret" if path else "encryptedSecret",
                       "The encryptedSecret was not issued by this server; send the secret in 'secret' instead",
                       "invalid_encrypted_value")
            return None
        return item["encryptedSecret"], ctx.box.digest(secret).hex()
    return None


def _retention_seconds(model: ConfigModel, doc: dict[str, Any]) -> float:
    if doc.get("clientSecretRetentionPeriodType") == "OVERRIDE_SERVER_DEFAULT":
        minutes = doc.get("clientSecretRetentionPeriod") or 0
    else:
        minutes = (model.setting("authServer") or {}).get("clientSecretRetentionPeriod") or 0
    return float(minutes) * 60.0


def _apply_auth(ctx: AdminContext, model: ConfigModel, doc: dict[str, Any], auth_in: dict[str, Any],
                existing: dict[str, Any] | None, errors: ErrorCollector, path: str = "clientAuth") -> None:
    prefix = f"{path}." if path else ""
    auth_type = auth_in.get("type") or ("SECRET" if (auth_in.get("secret") or auth_in.get("encryptedSecret"))
                                        else "NONE")
    if auth_type not in SUPPORTED_AUTH:
        errors.add(f"{prefix}type", f"Client authentication type '{auth_type}' is not supported; "
                   "use SECRET or NONE")
        return
    now = ctx.clock.now()
    old_auth = (existing or {}).get("clientAuth", {})
    if auth_type == "NONE":
        doc["clientAuth"] = {"type": "NONE"}
        return
    before = len(errors.errors)
    new = _secret_from(ctx, auth_in, path or "", errors)
    if new is None and len(errors.errors) == before:
        if old_auth.get("type") == "SECRET" and existing is not None:
            new = old_auth["encryptedSecret"], existing["_secretDigest"]
        else:
            errors.add(f"{prefix}secret", "A client secret is required for SECRET authentication",
                       "required_field_missing")
            return
    if new is None:
        return
    secondaries: list[dict[str, Any]] = []
    digests: list[dict[str, Any]] = []
    for i, item in enumerate(auth_in.get("secondarySecrets") or []):
        expiry = _parse_iso(item.get("expiryTime") or "")
        if expiry is None:
            errors.add(f"{prefix}secondarySecrets[{i}].expiryTime", "An ISO 8601 expiryTime is required")
            continue
        secret = _secret_from(ctx, item, f"{prefix}secondarySecrets[{i}]", errors)
        if secret is not None and expiry > now:
            secondaries.append({"encryptedSecret": secret[0], "expiryTime": _iso(expiry)})
            digests.append({"digest": secret[1], "expires": expiry})
    changed = existing is not None and existing.get("_secretDigest") not in (None, new[1])
    if changed:
        retention = _retention_seconds(model, doc)
        if retention > 0 and existing is not None:
            expiry = now + retention
            secondaries.append({"encryptedSecret": old_auth["encryptedSecret"], "expiryTime": _iso(expiry)})
            digests.append({"digest": existing["_secretDigest"], "expires": expiry})
    doc["clientAuth"] = {"type": "SECRET", "encryptedSecret": new[0], "secondarySecrets": secondaries}
    doc["_secretDigest"] = new[1]
    doc["_secondaryDigests"] = digests
    if existing is None or changed:
        doc["clientSecretChangedTime"] = ctx.timestamp()


# Client settings that would change what the token, introspection or revocation endpoints do, but
# that this server does not implement: a value asking for them is refused (422 naming the member)
# rather than stored and silently not enforced. Their defaults (and settings of flows the server does
# not serve, such as CIBA or OpenID Connect) are stored and returned as sent.
NOT_ENFORCED: dict[str, tuple[Any, str]] = {
    "requireDpop": (False, "DPoP-bound tokens are not supported"),
    "persistentGrantIdleTimeoutType": ("SERVER_DEFAULT", "per-client grant idle timeouts are not supported"),
    "lockoutMaxMaliciousActionsType": ("SERVER_DEFAULT", "client lockout is not supported"),
    "requireSignedRequests": (False, "request objects (JAR, RFC 9101) are not supported, so signed requests "
                              "cannot be required"),
    "requireJwtSecuredAuthorizationResponseMode": (False, "JWT-secured authorization responses (JARM) are not "
                                                   "supported"),
    "tokenIntrospectionSigningAlgorithm": (None, "introspection answers are plain JSON (RFC 7662)"),
    "tokenIntrospectionEncryptionAlgorithm": (None, "introspection answers are plain JSON (RFC 7662)"),
    "tokenIntrospectionContentEncryptionAlgorithm": (None, "introspection answers are plain JSON (RFC 7662)"),
}


def _not_enforced(body: dict[str, Any], errors: ErrorCollector) -> None:
    for key, (allowed, reason) in NOT_ENFORCED.items():
        value = body.get(key)
        if value is not None and value != allowed and not (key == "lockoutMaxMaliciousActionsType"
                                                             and value == "DO_NOT_LOCKOUT"):
            errors.add(key, f"{key} {value!r} cannot be honoured: {reason}")


# PingFederate's response types; only ``code`` is served (the rest are implicit and hybrid flows),
# but a client may list them, as the restriction only narrows what it may ask for.
RESPONSE_TYPES = ("code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token")


def _check_response_types(body: dict[str, Any], errors: ErrorCollector) -> None:
    for i, value in enumerate(body.get("restrictedResponseTypes") or []):
        if value not in RESPONSE_TYPES:
            errors.add(f"restrictedResponseTypes[{i}]", f"'{value}' is not a response type; one of: "
                       + ", ".join(RESPONSE_TYPES))


def _check_grant_lifetime(body: dict[str, Any], errors: ErrorCollector) -> None:
    """A client's own persistent grant lifetime needs a length of at least 1 (of its unit)."""
    if body.get("persistentGrantExpirationType") == "OVERRIDE_SERVER_DEFAULT":
        time = body.get("persistentGrantExpirationTime")
        if time is None or time < 1:
            errors.add("persistentGrantExpirationTime", "persistentGrantExpirationTime must be at least 1 when "
                       "persistentGrantExpirationType is OVERRIDE_SERVER_DEFAULT")


def _check_redirects(doc: dict[str, Any], grants: list[str], errors: ErrorCollector) -> None:
    uris = doc.get("redirectUris") or []
    if not isinstance(uris, list):
        errors.add("redirectUris", "redirectUris must be a list of URIs")
        return
    for i, uri in enumerate(uris):
        problem = redirects.registration_problem(uri)
        if problem is not None:
            errors.add(f"redirectUris[{i}]", problem)
    if "AUTHORIZATION_CODE" in grants and not uris:
        errors.add("redirectUris", "A client with the AUTHORIZATION_CODE grant type needs at least one redirect URI",
                   "required_field_missing")


def _check_device(doc: dict[str, Any], errors: ErrorCollector) -> None:
    """The client's device authorization overrides: used only with OVERRIDE_SERVER_DEFAULT; a value left
    out then falls back to the authorization server's setting."""
    if doc.get("deviceFlowSettingType") not in ("SERVER_DEFAULT", "OVERRIDE_SERVER_DEFAULT"):
        errors.add("deviceFlowSettingType", "deviceFlowSettingType must be SERVER_DEFAULT or OVERRIDE_SERVER_DEFAULT")
    for key, top in (("pendingAuthorizationTimeoutOverride", MAX_PENDING_TIMEOUT),
                     ("devicePollingIntervalOverride", MAX_POLLING_INTERVAL)):
        value = doc.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top):
            errors.add(key, f"{key} must be between 1 and {top} seconds")
    url = doc.get("userAuthorizationUrlOverride")
    problem = absolute_url_problem(url) if url else None
    if problem:
        errors.add("userAuthorizationUrlOverride", f"userAuthorizationUrlOverride {problem}")


def _scope_names(model: ConfigModel) -> tuple[set[str], set[str]]:
    auth = model.setting("authServer") or {}
    common = {s["name"] for s in auth.get("scopes", [])} | {g["name"] for g in auth.get("scopeGroups", [])}
    exclusive = ({s["name"] for s in auth.get("exclusiveScopes", [])}
                 | {g["name"] for g in auth.get("exclusiveScopeGroups", [])})
    return common, exclusive


def _build(ctx: AdminContext, model: ConfigModel, body: dict[str, Any], existing: dict[str, Any] | None,
           errors: ErrorCollector) -> dict[str, Any]:
    check_name(body.get("name"), errors)
    grants = body.get("grantTypes") or []
    if not grants:
        errors.add("grantTypes", "At least one grant type is required", "required_field_missing")
    allowed = registry.allowed_client_values()
    for g in grants:
        if g not in allowed:
            known = registry.CLIENT_VALUES.get(g)
            reason = known.refused if known is not None and known.refused else "not supported by this server"
            errors.add("grantTypes", f"Grant type {g} cannot be given to a client: {reason}; supported: "
                       + ", ".join(sorted(allowed)))
    _not_enforced(body, errors)
    _check_grant_lifetime(body, errors)
    _check_response_types(body, errors)
    doc: dict[str, Any] = {**DEFAULTS}
    doc.update({k: v for k, v in body.items() if k not in READ_ONLY and k != "clientAuth"})
    doc["grantTypes"] = sorted(set(grants))
    _check_redirects(doc, grants, errors)
    _check_device(doc, errors)
    auth_in = body.get("clientAuth")
    if auth_in is None:  # an update that leaves clientAuth out keeps the current authentication
        auth_in = dict(existing["clientAuth"]) if existing else {}
    _apply_auth(ctx, model, doc, auth_in, existing, errors)
    if doc.get("clientAuth", {}).get("type") == "NONE":
        for g in sorted(g for g in set(grants) if g in allowed and allowed[g].confidential_only):
            errors.add("grantTypes", f"Grant type {g} needs client authentication (clientAuth.type SECRET)")

    atm = ref_id(body, "defaultAccessTokenManagerRef")
    if atm is not None:
        if model.get(ATM, atm) is None:
            errors.add("defaultAccessTokenManagerRef.id", f"Access token manager '{atm}' does not exist")
        doc["defaultAccessTokenManagerRef"] = {"id": atm}
    policy = ref_id(body, "tokenExchangeProcessorPolicyRef")
    if policy:
        if model.get(TX_POLICY, policy) is None:
            errors.add("tokenExchangeProcessorPolicyRef.id", f"Token exchange processor policy '{policy}' does not "
                       "exist")
        doc["tokenExchangeProcessorPolicyRef"] = {"id": policy}
    common, exclusive = _scope_names(model)
    for i, scope in enumerate(doc.get("restrictedScopes") or []):
        if scope not in common:
            errors.add(f"restrictedScopes[{i}]", f"'{scope}' is not a common scope or scope group")
    for i, scope in enumerate(doc.get("exclusiveScopes") or []):
        if scope not in exclusive:
            errors.add(f"exclusiveScopes[{i}]", f"'{scope}' is not an exclusive scope or scope group")
    now = ctx.timestamp()
    doc["creationDate"] = existing.get("creationDate", now) if existing else now
    doc["modificationDate"] = now
    if existing and "clientSecretChangedTime" not in doc and "clientSecretChangedTime" in existing:
        doc["clientSecretChangedTime"] = existing["clientSecretChangedTime"]
    return doc


def create(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return CLIENTS.create(model, body, lambda b, errors, existing: _build(ctx, model, b, existing, errors),
                          _check_client_id)


def update(ctx: AdminContext, model: ConfigModel, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return CLIENTS.update(model, client_id, body, lambda b, errors, existing: _build(ctx, model, b, existing, errors))


def delete(model: ConfigModel, client_id: str) -> None:
    CLIENTS.delete(model, client_id, lambda model, client_id: [
        FieldError("", f"Access token manager '{atm['id']}' lists it among its allowed clients", "resource_in_use")
        for atm in model.all(ATM) if any(c["id"] == client_id for c in atm["accessControlSettings"]["allowedClients"])])


def get_secret(model: ConfigModel, client_id: str) -> dict[str, Any]:
    auth = get(model, client_id).get("clientAuth", {})
    out: dict[str, Any] = {"secondarySecrets": auth.get("secondarySecrets", [])}
    if auth.get("encryptedSecret"):
        out["encryptedSecret"] = auth["encryptedSecret"]
    return out


def put_secret(ctx: AdminContext, model: ConfigModel, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    existing = get(model, client_id)
    if existing.get("clientAuth", {}).get("type") != "SECRET":
        raise ValidationFailed([FieldError("secret", "This client does not authenticate with a secret")])
    errors = ErrorCollector()
    doc = dict(existing)
    if not (body.get("secret") or body.get("encryptedSecret")):
        errors.add("secret", "A secret or encryptedSecret is required", "required_field_missing")
    _apply_auth(ctx, model, doc, {"type": "SECRET", **body}, existing, errors, path="")
    errors.raise_if_any()
    doc["modificationDate"] = ctx.timestamp()
    model.put(CLIENT, client_id, doc)
    return get_secret(model, client_id)

"""``/oauth/authServerSettings`` and its scope sub-resources.

Scopes are common (any client may ask unless restricted) or exclusive (only clients that list
them). A scope group names a set of scopes of its own kind; asking for the group grants them all.
Names are unique across all four lists. Dynamic scopes end in ``*`` and match by prefix.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlsplit

from tokensmith.config.authserver import DEFAULTS, SETTINGS_ID
from tokensmith.config.authserver import current as current  # the admin API reads the settings through here
from tokensmith.config.model import ATM, CLIENT, PCV, SETTINGS, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.oauth.cors import entry_problem

PAR_STATUSES = ("DISABLED", "ENABLED", "REQUIRED")
PAR_TIMEOUT = (1, 3600)  # seconds a pushed request's reference is valid
PAR_LENGTH = (16, 128)  # bytes of randomness in a reference: at least 128 bits (RFC 6749 §10.10)
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token

# (collection key in the settings document, sub-resource path segment, kind of member scopes)
COLLECTIONS = {
    "commonScopes": ("scopes", None),
    "exclusiveScopes": ("exclusiveScopes", None),
    "commonScopeGroups": ("scopeGroups", "scopes"),
    "exclusiveScopeGroups": ("exclusiveScopeGroups", "exclusiveScopes"),
}


def validate(doc: dict[str, Any], model: ConfigModel, errors: ErrorCollector) -> None:
    names: dict[str, str] = {}
    for key in ("scopes", "exclusiveScopes", "scopeGroups", "exclusiveScopeGroups"):
        for i, entry in enumerate(doc.get(key) or []):
            name = entry.get("name", "")
            path = f"{key}[{i}].name"
            if not SCOPE_TOKEN.match(name):
                errors.add(path, f"'{name}' is not a valid scope name (no spaces, quotes or backslashes)")
            elif name in names:
                errors.add(path, f"'{name}' is already defined in {names[name]}")
            else:
                names[name] = key
            if entry.get("dynamic") and not name.endswith("*"):
                errors.add(f"{key}[{i}].dynamic", "A dynamic scope name must end with '*'")
    for key, member_key in (("scopeGroups", "scopes"), ("exclusiveScopeGroups", "exclusiveScopes")):
        members_ok = {s["name"] for s in doc.get(member_key) or []}
        for i, group in enumerate(doc.get(key) or []):
            members = group.get("scopes") or []
            if not members:
                errors.add(f"{key}[{i}].scopes", "A scope group needs at least one scope")
            for m in members:
                if m not in members_ok:
                    errors.add(f"{key}[{i}].scopes", f"'{m}' is not one of the {member_key}")
    length = doc.get("refreshTokenLength")
    if not isinstance(length, int) or not 22 <= length <= 256:
        errors.add("refreshTokenLength", "refreshTokenLength must be between 22 and 256")
    timeout = doc.get("authorizationCodeTimeout")
    if not isinstance(timeout, int) or not 1 <= timeout <= 3600:
        errors.add("authorizationCodeTimeout", "authorizationCodeTimeout must be between 1 and 3600 seconds")
    entropy = doc.get("authorizationCodeEntropy")
    if not isinstance(entropy, int) or not 16 <= entropy <= 128:
        errors.add("authorizationCodeEntropy", "authorizationCodeEntropy must be between 16 and 128 bytes")
    _validate_par(doc, errors)
    lifetime = doc.get("persistentGrantLifetime")
    if lifetime is not None and lifetime != -1 and lifetime < 1:
        errors.add("persistentGrantLifetime", "persistentGrantLifetime must be -1 (indefinite) or at least 1")
    retention = doc.get("clientSecretRetentionPeriod") or 0
    if retention < 0:
        errors.add("clientSecretRetentionPeriod", "must not be negative")
    validate_device(doc, errors)
    _validate_origins(doc, errors)
    atm = doc.get("atmIdForOAuthGrantManagement")
    if atm and model.get(ATM, atm) is None:
        errors.add("atmIdForOAuthGrantManagement", f"Access token manager '{atm}' does not exist")
    validator = (doc.get("adminWebServicePcvRef") or {}).get("id")
    if validator and model.get(PCV, validator) is None:
        errors.add("adminWebServicePcvRef.id", f"Password credential validator '{validator}' does not exist")
    common = {s["name"] for s in doc.get("scopes", [])} | {g["name"] for g in doc.get("scopeGroups", [])}
    exclusive = ({s["name"] for s in doc.get("exclusiveScopes", [])}
                 | {g["name"] for g in doc.get("exclusiveScopeGroups", [])})
    for client in model.all(CLIENT):
        for scope in client.get("restrictedScopes") or []:
            if scope not in common:
                errors.add("scopes", f"'{scope}' is used by client '{client['clientId']}' "
                           "(restrictedScopes)", "resource_in_use")
        for scope in client.get("exclusiveScopes") or []:
            if scope not in exclusive:
                errors.add("exclusiveScopes", f"'{scope}' is used by client '{client['clientId']}' "
                           "(exclusiveScopes)", "resource_in_use")


MAX_PENDING_TIMEOUT = 86400  # seconds a device authorization may wait for its user
MAX_POLLING_INTERVAL = 3600
CHECK_MODES = ("AFTER_AUTHENTICATION", "BEFORE_AUTHENTICATION")


def absolute_url_problem(value: Any) -> str | None:
    """Why a user authorization URL cannot be shown to users as ``verification_uri`` (None: it can)."""
    if not isinstance(value, str):
        return "must be a URL"
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed "[" in the host, say
        return "must be an absolute http or https URL without a fragment"
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment or any(c.isspace() for c in value):
        return "must be an absolute http or https URL without a fragment"
    return None


def validate_device(doc: dict[str, Any], errors: ErrorCollector) -> None:
    """The device authorization grant's settings (RFC 8628): what a device is told and how long it waits."""
    timeout = doc.get("pendingAuthorizationTimeout")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_PENDING_TIMEOUT:
        errors.add("pendingAuthorizationTimeout",
                   f"pendingAuthorizationTimeout must be between 1 and {MAX_PENDING_TIMEOUT} seconds")
    interval = doc.get("devicePollingInterval")
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_POLLING_INTERVAL:
        errors.add("devicePollingInterval",
                   f"devicePollingInterval must be between 1 and {MAX_POLLING_INTERVAL} seconds")
    if doc.get("activationCodeCheckMode") not in CHECK_MODES:
        errors.add("activationCodeCheckMode", "activationCodeCheckMode must be AFTER_AUTHENTICATION or "
                   "BEFORE_AUTHENTICATION")
    url = doc.get("userAuthorizationUrl") or ""
    problem = absolute_url_problem(url) if url else None
    if problem:
        errors.add("userAuthorizationUrl", f"userAuthorizationUrl {problem}")
    if not isinstance(doc.get("bypassActivationCodeConfirmation"), bool):
        errors.add("bypassActivationCodeConfirmation", "bypassActivationCodeConfirmation must be true or false")


def _validate_origins(doc: dict[str, Any], errors: ErrorCollector) -> None:
    """``allowedOrigins``: the browser origins that may call the OAuth endpoints (tokensmith.oauth.cors)."""
    origins = doc.get("allowedOrigins")
    if origins is None:
        return
    if not isinstance(origins, list):
        errors.add("allowedOrigins", "allowedOrigins must be a list of origins")
        return
    for i, entry in enumerate(origins):
        problem = entry_problem(entry)
        if problem:
            errors.add(f"allowedOrigins[{i}]", f"'{entry}' {problem}")


def _int_in(doc: dict[str, Any], key: str, bounds: tuple[int, int], unit: str, errors: ErrorCollector) -> None:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        errors.add(key, f"{key} must be an integer between {bounds[0]} and {bounds[1]} {unit}")


def _validate_par(doc: dict[str, Any], errors: ErrorCollector) -> None:
    """The pushed authorization request settings (RFC 9126); checked here as well as by the API's model,
    because bulk imports and stored documents come in without it."""
    if doc.get("parStatus") not in PAR_STATUSES:
        errors.add("parStatus", "parStatus must be one of " + ", ".join(PAR_STATUSES))
    _int_in(doc, "parReferenceTimeout", PAR_TIMEOUT, "seconds", errors)
    _int_in(doc, "parReferenceLength", PAR_LENGTH, "bytes", errors)


def put(model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(DEFAULTS)
    doc.update(body)
    for key in ("scopes", "exclusiveScopes"):
        doc[key] = [{"name": s["name"], "description": s.get("description", ""),
                     "dynamic": bool(s.get("dynamic", False))} for s in doc.get(key) or []]
    for key in ("scopeGroups", "exclusiveScopeGroups"):
        doc[key] = [{"name": g["name"], "description": g.get("description", ""),
                     "scopes": list(dict.fromkeys(g.get("scopes") or []))} for g in doc.get(key) or []]
    errors = ErrorCollector()
    validate(doc, model, errors)
    errors.raise_if_any()
    model.put(SETTINGS, SETTINGS_ID, doc)
    return doc


# --------------------------------------------------------------------------- scope sub-resources


def _collection(collection: str) -> str:
    return COLLECTIONS[collection][0]


def list_entries(model: ConfigModel, collection: str, page: int | None, per_page: int | None,
                 filter_text: str | None, descending: bool) -> dict[str, Any]:
    entries = current(model)[_collection(collection)]
    if filter_text:
        needle = filter_text.lower()
        entries = [e for e in entries if needle in e["name"].lower() or needle in e["description"].lower()]
    entries = sorted(entries, key=lambda e: e["name"], reverse=descending)
    total = len(entries)
    if per_page:
        start = ((page or 1) - 1) * per_page
        entries = entries[start:start + per_page]
    return {"items": entries, "totalItems": total}


def get_entry(model: ConfigModel, collection: str, name: str) -> dict[str, Any]:
    for entry in current(model)[_collection(collection)]:
        if entry["name"] == name:
            return dict(entry)
    raise NotFound(f"'{name}' does not exist.")


def add_entry(model: ConfigModel, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    doc = current(model)
    key = _collection(collection)
    if any(e["name"] == body.get("name") for e in doc[key]):
        raise ValidationFailed([FieldError("name", f"'{body.get('name')}' already exists", "duplicate_id")])
    doc[key].append(body)
    put(model, doc)
    return get_entry(model, collection, body["name"])


def update_entry(model: ConfigModel, collection: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    doc = current(model)
    key = _collection(collection)
    get_entry(model, collection, name)
    if body.get("name") not in (None, name):
        raise ValidationFailed([FieldError("name", "The name in the body must match the name in the path")])
    doc[key] = [{**body, "name": name} if e["name"] == name else e for e in doc[key]]
    put(model, doc)
    return get_entry(model, collection, name)


def delete_entry(model: ConfigModel, collection: str, name: str) -> None:
    doc = current(model)
    key = _collection(collection)
    get_entry(model, collection, name)
    errors = ErrorCollector()
    if COLLECTIONS[collection][1] is None:  # a scope: refuse while a group lists it
        group_key = "scopeGroups" if key == "scopes" else "exclusiveScopeGroups"
        for group in doc[group_key]:
            if name in group["scopes"]:
                errors.add("name", f"'{name}' is a member of scope group '{group['name']}'", "resource_in_use")
    errors.raise_if_any()
    doc[key] = [e for e in doc[key] if e["name"] != name]
    put(model, doc)

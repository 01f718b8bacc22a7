"""``/oauth/accessTokenManagers``: instances, descriptors and the default-manager setting."""

from __future__ import annotations

from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, check_name, ref_id
from tokensmith.admin.plugin_instances import InstanceRules, configuration_of, descriptor_of, parent_of, recheck
from tokensmith.config.inheritance import children, effective_configuration
from tokensmith.config.model import ATM, CLIENT, MAPPING, SETTINGS, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, ValidationFailed

PATH = "/oauth/accessTokenManagers"
DESCRIPTORS = PATH + "/descriptors"
SETTINGS_ID = "atm"


def render(ctx: AdminContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["pluginDescriptorRef"] = ctx.link(DESCRIPTORS, doc["pluginDescriptorRef"]["id"])
    if doc.get("parentRef"):
        out["parentRef"] = ctx.link(PATH, doc["parentRef"]["id"])
    acs = dict(doc["accessControlSettings"])
    acs["allowedClients"] = [ctx.link("/oauth/clients", c["id"]) for c in acs.get("allowedClients", [])]
    out["accessControlSettings"] = acs
    return out


ATMS = Collection(ATM, "access token manager")


def get(model: ConfigModel, atm_id: str) -> dict[str, Any]:
    return ATMS.get(model, atm_id)


def _build(ctx: AdminContext, model: ConfigModel, body: dict[str, Any], errors: ErrorCollector,
           existing: dict[str, Any] | None) -> dict[str, Any]:
    check_name(body.get("name"), errors)
    rules = _rules(ctx)
    descriptor_id, descriptor = descriptor_of(rules, body, existing, errors)
    parent = parent_of(rules, model, body, descriptor, errors)

    contract_in = body.get("attributeContract") or {}
    extended: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, attr in enumerate(contract_in.get("extendedAttributes") or []):
        name = attr.get("name", "")
        if not name.strip():
            errors.add(f"attributeContract.extendedAttributes[{i}].name", "Attribute name is required")
        elif name in seen:
            errors.add(f"attributeContract.extendedAttributes[{i}].name",
                       f"Attribute '{name}' appears more than once")
        seen.add(name)
        extended.append({"name": name, "multiValued": bool(attr.get("multiValued", False))})
    subject = contract_in.get("defaultSubjectAttribute")
    contract: dict[str, Any] = {
        "coreAttributes": [{"name": n, "multiValued": False} for n in (descriptor.core_attributes
                                                                       if descriptor else ())],
        "extendedAttributes": extended,
        "inherited": False,
    }
    if subject:
        if subject not in seen:
            errors.add("attributeContract.defaultSubjectAttribute",
                       f"'{subject}' is not an attribute of this contract")
        contract["defaultSubjectAttribute"] = subject

    my_id = body.get("id")
    uris: list[str] = []
    for i, uri in enumerate((body.get("selectionSettings") or {}).get("resourceUris") or []):
        if "://" not in uri:
            errors.add(f"selectionSettings.resourceUris[{i}]", f"'{uri}' is not an absolute URI")
        elif uri in uris:
            errors.add(f"selectionSettings.resourceUris[{i}]", f"'{uri}' is listed twice")
        for other in model.all(ATM):
            if other["id"] != my_id and uri in other["selectionSettings"]["resourceUris"]:
                errors.add(f"selectionSettings.resourceUris[{i}]",
                           f"'{uri}' already selects access token manager '{other['id']}'")
        uris.append(uri)

    acs_in = body.get("accessControlSettings") or {}
    allowed: list[dict[str, str]] = []
    for i, client in enumerate(acs_in.get("allowedClients") or []):
        if model.get(CLIENT, client["id"]) is None:
            errors.add(f"accessControlSettings.allowedClients[{i}].id",
                       f"OAuth client '{client['id']}' does not exist")
        allowed.append({"id": client["id"]})
    svs = _session_validation(body.get("sessionValidationSettings") or {}, errors)
    token_endpoint = _token_endpoint_contract(body.get("tokenEndpointAttributeContract"), errors)

    config: dict[str, Any] = {"tables": [], "fields": []}
    if descriptor is not None:
        config = configuration_of(ctx, rules, model, descriptor, my_id, body.get("configuration"), parent,
                                  errors).doc
    errors.raise_if_any()
    assert descriptor is not None and descriptor_id is not None
    parent_ref = ref_id(body, "parentRef")
    return {
        "id": my_id,
        "name": body["name"],
        "pluginDescriptorRef": {"id": descriptor_id},
        **({"parentRef": {"id": parent_ref}} if parent_ref else {}),
        "configuration": config,
        "lastModified": ctx.timestamp(),
        "attributeContract": contract,
        "selectionSettings": {"resourceUris": uris, "inherited": False},
        "accessControlSettings": {"restrictClients": bool(acs_in.get("restrictClients", False)),
                                  "allowedClients": allowed, "inherited": False},
        "sessionValidationSettings": svs,
        **({"tokenEndpointAttributeContract": token_endpoint} if token_endpoint is not None else {}),
        "sequenceNumber": existing["sequenceNumber"] if existing else _next_sequence(model),
    }


SESSION_CHECKS = ("checkValidAuthnSession", "checkSessionRevocationStatus", "updateAuthnSessionActivity",
                  "includeSessionId")
# Names of the token endpoint's own response members (RFC 6749 §5.1, RFC 8693 §2.2.1): a token endpoint
# attribute cannot take one of them.
RESERVED_RESPONSE_NAMES = {"access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token",
                           "issued_token_type", "error", "error_description"}


def _session_validation(svs_in: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    """Session validation ties a token to a browser authentication session. This server runs no
    authentication sessions (no authorization code flow), so each check can only be off: a ``true``
    is refused rather than stored and ignored."""
    for key in SESSION_CHECKS:
        if svs_in.get(key):
            errors.add(f"sessionValidationSettings.{key}",
                       f"{key} cannot be enabled: this server has no authentication sessions to check "
                       "(tokens come from the client credentials, password, refresh token and token "
                       "exchange grants)")
    return {**{key: False for key in SESSION_CHECKS}, "inherited": False}


def _token_endpoint_contract(contract: dict[str, Any] | None, errors: ErrorCollector) -> dict[str, Any] | None:
    """The token endpoint attribute contract, stored as sent once its names are checked."""
    if contract is None:
        return None
    seen: set[str] = set()
    for i, attr in enumerate(contract.get("attributes") or []):
        path = f"tokenEndpointAttributeContract.attributes[{i}].name"
        name = attr["name"]
        if not name.strip():
            errors.add(path, "Attribute name is required", "required_field_missing")
        elif name in seen:
            errors.add(path, f"Attribute '{name}' appears more than once")
        elif name in RESERVED_RESPONSE_NAMES:
            errors.add(path, f"'{name}' is a member of the token response itself; choose another name")
        seen.add(name)
        for j, scope in enumerate(attr.get("mappedScopes") or []):
            if not scope.strip():
                errors.add(f"tokenEndpointAttributeContract.attributes[{i}].mappedScopes[{j}]",
                           "A scope name is required")
    return dict(contract)


def _rules(ctx: AdminContext) -> InstanceRules:
    assert ctx.atm_types is not None
    return InstanceRules(ATM, "access token manager", ctx.atm_types.get)


def _refresh_children(ctx: AdminContext, model: ConfigModel, parent_id: str, depth: int = 0) -> None:
    """After a parent changes, give each child the parent's new values for what it inherits, checking
    that the child is still valid; refuse the change (naming the child) when it is not."""
    rules = _rules(ctx)
    for child in children(model, parent_id):
        descriptor = rules.descriptor(child["pluginDescriptorRef"]["id"])
        if descriptor is None or depth > 8:
            continue
        config = effective_configuration(model, child)
        errors = ErrorCollector()
        recheck(ctx, model, descriptor, child["id"], config, errors)
        if errors:
            raise ValidationFailed([FieldError(e.field_path, f"Child access token manager '{child['id']}': "
                                               f"{e.message}", e.error_id) for e in errors.errors])
        model.put(ATM, child["id"], {**child, "configuration": config, "lastModified": ctx.timestamp()})
        _refresh_children(ctx, model, child["id"], depth + 1)


def _next_sequence(model: ConfigModel) -> int:
    return max((d.get("sequenceNumber", 0) for d in model.all(ATM)), default=0) + 1


def create(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    doc = ATMS.create(model, body, lambda b, errors, existing: _build(ctx, model, b, errors, existing))
    if not (model.setting(SETTINGS_ID) or {}).get("defaultAccessTokenManagerRef"):
        model.put(SETTINGS, SETTINGS_ID, {"defaultAccessTokenManagerRef": {"id": doc["id"]}})
    return doc


def update(ctx: AdminContext, model: ConfigModel, atm_id: str, body: dict[str, Any]) -> dict[str, Any]:
    doc = ATMS.update(model, atm_id, body, lambda b, errors, existing: _build(ctx, model, b, errors, existing))
    _refresh_children(ctx, model, atm_id)
    return doc


def users(model: ConfigModel, atm_id: str) -> list[FieldError]:
    """Everything that refers to this manager, one error each."""
    found: list[FieldError] = []
    for client in model.all(CLIENT):
        if ref_id(client, "defaultAccessTokenManagerRef") == atm_id:
            found.append(FieldError("", f"OAuth client '{client['clientId']}' uses it as its default "
                                        "access token manager", "resource_in_use"))
    for mapping in model.all(MAPPING):
        if mapping["accessTokenManagerRef"]["id"] == atm_id:
            found.append(FieldError("", f"Access token mapping '{mapping['id']}' maps to it",
                                    "resource_in_use"))
    for child in children(model, atm_id):
        found.append(FieldError("", f"Access token manager '{child['id']}' is its child", "resource_in_use"))
    auth = model.setting("authServer") or {}
    if auth.get("atmIdForOAuthGrantManagement") == atm_id:
        found.append(FieldError("", "Authorization server settings use it for grant management",
                                "resource_in_use"))
    return found


def delete(model: ConfigModel, atm_id: str) -> None:
    default = ref_id(model.setting(SETTINGS_ID) or {}, "defaultAccessTokenManagerRef")

    def in_use(model: ConfigModel, atm_id: str) -> list[FieldError]:
        found = users(model, atm_id)
        if default == atm_id and any(d != atm_id for d in model.ids(ATM)):
            found.append(FieldError("", "It is the default access token manager; choose another default "
                                        "first", "resource_in_use"))
        return found

    ATMS.delete(model, atm_id, in_use)
    if default == atm_id:
        model.put(SETTINGS, SETTINGS_ID, {})


def get_settings(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    default = ref_id(model.setting(SETTINGS_ID) or {}, "defaultAccessTokenManagerRef")
    return {"defaultAccessTokenManagerRef": ctx.link(PATH, default)} if default else {}


def put_settings(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    """Set the default manager; a body without ``defaultAccessTokenManagerRef`` (``{}``, what the
    Terraform provider sends when the setting is destroyed) clears it, as PingFederate does."""
    default = ref_id(body, "defaultAccessTokenManagerRef")
    if default is None:
        model.put(SETTINGS, SETTINGS_ID, {})
        return {}
    if model.get(ATM, default) is None:
        raise ValidationFailed([FieldError("defaultAccessTokenManagerRef.id",
                                           f"Access token manager '{default}' does not exist")])
    model.put(SETTINGS, SETTINGS_ID, {"defaultAccessTokenManagerRef": {"id": default}})
    return get_settings(ctx, model)

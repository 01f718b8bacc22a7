"""``/passwordCredentialValidators``: validators the password grant checks credentials against."""

from __future__ import annotations

from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, check_instance_id, check_name, ref_id
from tokensmith.admin.plugin_instances import InstanceRules, configuration_of, descriptor_of, parent_of
from tokensmith.config.model import MAPPING, PCV, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError
from tokensmith.pcv.base import pcv_types

PATH = "/passwordCredentialValidators"
DESCRIPTORS = PATH + "/descriptors"
RESERVED_IDS = {"default", "client_credentials"}


def render(ctx: AdminContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["pluginDescriptorRef"] = ctx.link(DESCRIPTORS, doc["pluginDescriptorRef"]["id"])
    return out


PCVS = Collection(PCV, "password credential validator")


def get(model: ConfigModel, pcv_id: str) -> dict[str, Any]:
    return PCVS.get(model, pcv_id)


def _check_id(value: Any, errors: ErrorCollector) -> None:
    check_instance_id(value, errors)
    if isinstance(value, str) and value.lower() in RESERVED_IDS:
        errors.add("id", f"'{value}' is reserved: access token mapping ids use it for a mapping context")


def _build(ctx: AdminContext, model: ConfigModel, body: dict[str, Any], errors: ErrorCollector,
           existing: dict[str, Any] | None) -> dict[str, Any]:
    assert ctx.pcv_types is not None
    check_name(body.get("name"), errors)
    rules = InstanceRules(PCV, "password credential validator", ctx.pcv_types.get)
    descriptor_id, descriptor = descriptor_of(rules, body, existing, errors)
    parent = parent_of(rules, model, body, descriptor, errors)
    pcv_type = pcv_types().get(descriptor_id or "")
    if pcv_type is not None:
        pcv_type.precheck(body.get("configuration"), errors, "configuration")
    config: dict[str, Any] = {"tables": [], "fields": []}
    if descriptor is not None:
        config = configuration_of(ctx, rules, model, descriptor, body.get("id"), body.get("configuration"), parent,
                                  errors).doc
    contract_in = body.get("attributeContract") or {}
    extended = [{"name": a["name"]} for a in contract_in.get("extendedAttributes") or []]
    if extended and descriptor is not None and not descriptor.supports_extended_contract:
        errors.add("attributeContract.extendedAttributes", "This validator type has a fixed attribute contract")
    errors.raise_if_any()
    assert descriptor is not None
    return {
        "id": body["id"],
        "name": body["name"],
        "pluginDescriptorRef": {"id": descriptor_id},
        "configuration": config,
        "attributeContract": {"coreAttributes": [{"name": n} for n in descriptor.core_attributes],
                              "extendedAttributes": extended, "inherited": False},
        "lastModified": ctx.timestamp(),
    }


def create(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return PCVS.create(model, body, lambda b, errors, existing: _build(ctx, model, b, errors, existing), _check_id)


def update(ctx: AdminContext, model: ConfigModel, pcv_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return PCVS.update(model, pcv_id, body, lambda b, errors, existing: _build(ctx, model, b, errors, existing))


def _users(model: ConfigModel, pcv_id: str) -> list[FieldError]:
    found = [FieldError("", f"Access token mapping '{m['id']}' uses it as its context", "resource_in_use")
             for m in model.all(MAPPING) if ref_id(m["context"], "contextRef") == pcv_id]
    if ((model.setting("authServer") or {}).get("adminWebServicePcvRef") or {}).get("id") == pcv_id:
        found.append(FieldError("", "Authorization server settings use it for the grant management web service "
                                "(adminWebServicePcvRef)", "resource_in_use"))
    return found


def delete(model: ConfigModel, pcv_id: str) -> None:
    PCVS.delete(model, pcv_id, _users)

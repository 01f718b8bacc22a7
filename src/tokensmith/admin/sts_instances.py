"""``/sp/tokenGenerators`` and ``/idp/tokenProcessors``: plugin instances with parents, attribute
contracts, check usage, guarded delete, and re-validation of what references them on each save.

Both collections share this service; :class:`InstanceKind` says what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, check_name, ref_id
from tokensmith.admin.plugin_instances import InstanceRules, configuration_of, descriptor_of, parent_of
from tokensmith.config.inheritance import effective_configuration, parent_id
from tokensmith.config.model import TOKEN_GENERATOR, TOKEN_PROCESSOR, ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.sts import instances, usage
from tokensmith.sts.generators.base import generator_types
from tokensmith.sts.processors.base import PROCESSORS as PROCESSOR_TYPES

# (model, descriptor id, normalised configuration) -> [(fieldPath, message)]
Check = Callable[[ConfigModel, str, NormalizedConfig], list[tuple[str, str]]]


def _generator_check(model: ConfigModel, descriptor_id: str, config: NormalizedConfig) -> list[tuple[str, str]]:
    found = generator_types().get(descriptor_id)
    if found is None:
        return []
    return [(f"configuration.fields[{name}]", message) for name, message in found.check(model, config.values())]


def _processor_check(model: ConfigModel, descriptor_id: str, config: NormalizedConfig) -> list[tuple[str, str]]:
    found = PROCESSOR_TYPES.get(descriptor_id)
    return [] if found is None else found.check(model, config)


@dataclass(frozen=True)
class InstanceKind:
    kind: str
    path: str
    label: str
    descriptors: Callable[[], dict[str, PluginDescriptor]]
    check: Check
    users: Callable[[ConfigModel, str], list[usage.Usage]]
    processor: bool

    @property
    def collection(self) -> Collection:
        return Collection(self.kind, self.label)

    @property
    def descriptor_path(self) -> str:
        return self.path + "/descriptors"


GENERATORS = InstanceKind(
    TOKEN_GENERATOR, "/sp/tokenGenerators", "token generator",
    lambda: {k: t.descriptor for k, t in generator_types().items()}, _generator_check,
    usage.users_of_generator, processor=False)
PROCESSORS = InstanceKind(
    TOKEN_PROCESSOR, "/idp/tokenProcessors", "token processor",
    PROCESSOR_TYPES.descriptors, _processor_check, usage.users_of_processor, processor=True)


def get(kind: InstanceKind, model: ConfigModel, instance_id: str) -> dict[str, Any]:
    return kind.collection.get(model, instance_id)


def render(ctx: AdminContext, kind: InstanceKind, model: ConfigModel, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["pluginDescriptorRef"] = ctx.link(kind.descriptor_path, doc["pluginDescriptorRef"]["id"])
    pid = parent_id(doc)
    if pid is not None:
        out["parentRef"] = ctx.link(kind.path, pid)
        out["configuration"] = effective_configuration(model, doc, kind.kind)
        out["attributeContract"] = instances.effective_contract(model, kind.kind, doc)
    return out


def _contract(kind: InstanceKind, descriptor: PluginDescriptor | None, body: dict[str, Any], has_parent: bool,
              errors: ErrorCollector) -> dict[str, Any]:
    raw = body.get("attributeContract") or {}
    core_names = list(descriptor.core_attributes) if descriptor else []
    extended: list[dict[str, Any]] = []
    seen = set(core_names)
    for i, attr in enumerate(raw.get("extendedAttributes") or []):
        name = (attr.get("name") or "").strip()
        path = f"attributeContract.extendedAttributes[{i}].name"
        if not name:
            errors.add(path, "Attribute name is required", "required_field_missing")
        elif name in seen:
            errors.add(path, f"Attribute '{name}' appears more than once in the contract")
        seen.add(name)
        extended.append({"name": name, "masked": bool(attr.get("masked", False))} if kind.processor
                        else {"name": name})
    if extended and descriptor is not None and not descriptor.supports_extended_contract:
        errors.add("attributeContract.extendedAttributes", f"This {kind.label} type has a fixed attribute contract")
    # A processor's core attributes keep the masked flag sent for them (attribute values are never
    # written to the logs, so a masked attribute is honoured by construction).
    masked_core: dict[str, bool] = {}
    for i, attr in enumerate(raw.get("coreAttributes") or []):
        name = attr.get("name")
        if name not in core_names:
            errors.add(f"attributeContract.coreAttributes[{i}].name",
                       f"'{name}' is not a core attribute of this {kind.label} type (core: {', '.join(core_names)})")
        elif kind.processor:
            masked_core[name] = bool(attr.get("masked", False))
    contract: dict[str, Any] = {  # core names come from the type; a processor keeps each one's masked flag
        "coreAttributes": [{"name": n, "masked": masked_core.get(n, False)} if kind.processor else {"name": n}
                           for n in core_names],
        "extendedAttributes": extended,
    }
    if kind.processor:
        contract["maskOgnlValues"] = bool(raw.get("maskOgnlValues", False))
    if has_parent and raw.get("inherited"):
        contract["inherited"] = True
    return contract


def _build(ctx: AdminContext, kind: InstanceKind, model: ConfigModel, body: dict[str, Any],
           errors: ErrorCollector, existing: dict[str, Any] | None) -> dict[str, Any]:
    check_name(body.get("name"), errors)
    rules = InstanceRules(kind.kind, kind.label, kind.descriptors().get)
    descriptor_id, descriptor = descriptor_of(rules, body, existing, errors)
    my_id = body.get("id")
    parent_id = ref_id(body, "parentRef")
    parent = parent_of(rules, model, body, descriptor, errors)

    config: dict[str, Any] = {"tables": [], "fields": []}
    if descriptor is not None:
        normalized = configuration_of(ctx, rules, model, descriptor, my_id, body.get("configuration"),
                                      parent if not errors else None, errors)
        config = normalized.doc
        if not errors:
            for path, message in kind.check(model, descriptor.id, normalized):
                errors.add(path, message)
    contract = _contract(kind, descriptor, body, parent is not None, errors)
    errors.raise_if_any()
    assert descriptor_id is not None
    doc: dict[str, Any] = {"id": my_id, "name": body["name"], "pluginDescriptorRef": {"id": descriptor_id}}
    if parent_id is not None:
        doc["parentRef"] = {"id": parent_id}
    doc.update({"configuration": config, "attributeContract": contract, "lastModified": ctx.timestamp()})
    return doc


def revalidate(kind: InstanceKind, model: ConfigModel, instance_id: str) -> list[usage.Broken]:
    """Every mapping and connection that references the instance (or a child inheriting from it)
    and no longer fits it."""
    if kind.processor:
        return usage.broken_references(model, processor_id=instance_id)
    found: list[usage.Broken] = []
    for gid in usage.affected_generators(model, instance_id):
        found += usage.broken_references(model, generator_id=gid)
    return found


def create(ctx: AdminContext, kind: InstanceKind, model: ConfigModel,
           body: dict[str, Any]) -> tuple[dict[str, Any], list[usage.Broken]]:
    doc = kind.collection.create(model, body, lambda b, errors, existing: _build(ctx, kind, model, b, errors, existing))
    return doc, revalidate(kind, model, doc["id"])


def update(ctx: AdminContext, kind: InstanceKind, model: ConfigModel, instance_id: str,
           body: dict[str, Any]) -> tuple[dict[str, Any], list[usage.Broken]]:
    doc = kind.collection.update(model, instance_id, body,
                                 lambda b, errors, existing: _build(ctx, kind, model, b, errors, existing))
    return doc, revalidate(kind, model, instance_id)


def delete(kind: InstanceKind, model: ConfigModel, instance_id: str) -> None:
    kind.collection.delete(model, instance_id, lambda model, instance_id: usage.in_use_errors(
        kind.users(model, instance_id)))


def listing(ctx: AdminContext, kind: InstanceKind, model: ConfigModel) -> dict[str, Any]:
    out: dict[str, Any] = {"items": [render(ctx, kind, model, d) for d in model.all(kind.kind)]}
    if usage.automatic_validation(model):
        broken = usage.broken_references(model)
        if broken:
            out["brokenReferences"] = [b.to_json(ctx.base_url) for b in broken]
    return out


def saved(ctx: AdminContext, kind: InstanceKind, model: ConfigModel, doc: dict[str, Any],
          broken: list[usage.Broken]) -> dict[str, Any]:
    out = render(ctx, kind, model, doc)
    if broken and usage.automatic_validation(model):
        out["brokenReferences"] = [b.to_json(ctx.base_url) for b in broken]
    return out

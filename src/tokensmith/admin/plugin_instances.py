"""The checks every plugin instance goes through, whatever its kind: its type, its parent, and its
configuration against the type's descriptor.

Access token managers, password credential validators, token generators and token processors are
all plugin instances; their admin services differ in what surrounds the configuration (selection
settings, attribute contracts, usage), not in how a type, a parent or a configuration is checked.
One implementation means one set of messages and field paths, and a rule fixed once is fixed for
every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tokensmith.admin.context import AdminContext, ref_id
from tokensmith.config.inheritance import ancestors, effective_configuration, mark_inherited, merge_for_child
from tokensmith.config.model import ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.plugins.configuration import NormalizedConfig, normalize
from tokensmith.plugins.descriptors import InstanceCheck, PluginDescriptor


@dataclass(frozen=True)
class InstanceRules:
    """One plugin kind as its admin service checks it."""

    kind: str  # the configuration model kind (ATM, PCV, TOKEN_GENERATOR, ...)
    label: str  # "access token manager"
    descriptor: Callable[[str], PluginDescriptor | None]  # descriptor id -> descriptor


def descriptor_of(rules: InstanceRules, body: dict[str, Any], existing: Mapping[str, Any] | None,
                  errors: ErrorCollector) -> tuple[str | None, PluginDescriptor | None]:
    """The submitted ``pluginDescriptorRef``: required, of an installed type, and unchanged on update."""
    descriptor_id = ref_id(body, "pluginDescriptorRef")
    descriptor = rules.descriptor(descriptor_id) if descriptor_id else None
    if descriptor_id is None:
        errors.add("pluginDescriptorRef.id", "pluginDescriptorRef is required", "required_field_missing")
    elif descriptor is None:
        errors.add("pluginDescriptorRef.id", f"'{descriptor_id}' is not a known {rules.label} type")
    elif existing is not None and existing["pluginDescriptorRef"]["id"] != descriptor_id:
        errors.add("pluginDescriptorRef.id", "The plugin type of an existing instance cannot change")
    return descriptor_id, descriptor


def parent_of(rules: InstanceRules, model: ConfigModel, body: dict[str, Any],
              descriptor: PluginDescriptor | None, errors: ErrorCollector) -> dict[str, Any] | None:
    """The submitted ``parentRef``'s stored document, when the type supports parents and the parent
    exists, is of the same type and is not the instance itself or one of its descendants."""
    if not body.get("parentRef"):
        return None
    if descriptor is not None and not descriptor.supports_parent:
        errors.add("parentRef", f"This {rules.label} type does not support parent instances")
        return None
    parent_id = ref_id(body, "parentRef")
    parent = model.get(rules.kind, parent_id) if parent_id else None
    my_id = body.get("id")
    if parent is None:
        errors.add("parentRef.id", f"The {rules.label} '{parent_id}' does not exist")
    elif descriptor is not None and parent["pluginDescriptorRef"]["id"] != descriptor.id:
        errors.add("parentRef.id", f"The {rules.label} '{parent_id}' is of another plugin type")
    elif parent_id == my_id or my_id in ancestors(model, parent, rules.kind):
        errors.add("parentRef.id", f"A {rules.label} cannot be its own ancestor")
    else:
        return parent
    return None


def configuration_of(ctx: AdminContext, rules: InstanceRules, model: ConfigModel, descriptor: PluginDescriptor,
                     instance_id: Any, raw: Any, parent: Mapping[str, Any] | None,
                     errors: ErrorCollector) -> NormalizedConfig:
    """The submitted configuration normalised against the descriptor (a child's merged over its
    parent's effective configuration first, each field and table marked inherited or its own), then
    checked by the descriptor's instance rules when it is otherwise valid."""
    if parent is None:
        config = normalize(descriptor, raw, errors, ctx.field_secrets)
    else:
        merged, own_fields, own_tables = merge_for_child(effective_configuration(model, parent, rules.kind), raw)
        normalized = normalize(descriptor, merged, errors, ctx.field_secrets)
        config = NormalizedConfig(mark_inherited(normalized.doc, own_fields, own_tables))
    if not errors:
        _instance_rules(ctx, model, descriptor, str(instance_id), config, errors)
    return config


def recheck(ctx: AdminContext, model: ConfigModel, descriptor: PluginDescriptor, instance_id: str,
            effective: Mapping[str, Any], errors: ErrorCollector) -> None:
    """Check a stored instance's effective configuration again (a child's, after its parent changed).
    The instance rules see it with its ``inherited`` flags, which tell them which values are the
    parent's (a Key ID a child inherits is not a second use of that Key ID)."""
    normalize(descriptor, effective, errors, ctx.field_secrets)
    if not errors:
        _instance_rules(ctx, model, descriptor, instance_id, NormalizedConfig(dict(effective)), errors)


def _instance_rules(ctx: AdminContext, model: ConfigModel, descriptor: PluginDescriptor, instance_id: str,
                    config: NormalizedConfig, errors: ErrorCollector) -> None:
    if descriptor.instance_rules:
        check = InstanceCheck(model, instance_id, config, ctx.box)
        for rule in descriptor.instance_rules:
            errors.errors.extend(rule(check))

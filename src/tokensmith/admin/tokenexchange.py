"""``/oauth/tokenExchange/processor/policies``, ``/oauth/tokenExchange/generator/groups`` and their
``settings`` singletons: PingFederate's token exchange model (see :mod:`tokensmith.sts.exchange_usage`
for every rule).

Policies and groups are named collections with the rules :class:`ConnectionKind` already applies
to connections (an id is required and well-formed, ``name`` is unique, nothing is stored unless every
rule holds). A policy's contract always holds the core attribute ``subject``; a GET answers
``validationErrors`` when a processor or generator it names no longer fits. Deleting a policy that
a client, a mapping or the settings name is refused (the 422 names each user), and so is deleting a
group that the settings name.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.connections import ConnectionKind
from tokensmith.admin.context import AdminContext, criteria_as_sent, ref_id
from tokensmith.config.model import CLIENT, MAPPING, SETTINGS, TX_GROUP, TX_POLICY, ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, ValidationFailed
from tokensmith.sts import exchange_usage as tx

POLICIES = ConnectionKind(TX_POLICY, "token exchange processor policy", unique="name", dated=False,
                          id_required=True)
GROUPS = ConnectionKind(TX_GROUP, "token exchange generator group", unique="name", dated=False, id_required=True)
Doc = dict[str, Any]


def _link_ref(ctx: AdminContext, ref: Any, path: str) -> Any:
    return ctx.link(path, ref["id"]) if isinstance(ref, dict) and "id" in ref else ref


def _with_problems(out: Doc, problems: list[FieldError]) -> Doc:
    if problems:
        out["validationErrors"] = [e.to_json() for e in problems]
    return out


# --------------------------------------------------------------------------- processor policies


def render_policy(ctx: AdminContext, model: ConfigModel, doc: Doc) -> Doc:
    out = dict(doc)
    out["processorMappings"] = [
        {**m, **{key: _link_ref(ctx, m[key], "/idp/tokenProcessors")
                 for key in ("subjectTokenProcessor", "actorTokenProcessor") if key in m}}
        for m in doc["processorMappings"]]
    return _with_problems(out, tx.policy_problems(model, doc))


def _fulfilment(body: Doc) -> Doc:
    return {name: {"source": {k: v for k, v in spec["source"].items() if v is not None},
                   "value": spec.get("value", "")}
            for name, spec in (body.get("attributeContractFulfillment") or {}).items()}


def _policy_mapping(mapping: Doc) -> Doc:
    out: Doc = {"subjectTokenType": mapping["subjectTokenType"],
                "subjectTokenProcessor": {"id": mapping["subjectTokenProcessor"]["id"]},
                "attributeSources": list(mapping.get("attributeSources") or []),
                "attributeContractFulfillment": _fulfilment(mapping),
                "issuanceCriteria": criteria_as_sent(mapping)}
    if mapping.get("actorTokenType") is not None:
        out["actorTokenType"] = mapping["actorTokenType"]
    if isinstance(mapping.get("actorTokenProcessor"), dict):
        out["actorTokenProcessor"] = {"id": mapping["actorTokenProcessor"]["id"]}
    return out


def _build_policy(model: ConfigModel, body: Doc, errors: ErrorCollector) -> Doc:
    extended = (body.get("attributeContract") or {}).get("extendedAttributes") or []
    doc: Doc = {"id": body["id"], "name": body.get("name", ""),
                "actorTokenRequired": bool(body.get("actorTokenRequired", False)),
                "attributeContract": {"coreAttributes": [{"name": tx.POLICY_CORE}],
                                      "extendedAttributes": [{"name": a["name"]} for a in extended]},
                "processorMappings": [_policy_mapping(m) for m in body.get("processorMappings") or []]}
    if not str(doc["name"]).strip():
        errors.add("name", "name is required", "required_field_missing")
    for error in tx.policy_problems(model, doc):
        errors.errors.append(error)
    return doc


def create_policy(ctx: AdminContext, model: ConfigModel, body: Doc) -> Doc:
    return POLICIES.create(ctx, model, body, _build_policy)


def update_policy(ctx: AdminContext, model: ConfigModel, policy_id: str, body: Doc) -> Doc:
    return POLICIES.update(ctx, model, policy_id, body, _build_policy)


def policy_users(model: ConfigModel, policy_id: str) -> list[FieldError]:
    found = [FieldError("", f"OAuth client '{c['clientId']}' names it in tokenExchangeProcessorPolicyRef",
                        "resource_in_use")
             for c in model.all(CLIENT) if ref_id(c, "tokenExchangeProcessorPolicyRef") == policy_id]
    found += [FieldError("", f"Access token mapping '{m['id']}' uses it as its context", "resource_in_use")
              for m in model.all(MAPPING) if m["context"].get("type") == "TOKEN_EXCHANGE_PROCESSOR_POLICY"
              and (m["context"].get("contextRef") or {}).get("id") == policy_id]
    found += [FieldError("", f"Processor policy to token generator mapping '{m['id']}' uses it", "resource_in_use")
              for m in tx.mappings_using(model, "sourceId", policy_id)]
    if tx.default_policy(model) == policy_id:
        found.append(FieldError("", "It is the default processor policy (/oauth/tokenExchange/processor/settings); "
                                "choose another default first", "resource_in_use"))
    return found


def delete_policy(model: ConfigModel, policy_id: str) -> None:
    POLICIES.get(model, policy_id)
    users = policy_users(model, policy_id)
    if users:
        raise ValidationFailed(users, f"Token exchange processor policy '{policy_id}' is in use and cannot be "
                                      "deleted.")
    POLICIES.delete(model, policy_id)


# --------------------------------------------------------------------------- generator groups


def render_group(ctx: AdminContext, model: ConfigModel, doc: Doc) -> Doc:
    out = dict(doc)
    out["generatorMappings"] = [{**m, "tokenGenerator": _link_ref(ctx, m["tokenGenerator"], "/sp/tokenGenerators")}
                                for m in doc["generatorMappings"]]
    return _with_problems(out, tx.group_problems(model, doc))


def _build_group(model: ConfigModel, body: Doc, errors: ErrorCollector) -> Doc:
    doc: Doc = {"id": body["id"], "name": body.get("name", ""),
                "resourceUris": list(body.get("resourceUris") or []),
                "generatorMappings": [{"requestedTokenType": m["requestedTokenType"],
                                       "tokenGenerator": {"id": m["tokenGenerator"]["id"]},
                                       "defaultMapping": bool(m.get("defaultMapping", False))}
                                      for m in body.get("generatorMappings") or []]}
    if not str(doc["name"]).strip():
        errors.add("name", "name is required", "required_field_missing")
    for error in tx.group_problems(model, doc):
        errors.errors.append(error)
    return doc


def create_group(ctx: AdminContext, model: ConfigModel, body: Doc) -> Doc:
    return GROUPS.create(ctx, model, body, _build_group)


def update_group(ctx: AdminContext, model: ConfigModel, group_id: str, body: Doc) -> Doc:
    return GROUPS.update(ctx, model, group_id, body, _build_group)


def delete_group(model: ConfigModel, group_id: str) -> None:
    GROUPS.get(model, group_id)
    if tx.default_group(model) == group_id:
        raise ValidationFailed([FieldError("", "It is the default generator group "
                                           "(/oauth/tokenExchange/generator/settings); choose another default first",
                                           "resource_in_use")],
                               f"Token exchange generator group '{group_id}' is in use and cannot be deleted.")
    GROUPS.delete(model, group_id)


# --------------------------------------------------------------------------- settings


def get_settings(ctx: AdminContext, model: ConfigModel, name: str) -> Doc:
    key, path = _SETTINGS[name]
    ref = (model.get(SETTINGS, name) or {}).get(key)
    return {key: ctx.link(path, ref["id"])} if isinstance(ref, dict) else {}


def put_settings(ctx: AdminContext, model: ConfigModel, name: str, body: Doc) -> Doc:
    key = _SETTINGS[name][0]
    kind = TX_POLICY if name == tx.PROCESSOR_SETTINGS else TX_GROUP
    ref = ref_id(body, key)
    if ref is not None and model.get(kind, ref) is None:
        what = "Token exchange processor policy" if kind == TX_POLICY else "Token exchange generator group"
        raise ValidationFailed([FieldError(f"{key}.id", f"{what} '{ref}' does not exist")])
    model.put(SETTINGS, name, {key: {"id": ref}} if ref is not None else {})
    return get_settings(ctx, model, name)


_SETTINGS = {tx.PROCESSOR_SETTINGS: ("defaultProcessorPolicyRef", tx.POLICIES_PATH),
             tx.GENERATOR_SETTINGS: ("defaultGeneratorGroupRef", tx.GROUPS_PATH)}

"""The token exchange forms (processor policies, generator groups) read back into the admin API's
bodies for :mod:`tokensmith.admin.tokenexchange`.

Inputs are named after the admin API field paths (``processorMappings[1].actorTokenProcessor.id``,
``generatorMappings[0].requestedTokenType``), so the service's ``validationErrors`` land next to
them. Each processor mapping carries ``_orig``, the index of the stored mapping it came from, so
members the page does not show (``expressionCriteria``) stay with their mapping when rows are
removed or reordered. Validation is the service's: this module only turns text into the body.
"""

from __future__ import annotations

import copy
from typing import Any

from tokensmith.sts import exchange_usage as tx
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_ID_TOKEN, TT_JWT, TT_SAML1, TT_SAML2
from tokensmith.web.console.forms import RowAction, checked, lines, row_indices
from tokensmith.web.console.fulfilment import parse_criteria, parse_fulfilment
from tokensmith.web.console.web import FormInput

Doc = dict[str, Any]
CONTRACT = "attributeContract.extendedAttributes"
MAPPINGS = "processorMappings"
GENERATORS = "generatorMappings"
GROUP_DEFAULT = "generatorMappings._default"  # form only: the index of the default generator mapping
FULFIL = "attributeContractFulfillment"
CRITERIA = "issuanceCriteria.conditionalCriteria"
# RFC 8693 section 3 token type URIs, as the forms label them.
TOKEN_TYPE_LABELS = {TT_ACCESS_TOKEN: "Access token", TT_JWT: "JWT", TT_ID_TOKEN: "ID token",
                     TT_SAML2: "SAML 2.0", TT_SAML1: "SAML 1.1",
                     "urn:ietf:params:oauth:token-type:refresh_token": "Refresh token"}
SUBJECT_TYPES = [(t, f"{TOKEN_TYPE_LABELS[t]} ({t})") for t in tx.SUBJECT_TOKEN_TYPES]
REQUESTED_TYPES = [(t, f"{label} ({t})") for t, label in TOKEN_TYPE_LABELS.items()]


def _form_id(form: FormInput, existing: Doc | None) -> str:
    return str(existing["id"]) if existing is not None else form.get("id").strip()


# --------------------------------------------------------------------------- processor policies


def blank_processor_mapping() -> Doc:
    return {"subjectTokenType": TT_JWT, "subjectTokenProcessor": {"id": ""}, FULFIL: {},
            "issuanceCriteria": {"conditionalCriteria": []}}


def new_policy() -> Doc:
    return {"id": "", "name": "", "actorTokenRequired": False,
            "attributeContract": {"coreAttributes": [{"name": tx.POLICY_CORE}], "extendedAttributes": []},
            MAPPINGS: [blank_processor_mapping()]}


def policy_attributes(draft: Doc) -> list[str]:
    """The policy contract the fulfilment tables fill: ``subject`` and every named extended attribute."""
    return [a for a in tx.policy_contract(draft) if a]


def ref_of(mapping: Doc, key: str) -> str:
    ref = mapping.get(key)
    return str(ref.get("id", "")) if isinstance(ref, dict) else ""


def _processor_mappings(form: FormInput, stored: list[Doc], action: RowAction | None) -> list[Doc]:
    mappings: list[Doc] = []
    for i in row_indices(form, MAPPINGS):
        base = f"{MAPPINGS}[{i}]"
        orig = form.get(base + "._orig")
        start = copy.deepcopy(stored[int(orig)]) if orig.isdigit() and int(orig) < len(stored) else {}
        criteria = dict(start.get("issuanceCriteria") or {})
        criteria["conditionalCriteria"] = parse_criteria(form, f"{base}.{CRITERIA}", action, "SUBJECT_TOKEN")
        start.update({"subjectTokenType": form.get(base + ".subjectTokenType").strip(),
                      "subjectTokenProcessor": {"id": form.get(base + ".subjectTokenProcessor.id").strip()},
                      FULFIL: parse_fulfilment(form, f"{base}.{FULFIL}"), "issuanceCriteria": criteria,
                      "attributeSources": start.get("attributeSources") or []})
        actor_type = form.get(base + ".actorTokenType").strip()
        actor = form.get(base + ".actorTokenProcessor.id").strip()
        start.pop("actorTokenType", None)
        start.pop("actorTokenProcessor", None)
        if actor_type:
            start["actorTokenType"] = actor_type
        if actor:
            start["actorTokenProcessor"] = {"id": actor}
        start["_orig"] = orig
        mappings.append(start)
    if action is not None:
        action.apply(MAPPINGS, mappings, blank_processor_mapping)
        return mappings  # a draft shown again: blank rows stay
    return [m for m in mappings if ref_of(m, "subjectTokenProcessor") or m.get("actorTokenType")
            or ref_of(m, "actorTokenProcessor")]


def parse_policy(form: FormInput, existing: Doc | None, action: RowAction | None) -> Doc:
    """The processor policy the form describes (``existing`` is the stored one when editing)."""
    contract: list[Doc] = [{"name": form.get(f"{CONTRACT}[{i}].name").strip()} for i in row_indices(form, CONTRACT)]
    if action is not None:
        action.apply(CONTRACT, contract, lambda: {"name": ""})
    else:  # saving: a row left empty is not an attribute
        contract = [c for c in contract if c["name"]]
    stored = list((existing or {}).get(MAPPINGS) or [])
    draft: Doc = {"id": _form_id(form, existing), "name": form.get("name").strip(),
                  "actorTokenRequired": checked(form, "actorTokenRequired"),
                  "attributeContract": {"coreAttributes": [{"name": tx.POLICY_CORE}],
                                        "extendedAttributes": contract},
                  MAPPINGS: _processor_mappings(form, stored, action)}
    # The fulfilment tables were drawn for the contract as it was; an attribute removed or renamed
    # since then is no longer the policy's, so its stale row is not sent.
    attributes = set(policy_attributes(draft))
    for mapping in draft[MAPPINGS]:
        mapping[FULFIL] = {k: v for k, v in mapping[FULFIL].items() if k in attributes}
    return draft


def policy_body(draft: Doc) -> Doc:
    """The body to send: the form's own bookkeeping (``_orig``) removed."""
    out = copy.deepcopy(draft)
    out[MAPPINGS] = [{k: v for k, v in m.items() if k != "_orig"} for m in out.get(MAPPINGS) or []]
    return out


# --------------------------------------------------------------------------- generator groups


def blank_generator_mapping() -> Doc:
    return {"requestedTokenType": TT_SAML2, "tokenGenerator": {"id": ""}, "defaultMapping": False}


def new_group() -> Doc:
    return {"id": "", "name": "", "resourceUris": [], GENERATORS: [{**blank_generator_mapping(),
                                                                   "defaultMapping": True}]}


def parse_group(form: FormInput, existing: Doc | None, action: RowAction | None) -> Doc:
    """The generator group the form describes. The radio button ``generatorMappings._default`` names
    the default mapping; a group with a single mapping has it as its default."""
    default = form.get(GROUP_DEFAULT)
    mappings: list[Doc] = [{"requestedTokenType": form.get(f"{GENERATORS}[{i}].requestedTokenType").strip(),
                 "tokenGenerator": {"id": form.get(f"{GENERATORS}[{i}].tokenGenerator.id").strip()},
                 "defaultMapping": default == str(i)} for i in row_indices(form, GENERATORS)]
    if action is not None:
        action.apply(GENERATORS, mappings, blank_generator_mapping)
    else:
        mappings = [m for m in mappings if m["tokenGenerator"]["id"]]
        if len(mappings) == 1:
            mappings[0]["defaultMapping"] = True
    return {"id": _form_id(form, existing), "name": form.get("name").strip(),
            "resourceUris": lines(form.get("resourceUris")), GENERATORS: mappings}

"""RFC 8693 token exchange through PingFederate's model: processor policies and generator groups.

1. The policy: the client's ``tokenExchangeProcessorPolicyRef``, else the default processor policy.
2. Its processor mapping for (``subject_token_type``, ``actor_token_type``); the subject (and actor)
   token is validated by that mapping's token processor, and the policy's contract (``subject`` and
   its extended attributes) is filled from ``SUBJECT_TOKEN``, ``ACTOR_TOKEN``, ``CONTEXT``, ``TEXT``.
3. What is issued: a ``resource`` that a generator group lists selects that group; else a
   ``resource`` an access token manager serves, or ``requested_token_type`` ``...:access_token`` /
   ``...:jwt``, means an access token; else the default generator group. A group issues with the
   generator mapped to ``requested_token_type`` (its default mapping when none is asked for), its
   contract filled by the processor-policy-to-generator mapping. An access token comes from the
   selected manager, filled by the access token mapping of the policy's context
   (``<policy>|<manager>``, else ``default|<manager>``); with an actor token it carries ``act``
   (RFC 8693 §4.1): ``{"sub": <actor>}``, the subject token's own ``act`` nested inside it.

Errors are RFC 8693 / RFC 6749 JSON: ``unsupported_token_type`` for a subject or actor token type
the policy does not take, ``invalid_target`` for a ``resource`` nothing serves, ``invalid_request``
for a token that does not validate or a request that cannot be served.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokensmith.atm.base import AccessTokenRequest
from tokensmith.atm.jwt.manager import JwtAtm
from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response, json_response
from tokensmith.mapping import CompiledMapping
from tokensmith.oauth import scopes as scope_rules
from tokensmith.oauth.exchange_config import Policy
from tokensmith.oauth.exchange_tokens import read_token, validate
from tokensmith.oauth.selection import select
from tokensmith.sts import mapping as sts_mapping
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_JWT, IssueRequest, TokenRefused
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

ACCESS_TOKEN_TYPES = (TT_ACCESS_TOKEN, TT_JWT)
POLICY_SOURCE = "TOKEN_EXCHANGE_PROCESSOR_POLICY"


@dataclass(frozen=True)
class ExchangeSources(sts_mapping.StsSources):
    """Sources of a token exchange: the subject token's and actor token's attributes and, once it is
    filled, the policy's contract (``TOKEN_EXCHANGE_PROCESSOR_POLICY``)."""

    actor: Mapping[str, Any]
    policy: Mapping[str, Any]

    def lookup(self, source_type: str, value: str) -> Any:
        if source_type == "SUBJECT_TOKEN":
            return self.token.get(value)
        if source_type == "ACTOR_TOKEN":
            return self.actor.get(value)
        if source_type == POLICY_SOURCE:
            return self.policy.get(value)
        return super().lookup(source_type, value)


def _fail_criteria(mapping: CompiledMapping, sources: ExchangeSources) -> None:
    failed = mapping.failed_criterion(sources)
    if failed is not None:
        raise invalid_request(failed.error_result or "Issuance criteria were not met")


def _act(actor: Mapping[str, Any], actor_subject: str, subject: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 8693 §4.1: the current actor, with the prior chain (the subject token's ``act``) inside."""
    act: dict[str, Any] = {"sub": actor_subject}
    issuer = actor.get("iss")
    if isinstance(issuer, str) and issuer:
        act["iss"] = issuer
    prior = subject.get("act")
    if isinstance(prior, str) and prior.startswith("{"):  # a JWT processor hands object claims over as JSON
        try:
            prior = json.loads(prior)
        except ValueError:
            prior = None
    if isinstance(prior, dict) and prior:
        act["act"] = prior
    return act


async def policy_exchange(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, policy: Policy,
                          form: dict[str, str], context: dict[str, Any], now: float) -> Response:
    subject_token, subject_type = form.get("subject_token"), form.get("subject_token_type")
    actor_token, actor_type = form.get("actor_token") or "", form.get("actor_token_type") or ""
    if not subject_token or not subject_type:
        raise invalid_request("subject_token and subject_token_type are required")
    if bool(actor_token) != bool(actor_type):
        raise invalid_request("actor_token and actor_token_type go together")
    if policy.actor_required and not actor_token:
        raise invalid_request(f"Processor policy '{policy.id}' requires an actor_token")
    if not policy.takes_subject(subject_type):
        raise OAuthError("unsupported_token_type", f"subject_token_type '{subject_type}' is not accepted by "
                         f"processor policy '{policy.id}'")
    chosen = policy.mapping_for(subject_type, actor_type)
    if chosen is None:
        raise OAuthError("unsupported_token_type", f"actor_token_type '{actor_type}' is not accepted with this "
                         f"subject_token_type by processor policy '{policy.id}'" if actor_type else
                         f"Processor policy '{policy.id}' needs an actor_token with this subject_token_type")
    resource, audience = form.get("resource") or "", form.get("audience") or ""
    requested = form.get("requested_token_type") or None
    subject = await validate(rt, snapshot, chosen.subject_processor, read_token(subject_token, subject_type), now,
                             "subject_token")
    actor = None
    if actor_token:
        actor = await validate(rt, snapshot, chosen.actor_processor, read_token(actor_token, actor_type), now,
                               "actor_token")
    context.update({"Resource": resource, "Audience": audience, "RequestedTokenType": requested or "",
                    "SubjectTokenType": subject_type, "ActorTokenType": actor_type, "Scope": form.get("scope", "")})
    sources = ExchangeSources(context, {}, {}, subject.attributes, actor.attributes if actor else {}, {})
    _fail_criteria(chosen.mapping, sources)
    filled = chosen.mapping.attributes(sources, dict.fromkeys(policy.contract, True))
    if not filled.get("subject"):
        raise invalid_request(f"Processor policy '{policy.id}' gives the exchange no subject")
    sources = ExchangeSources(context, {}, {}, subject.attributes, sources.actor, filled)

    group = snapshot.exchange.group_for_resource(resource) if resource else None
    wants_access_token = requested in ACCESS_TOKEN_TYPES or (
        resource and group is None and snapshot.atm_for_resource(resource) is not None)
    if resource and group is None and not wants_access_token:
        raise OAuthError("invalid_target", f"No generator group or access token manager serves resource '{resource}'")
    if group is None and not wants_access_token:
        default = snapshot.exchange.default_group
        group = snapshot.exchange.groups.get(default) if default else None
        if group is None:
            raise invalid_request("No generator group serves this request: set a default generator group, or ask "
                                  "for requested_token_type urn:ietf:params:oauth:token-type:access_token")
    generator_id = group.generator_for(requested) if group is not None else None
    if group is not None and generator_id is not None:
        return _generated(snapshot, policy, generator_id, sources, audience or resource, subject.authn, now)
    if not requested or requested not in ACCESS_TOKEN_TYPES:
        raise OAuthError("invalid_target" if resource else "invalid_request",
                         f"Generator group '{group.id if group else ''}' has no generator for requested_token_type "
                         f"'{requested}'")
    extra = {"act": _act(actor.attributes, actor.subject, subject.attributes)} if actor else {}
    return await _access_token(rt, snapshot, client, policy, form, sources, requested, extra, now)


def _generated(snapshot: Snapshot, policy: Policy, generator_id: str, sources: ExchangeSources, audience: str,
               authn: str, now: float) -> Response:
    generator = snapshot.sts.generators.get(generator_id)
    if generator is None or generator.runtime is None:
        raise invalid_request(f"Token generator '{generator_id}' is not available"
                              + (f": {generator.error}" if generator is not None and generator.error else ""))
    mapping = snapshot.exchange.generator_mappings.get((policy.id, generator_id))
    if mapping is None:
        raise invalid_request(f"No processor policy to token generator mapping from '{policy.id}' to "
                              f"'{generator_id}'")
    try:
        subject, attributes = sts_mapping.apply(mapping, generator.contract, sources, generator.subject_attribute)
        issued = generator.runtime.issue(IssueRequest(subject=subject, attributes=attributes, now=now,
                                                      audience=audience, authn=authn))
    except TokenRefused as error:
        raise invalid_request(error.message) from error
    compact = issued.extra.get("compact")
    value = compact if isinstance(compact, str) else \
        base64.urlsafe_b64encode(issued.value).rstrip(b"=").decode("ascii")
    return json_response({"access_token": value, "issued_token_type": issued.exchange_type, "token_type": "N_A",
                          "expires_in": max(0, int(issued.expires - now))})


async def _access_token(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, policy: Policy,
                        form: dict[str, str], sources: ExchangeSources, requested: str, extra: dict[str, Any],
                        now: float) -> Response:
    atm = select(form, client, snapshot)
    if requested == TT_JWT and not isinstance(atm, JwtAtm):
        raise invalid_request(f"requested_token_type jwt needs a JWT access token manager; '{atm.id}' issues "
                              "reference tokens")
    names = scope_rules.grant(form.get("scope"), client, snapshot.scopes)
    if atm.expand_scope_groups:
        names = scope_rules.expand(names, snapshot.scopes)
    sources = ExchangeSources({**sources.context, "OAuthScopes": names}, {}, {}, sources.token, sources.actor,
                              sources.policy)
    mapping = snapshot.mappings.get(f"{policy.id}|{atm.id}") or snapshot.mappings.get(f"default|{atm.id}")
    attributes: dict[str, Any] = {}
    if mapping is not None:
        _fail_criteria(mapping, sources)
        attributes = mapping.attributes(sources, atm.attributes)
    attributes.update(extra)
    token = await atm.issue(rt, AccessTokenRequest(client.client_id, tuple(names), attributes, now))
    payload: dict[str, Any] = {"access_token": token.value, "issued_token_type": requested, "token_type": "Bearer",
                               "expires_in": int(token.expires_at - now)}
    if names:
        payload["scope"] = " ".join(names)
    return json_response(payload)

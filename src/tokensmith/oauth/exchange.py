"""RFC 8693 token exchange at the token endpoint.

When the client names a token exchange processor policy, or a default processor policy is set,
PingFederate's model serves the request (:mod:`tokensmith.oauth.policy_exchange`). Otherwise, for
configurations made before processor policies existed, the token-to-token mappings serve it, as
described here, issuing through the STS's token generators.

The subject token is validated by a token processor and translated by a token-to-token mapping,
exactly as at ``/pf/sts.wst``: a JWT or JWT access token (``...:jwt``, ``...:access_token``) goes to
JWT processors, a SAML assertion (``...:saml2``/``...:saml1``, base64url-encoded per RFC 8693 §3)
to SAML processors. ``requested_token_type`` picks the generator type (``...:saml2``, ``...:saml1``
or an add-on's type such as ``...:jwt``); ``audience`` (or ``resource``) prefers the mapping whose
generator names that audience and becomes the token's audience when the generator has none.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from tokensmith.errors import OAuthError, invalid_request
from tokensmith.httpmsg import Response, json_response
from tokensmith.oauth.exchange_tokens import b64url
from tokensmith.oauth.policy_exchange import policy_exchange
from tokensmith.sts import mapping as sts_mapping
from tokensmith.sts import xml as x
from tokensmith.sts.compiled import StsRuntime, TokenMapping
from tokensmith.sts.managers import manager_check
from tokensmith.sts.processors.base import Incoming
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_JWT, TT_SAML1, TT_SAML2, IssueRequest, TokenRefused
from tokensmith.worker import Runtime

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import RuntimeClient, Snapshot

GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SUBJECT_KINDS = {TT_JWT: "jwt", TT_ACCESS_TOKEN: "jwt", TT_SAML2: "saml2", TT_SAML1: "saml1"}


def _incoming(subject_token: str, subject_type: str) -> Incoming:
    kind = SUBJECT_KINDS.get(subject_type)
    if kind is None:
        raise invalid_request(f"subject_token_type '{subject_type}' is not supported; use one of "
                              + ", ".join(SUBJECT_KINDS))
    if kind == "jwt":
        return Incoming("jwt", value=subject_token)
    try:
        element = x.parse(b64url(subject_token))
    except x.XmlRefused as exc:
        raise invalid_request(f"The SAML subject_token is refused: {exc}") from exc
    expected = x.SAML2 if kind == "saml2" else x.SAML1
    if element.tag != x.q(expected, "Assertion"):
        raise invalid_request("The subject_token is not a SAML assertion of the given type")
    return Incoming(kind, element=element)


def _candidates(sts: StsRuntime, kind: str, requested: str | None, audience: str) -> list[TokenMapping]:
    found = []
    for m in sts.mappings:
        processor, generator = sts.processors.get(m.processor), sts.generators.get(m.generator)
        if processor is None or processor.runtime is None or generator is None or generator.runtime is None:
            continue
        if kind not in processor.runtime.kinds:
            continue
        if requested is not None and generator.type.exchange_type != requested:
            continue
        found.append(m)
    if requested is None:  # prefer SAML 2.0, then whatever is mapped
        found.sort(key=lambda m: sts.generators[m.generator].type.exchange_type != TT_SAML2)
    if audience:
        preferred = [m for m in found if getattr(sts.generators[m.generator].runtime, "audience", "") == audience
                     or m.default_target == audience]
        found = preferred or found
    return found


async def token_exchange(rt: Runtime, snapshot: Snapshot, client: RuntimeClient, form: dict[str, str],
                         context: dict[str, Any], now: float) -> Response:
    policy = snapshot.exchange.policy_for(client.client_id)
    if policy is not None:  # PingFederate's model: processor policies, generator groups, access tokens out
        return await policy_exchange(rt, snapshot, client, policy, form, context, now)
    subject_token, subject_type = form.get("subject_token"), form.get("subject_token_type")
    if not subject_token or not subject_type:
        raise invalid_request("subject_token and subject_token_type are required")
    if form.get("actor_token") and not form.get("actor_token_type"):
        raise invalid_request("actor_token_type is required with actor_token")
    requested = form.get("requested_token_type") or None
    audience = form.get("audience") or form.get("resource") or ""
    token = _incoming(subject_token, subject_type)
    sts = snapshot.sts
    candidates = _candidates(sts, token.kind, requested, audience)
    if not candidates:
        raise OAuthError("invalid_target" if audience else "invalid_request",
                         "No token processor to token generator mapping handles this subject_token_type"
                         + (f" and requested_token_type '{requested}'" if requested else ""))
    identity = None
    chosen = candidates[0]
    manager = manager_check(rt, snapshot)
    reason = "The subject_token is not valid"
    for m in candidates:
        runtime = sts.processors[m.processor].runtime
        assert runtime is not None
        try:
            identity = await runtime.process(token, now, manager)
        except TokenRefused as error:
            reason = f"The subject_token is not valid: {error.message}"
            continue
        chosen = m
        break
    if identity is None:
        raise invalid_request(reason)
    generator = sts.generators[chosen.generator]
    assert generator.runtime is not None
    sources = sts_mapping.sources(identity.attributes, {
        "ClientId": client.client_id, "ClientIp": context.get("ClientIp", ""), "TargetResource": audience,
        "AuthenticatingAuthority": identity.issuer})
    try:
        subject, attributes = sts_mapping.apply(chosen.compiled, generator.contract, sources,
                                                generator.subject_attribute)
        issued = generator.runtime.issue(IssueRequest(subject=subject, attributes=attributes, now=now,
                                                      audience=audience, authn=identity.authn))
    except TokenRefused as error:
        raise OAuthError("invalid_request", error.message) from error
    compact = issued.extra.get("compact")
    value = compact if isinstance(compact, str) else \
        base64.urlsafe_b64encode(issued.value).rstrip(b"=").decode("ascii")
    return json_response({"access_token": value, "issued_token_type": issued.exchange_type, "token_type": "N_A",
                          "expires_in": max(0, int(issued.expires - now))})

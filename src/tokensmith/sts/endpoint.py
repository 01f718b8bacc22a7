"""The WS-Trust endpoints.

* ``/pf/sts.wst`` (and ``/idp/sts.wst``): token translation. The presented token is validated by a
  token processor and a token-to-token mapping fills a generator's contract. ``TokenProcessorId``
  and ``TokenGeneratorId`` query parameters pick among several; otherwise the token's kind, the
  requested TokenType and AppliesTo (against each generator's Audience and each mapping's
  defaultTargetResource) select the mapping.
  An RST whose AppliesTo is one of an SP connection's ``partnerServiceIds`` is answered by that
  connection instead (:mod:`tokensmith.sts.spconnections`).
* ``/sp/sts.wst``: a SAML token from a partner IdP. Its Issuer selects the IdP connection, whose
  pinned certificates verify it; Issue (or Validate with a generator TokenType) issues a local token
  through the connection's token generator mappings.

Every bad request gets a WS-Trust SOAP fault, never a bare 500.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from lxml import etree

from tokensmith.errors import StsFault
from tokensmith.httpmsg import Request, Response, basic_credentials
from tokensmith.state.throttle import Attempt, Throttled
from tokensmith.sts import mapping as sts_mapping
from tokensmith.sts import soap, spconnections, wstrust
from tokensmith.sts import xml as x
from tokensmith.sts.compiled import Connection, GeneratorEntry, StsRuntime, TokenMapping
from tokensmith.sts.managers import manager_check
from tokensmith.sts.processors.base import Incoming, ManagerCheck, PasswordGuard
from tokensmith.sts.saml import verify
from tokensmith.sts.tokens import Identity, IssuedToken, IssueRequest, TokenRefused
from tokensmith.sts.xml import SAML1, SAML2, XmlRefused, child, q, text
from tokensmith.worker import Runtime

log = logging.getLogger("tokensmith.sts")
XML_TYPES = ("text/xml", "application/soap+xml", "application/xml")


# Made per request: slots and no frozen=True, whose generated __init__ costs 2-3x as much; never changed.
@dataclass(slots=True)
class Call:
    """What the endpoint knows about one request besides its RST."""

    client_ip: str
    basic_user: str
    processor_id: str
    generator_id: str
    guard: PasswordGuard | None = None  # throttles UsernameToken password guessing


async def _basic_user(sts: StsRuntime, request: Request, rt: Runtime) -> str:
    """The STS's HTTP Basic user, when the WS-Trust settings require one. Its password is a guessed
    secret like a UsernameToken password, so it is throttled on the same "sts" keys (one count per
    STS username at an address; ``tokensmith admin unlock --sts-user`` clears both)."""
    header = request.headers.get("authorization", "")
    if not sts.basic_auth:
        return ""
    fault = StsFault("FailedAuthentication", "HTTP Basic authentication is required", 401,
                     headers={"www-authenticate": 'Basic realm="sts"'})
    credentials = basic_credentials(header)
    if credentials is None:
        raise fault
    user, password = credentials
    attempt = await rt.throttle.begin("sts", user, request.client_ip) if rt.throttle is not None else None
    expected = sts.users.get(user)
    if expected is None or not hmac.compare_digest(rt.box.digest(password), expected):
        if attempt is not None:
            await attempt.failed()
        raise fault
    if attempt is not None:
        await attempt.succeeded()
    return user


def _guard(rt: Runtime, address: str) -> PasswordGuard | None:
    throttle = rt.throttle
    if throttle is None:
        return None

    async def guard(username: str, limit: int) -> Attempt:
        return await throttle.begin("sts", username, address, limit)

    return guard


def _refused(error: TokenRefused) -> StsFault:
    return StsFault(error.code, error.message, malformed=error.malformed)


async def sts_endpoint(rt: Runtime, request: Request, role: str) -> Response:
    soap_ns, trust_ns, relates = x.SOAP11, x.WST13, ""
    try:
        if request.method != "POST":
            raise StsFault("InvalidRequest", "The STS accepts only POST", 405, headers={"allow": "POST"})
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in XML_TYPES:
            raise StsFault("InvalidRequest", "The body must be a SOAP envelope (text/xml or application/soap+xml)",
                           415)
        try:
            root = x.parse(request.body)
        except XmlRefused as exc:
            raise StsFault("InvalidRequest", f"The request is refused: {exc}", malformed="xml") from exc
        env = soap.read(root)
        soap_ns, relates = env.soap, env.message_id
        now = rt.clock.now()
        snapshot = rt.snapshot()
        sts = snapshot.sts
        user = await _basic_user(sts, request, rt)
        rst = wstrust.parse(env, now)
        trust_ns = rst.trust
        params = parse_qs(request.query) if request.query else {}
        call = Call(request.client_ip, user, (params.get("TokenProcessorId") or [""])[0],
                    (params.get("TokenGeneratorId") or [""])[0], _guard(rt, request.client_ip))
        if role == "sp":
            payload = await _sp(sts, env, rst, call, now)
        else:
            payload = await _translate(sts, env, rst, call, now, manager_check(rt, snapshot))
        return soap.response(env.soap, payload)
    except StsFault as fault:
        rt.count_malformed(fault.malformed)
        return soap.fault_response(fault, soap_ns, trust_ns, relates)
    except TokenRefused as error:
        rt.count_malformed(error.malformed)
        return soap.fault_response(_refused(error), soap_ns, trust_ns, relates)
    except Throttled as locked:  # the password was not checked
        throttled = StsFault("FailedAuthentication", "Too many failed attempts; try again later", 429,
                             headers={"retry-after": str(locked.retry_after)})
        return soap.fault_response(throttled, soap_ns, trust_ns, relates)
    except etree.LxmlError as exc:  # malformed XML in some token position: the sender's fault, not ours
        rt.count_malformed("xml")
        bad = StsFault("InvalidRequest", f"The request holds malformed XML: {exc}")
        return soap.fault_response(bad, soap_ns, trust_ns, relates)
    except Exception:  # never a bare error page: log it and answer with a SOAP fault
        log.exception("unexpected error on %s", request.path)
        failed = StsFault("RequestFailed", "The STS could not complete the request", sender=False)
        return soap.fault_response(failed, soap_ns, trust_ns, relates)


# --------------------------------------------------------------------------- issuing


def _generator(sts: StsRuntime, generator_id: str) -> GeneratorEntry:
    entry = sts.generators.get(generator_id)
    if entry is None or entry.runtime is None:
        why = entry.error if entry is not None else "it does not exist"
        raise StsFault("RequestFailed", f"Token generator '{generator_id}' cannot issue tokens: {why}", sender=False)
    return entry


def _token_type_ok(entry: GeneratorEntry, token_type: str) -> bool:
    return not token_type or token_type in entry.type.token_types


def _issue(entry: GeneratorEntry, rst: wstrust.Rst, subject: str, attributes: dict[str, list[str]],
           identity: Identity, now: float, env: soap.Envelope) -> bytes:
    assert entry.runtime is not None
    if not _token_type_ok(entry, rst.token_type):
        raise StsFault("InvalidRequest", f"Token generator '{entry.id}' does not issue TokenType '{rst.token_type}'")
    key_type = rst.key_type
    if key_type is None:
        key_type = getattr(entry.runtime, "default_key_type", None)
    proof, proof_key = wstrust.proof_for(rst, key_type)
    issued: IssuedToken = entry.runtime.issue(IssueRequest(
        subject=subject, attributes=attributes, now=now, audience=rst.applies_to, key_type=key_type,
        proof=proof_key, authn=identity.authn))
    return wstrust.issue_response(env, rst, issued, rst.token_type or issued.token_type, key_type, proof)


def _context(call: Call, rst: wstrust.Rst, identity: Identity) -> dict[str, str]:
    return {"ClientIp": call.client_ip, "StsBasicAuthUsername": call.basic_user, "TargetResource": rst.applies_to,
            "AuthenticatingAuthority": identity.issuer}


def _audience_matches(entry: GeneratorEntry, mapping: TokenMapping, applies_to: str) -> bool:
    audience = getattr(entry.runtime, "audience", "") or ""
    target = mapping.default_target
    return (bool(audience) and applies_to.startswith(audience)) or (bool(target) and applies_to.startswith(target))


def _candidates(sts: StsRuntime, rst: wstrust.Rst, call: Call, token: Incoming) -> list[TokenMapping]:
    found = []
    for m in sts.mappings:
        processor = sts.processors.get(m.processor)
        generator = sts.generators.get(m.generator)
        if processor is None or generator is None or processor.runtime is None:
            continue
        if call.processor_id and m.processor != call.processor_id:
            continue
        if call.generator_id and m.generator != call.generator_id:
            continue
        if token.kind not in processor.runtime.kinds or not _token_type_ok(generator, rst.token_type):
            continue
        found.append(m)
    if rst.applies_to and len(found) > 1:
        preferred = [m for m in found if _audience_matches(sts.generators[m.generator], m, rst.applies_to)]
        found = preferred or found
    return found


async def _translate(sts: StsRuntime, env: soap.Envelope, rst: wstrust.Rst, call: Call, now: float,
                     manager: ManagerCheck) -> bytes:
    connection = sts.sp_connections.get(rst.applies_to) if rst.request_type != wstrust.VALIDATE else None
    if connection is not None:  # an SP connection naming the AppliesTo wins over token-to-token mappings
        processors = {p.id: p.runtime for p in sts.processors.values()}
        return await spconnections.issue(connection, processors, env, rst, now, manager,
                                         lambda identity: _context(call, rst, identity), call.guard)
    token = rst.token
    if token is None:
        raise StsFault("InvalidRequest", "The request presents no token (wsse:Security, OnBehalfOf or "
                                         "ValidateTarget)")
    if rst.request_type == wstrust.VALIDATE:
        return await _validate(sts, env, rst, call, token, now, manager)
    candidates = _candidates(sts, rst, call, token)
    if not candidates:
        unknown = (f"No SP connection has partner service id '{rst.applies_to}', and no "
                   if sts.sp_connections and not sts.mappings else "No ")
        raise StsFault("InvalidRequest", unknown + "token processor to token generator mapping accepts this token"
                       + (f" for TokenType '{rst.token_type}'" if rst.token_type else ""))
    identity, chosen = await _process(sts, token, candidates, now, manager, call.guard)
    generator = _generator(sts, chosen.generator)
    subject, attributes = sts_mapping.apply(chosen.compiled, generator.contract,
                                            sts_mapping.sources(identity.attributes, _context(call, rst, identity)),
                                            generator.subject_attribute)
    return _issue(generator, rst, subject, attributes, identity, now, env)


async def _process(sts: StsRuntime, token: Incoming, candidates: list[TokenMapping], now: float,
                   manager: ManagerCheck, guard: PasswordGuard | None) -> tuple[Identity, TokenMapping]:
    tried: set[str] = set()
    last: TokenRefused | None = None
    for m in candidates:
        if m.processor in tried:
            continue
        tried.add(m.processor)
        runtime = sts.processors[m.processor].runtime
        assert runtime is not None
        try:
            return await runtime.process(token, now, manager, guard), m
        except TokenRefused as error:
            last = error
    assert last is not None
    raise _refused(last)


async def _validate(sts: StsRuntime, env: soap.Envelope, rst: wstrust.Rst, call: Call, token: Incoming,
                    now: float, manager: ManagerCheck) -> bytes:
    processors = [p for p in sts.processors.values() if p.runtime is not None and token.kind in p.runtime.kinds
                  and (not call.processor_id or p.id == call.processor_id)]
    if not processors:
        raise StsFault("InvalidRequest", "No token processor accepts this kind of token")
    reason = ""
    for p in processors:
        assert p.runtime is not None
        try:
            await p.runtime.process(token, now, manager, call.guard)
            return wstrust.validate_response(env, rst, True, "")
        except TokenRefused as error:
            reason = error.message
    return wstrust.validate_response(env, rst, False, reason)


# --------------------------------------------------------------------------- SP-side STS


def _connection(sts: StsRuntime, token: Incoming) -> Connection:
    if token.kind not in ("saml2", "saml1") or token.element is None:
        raise StsFault("InvalidSecurityToken", "The SP STS accepts SAML 2.0 and SAML 1.1 assertions")
    element = token.element
    issuer = text(child(element, q(SAML2, "Issuer"))) if element.tag == q(SAML2, "Assertion") else \
        element.get("Issuer", "") if element.tag == q(SAML1, "Assertion") else ""
    connection = sts.connections.get(issuer)
    if connection is None:
        raise StsFault("InvalidSecurityToken", f"No IdP connection has the token's issuer '{issuer}'")
    if not connection.active:
        raise StsFault("InvalidSecurityToken", f"IdP connection '{connection.id}' is not active")
    return connection


def _connection_identity(sts: StsRuntime, connection: Connection, token: Incoming, now: float) -> Identity:
    assert token.element is not None
    signed = verify.verified(token.element, connection.trust, now)
    identity = verify.read(signed, sts.identifiers, now)
    if identity.issuer != connection.entity_id:
        raise StsFault("InvalidSecurityToken", "The signed issuer does not match the connection")
    attributes = dict(identity.attributes)
    attributes["TOKEN_SUBJECT"] = identity.subject
    return Identity(identity.subject, attributes, identity.authn, identity.issuer)


async def _sp(sts: StsRuntime, env: soap.Envelope, rst: wstrust.Rst, call: Call, now: float) -> bytes:
    token = rst.token
    if token is None:
        raise StsFault("InvalidRequest", "The request presents no SAML token")
    connection = _connection(sts, token)
    if rst.request_type == wstrust.VALIDATE and (not rst.token_type or rst.token_type.endswith("/RSTR/Status")):
        try:
            _connection_identity(sts, connection, token, now)
        except TokenRefused as error:
            return wstrust.validate_response(env, rst, False, error.message)
        return wstrust.validate_response(env, rst, True, "")
    identity = _connection_identity(sts, connection, token, now)
    if not connection.generate_local or not connection.mappings:
        raise StsFault("InvalidRequest", f"IdP connection '{connection.id}' does not issue local tokens")
    choices = [m for m in connection.mappings
               if (not call.generator_id or m.generator == call.generator_id)
               and _token_type_ok(_generator(sts, m.generator), rst.token_type)]
    if not choices:
        raise StsFault("InvalidRequest", "No token generator of this connection issues the requested token")
    chosen = next((m for m in choices if m.default), choices[0])
    generator = _generator(sts, chosen.generator)
    subject, attributes = sts_mapping.apply(chosen.compiled, generator.contract,
                                            sts_mapping.sources(identity.attributes, _context(call, rst, identity)),
                                            generator.subject_attribute)
    if rst.request_type == wstrust.VALIDATE:
        assert generator.runtime is not None
        issued = generator.runtime.issue(IssueRequest(subject=subject, attributes=attributes, now=now,
                                                      audience=rst.applies_to, key_type=rst.key_type))
        return wstrust.validate_response(env, rst, True, "", issued, rst.token_type)
    return _issue(generator, rst, subject, attributes, identity, now, env)

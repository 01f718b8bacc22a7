"""SP connections compiled for the IdP-side STS, and how one serves an Issue request.

At ``/idp/sts.wst`` (and ``/pf/sts.wst``) an RST whose AppliesTo is exactly one of an SP
connection's ``partnerServiceIds`` is answered by that connection, whatever token-to-token
mappings exist; other requests keep the token-to-token path. The connection's processor mappings
are tried in order: the first whose processor accepts the presented token and whose issuance
criteria hold fills the contract. The token is written by the bundled SAML generator
(:class:`~tokensmith.sts.generators.saml.SamlGenerator`, built here from the connection's
lifetime and signing settings) through its public ``issue``; a SAML 2.0 assertion is then
encrypted for the partner when the connection says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509

from tokensmith.config.model import SP_CONNECTION, ConfigModel
from tokensmith.errors import StsFault
from tokensmith.keys.ring import KeyRing
from tokensmith.mapping import CompiledMapping
from tokensmith.sts import encryption, soap, wstrust
from tokensmith.sts import mapping as sts_mapping
from tokensmith.sts import spsettings as sp
from tokensmith.sts.certs import certificate_from_text
from tokensmith.sts.generators.saml import SamlGenerator
from tokensmith.sts.processors.base import Incoming, ManagerCheck, PasswordGuard, RuntimeProcessor
from tokensmith.sts.saml import assertion as saml
from tokensmith.sts.saml import keyinfo
from tokensmith.sts.saml.signing import AssertionSigner
from tokensmith.sts.tokens import (
    BEARER,
    PUBLIC_KEY,
    SAML2_TOKEN_TYPES,
    SAML11_TOKEN_TYPES,
    SYMMETRIC_KEY,
    Identity,
    IssueRequest,
    TokenRefused,
)
from tokensmith.sts.usage import TOKEN_SUBJECT

log = logging.getLogger("tokensmith.sts")
Processors = Mapping[str, RuntimeProcessor | None]
ContextOf = Callable[[Identity], Mapping[str, str]]


@dataclass(frozen=True)
class ProcessorMapping:
    processor: str
    compiled: CompiledMapping


@dataclass(frozen=True)
class CompiledSpConnection:
    id: str
    active: bool
    default_type: str  # spsettings.SAML20 / SAML11 / SAML11_O365
    generate_key: bool
    mappings: tuple[ProcessorMapping, ...]
    contract: tuple[str, ...]  # TOKEN_SUBJECT first, then the extended attributes
    saml1_names: Mapping[str, str]  # extended attribute -> "<namespace>/<name>" for the SAML 1.1 writer
    saml2: SamlGenerator | None = None
    saml1: SamlGenerator | None = None
    encryptor: encryption.Encryptor | None = None  # SAML 2.0 assertions are encrypted with it
    error: str = ""  # why it cannot issue (a key pair that cannot be loaded...)


# --------------------------------------------------------------------------- compile


def _saml1_names(doc: Mapping[str, Any]) -> dict[str, str]:
    names = {}
    for attr in (sp.ws_trust(doc).get("attributeContract") or {}).get("extendedAttributes") or []:
        name, namespace = attr["name"], attr.get("namespace")
        if not namespace and "://" in name:  # a URI name: the writer splits it into namespace and name
            names[name] = name
            continue
        names[name] = f"{(namespace or sp.O365_NAMESPACE).rstrip('/')}/{name}"
    return names


def _generators(doc: Mapping[str, Any], keys: KeyRing, issuers: Mapping[str, str], cert: x509.Certificate | None,
                ) -> tuple[SamlGenerator | None, SamlGenerator | None]:
    settings = doc["credentials"]["signingSettings"]
    key = keys.signing_key(settings["signingKeyPairRef"]["id"])
    info = keyinfo.signature_key_info(key.certificate, key.chain, bool(settings.get("includeCertInSignature")),
                                      bool(settings.get("includeRawKeyInSignature")))
    algorithm = sp.SIGNING_ALGORITHMS[sp.signing_algorithm(doc, key.key_type)]
    before, after = sp.minutes(doc)
    ws = sp.ws_trust(doc)
    method = saml.HOLDER_OF_KEY if ws.get("generateKey") else saml.BEARER
    out: list[SamlGenerator | None] = []
    for version, issuer_key in ((saml.SAML20, "saml2"), (saml.SAML11, "saml1")):
        issuer = issuers.get(issuer_key, "")
        out.append(SamlGenerator(
            id=f"spConnection:{doc['id']}", version=version, issuer=issuer, audience="", method=method,
            before=before, after=after, signer=AssertionSigner(key, algorithm, info), encryption_certificate=cert)
            if issuer else None)
    return out[0], out[1]


def compile_one(doc: Mapping[str, Any], keys: KeyRing, issuers: Mapping[str, str]) -> CompiledSpConnection:
    ws = sp.ws_trust(doc)
    mappings = tuple(ProcessorMapping(m["idpTokenProcessorRef"]["id"],
                                      CompiledMapping.from_doc({"id": doc["id"], **m}))
                     for m in ws.get("tokenProcessorMappings") or [])
    extended = tuple(a["name"] for a in (ws.get("attributeContract") or {}).get("extendedAttributes") or [])
    base = CompiledSpConnection(
        id=doc["id"], active=bool(doc.get("active")), default_type=sp.token_type(doc),
        generate_key=bool(ws.get("generateKey")), mappings=mappings, contract=(TOKEN_SUBJECT, *extended),
        saml1_names=_saml1_names(doc))
    try:
        cert_doc = sp.encryption_cert(doc)  # the partner's encryption certificate, parsed once for both uses
        cert = certificate_from_text(cert_doc["x509File"]["fileData"]) if cert_doc else None
        saml2, saml1 = _generators(doc, keys, issuers, cert)
        encryptor = None
        if ws.get("encryptSaml2Assertion") and cert is not None:
            creds = doc["credentials"]
            encryptor = encryption.Encryptor(
                cert, creds.get("blockEncryptionAlgorithm") or sp.DEFAULT_BLOCK_ALGORITHM,
                creds.get("keyTransportAlgorithm") or sp.DEFAULT_KEY_TRANSPORT)
    except Exception as exc:  # one broken connection must not take the snapshot (and the node) down
        log.error("SP connection %r cannot issue tokens: %s", doc["id"], exc)
        return replace(base, error=str(exc) or type(exc).__name__)
    return replace(base, saml2=saml2, saml1=saml1, encryptor=encryptor)


def compile_all(model: ConfigModel, keys: KeyRing, issuers: Mapping[str, str]) -> dict[str, CompiledSpConnection]:
    """Every SP connection by each of its partner service ids."""
    out: dict[str, CompiledSpConnection] = {}
    for doc in model.all(SP_CONNECTION):
        compiled = compile_one(doc, keys, issuers)
        for service in sp.ws_trust(doc).get("partnerServiceIds") or []:
            out[service] = compiled
    return out


# --------------------------------------------------------------------------- issue


def _flavour(connection: CompiledSpConnection, requested: str) -> str:
    if not requested:
        return connection.default_type
    if requested in SAML2_TOKEN_TYPES:
        return sp.SAML20
    if requested in SAML11_TOKEN_TYPES:
        return sp.SAML11_O365 if connection.default_type == sp.SAML11_O365 else sp.SAML11
    raise StsFault("InvalidRequest", f"SP connection '{connection.id}' does not issue TokenType '{requested}'; "
                                     "it issues SAML 2.0 and SAML 1.1 assertions")


async def _identity(connection: CompiledSpConnection, processors: Processors, token: Incoming, now: float,
                    manager: ManagerCheck, context: ContextOf,
                    guard: PasswordGuard | None) -> tuple[Identity, ProcessorMapping]:
    """The first mapping whose processor accepts the token and whose issuance criteria hold."""
    seen: dict[str, Identity | TokenRefused] = {}
    last: TokenRefused | None = None
    for m in connection.mappings:
        runtime = processors.get(m.processor)
        if runtime is None or token.kind not in runtime.kinds:
            continue
        if m.processor not in seen:
            try:
                seen[m.processor] = await runtime.process(token, now, manager, guard)
            except TokenRefused as error:
                seen[m.processor] = error
        outcome = seen[m.processor]
        if isinstance(outcome, TokenRefused):
            last = outcome
            continue
        failed = m.compiled.failed_criterion(sts_mapping.sources(outcome.attributes, context(outcome)))
        if failed is not None:
            last = TokenRefused(failed.error_result or f"Issuance criteria of SP connection '{connection.id}' "
                                "were not met", "RequestFailed")
            continue
        return outcome, m
    if last is None:
        raise StsFault("InvalidSecurityToken", f"No token processor of SP connection '{connection.id}' accepts "
                                               "this kind of token")
    raise StsFault(last.code, last.message)


def _key_type(connection: CompiledSpConnection, requested: str | None) -> str:
    if connection.generate_key:
        return PUBLIC_KEY if requested == PUBLIC_KEY else SYMMETRIC_KEY
    if requested == SYMMETRIC_KEY:
        raise StsFault("InvalidRequest", f"SP connection '{connection.id}' does not generate proof keys; ask for "
                                         "a Bearer or PublicKey token")
    return requested or BEARER


async def issue(connection: CompiledSpConnection, processors: Processors, env: soap.Envelope, rst: wstrust.Rst,
                now: float, manager: ManagerCheck, context: ContextOf, guard: PasswordGuard | None = None) -> bytes:
    """The RSTR for an Issue request whose AppliesTo names ``connection``."""
    if not connection.active:
        raise StsFault("InvalidRequest", f"SP connection '{connection.id}' for '{rst.applies_to}' is not active")
    flavour = _flavour(connection, rst.token_type)
    if connection.error:
        raise StsFault("RequestFailed", f"SP connection '{connection.id}' cannot issue tokens: {connection.error}",
                       sender=False)
    generator = connection.saml2 if flavour == sp.SAML20 else connection.saml1
    if generator is None:
        which = "saml2EntityId" if flavour == sp.SAML20 else "saml1xIssuerId or saml2EntityId"
        raise StsFault("RequestFailed", f"No issuer for the token: set federationInfo.{which} in /serverSettings",
                       sender=False)
    if rst.token is None:
        raise StsFault("InvalidRequest", "The request presents no token (wsse:Security or OnBehalfOf)")
    identity, chosen = await _identity(connection, processors, rst.token, now, manager, context, guard)
    subject, attributes = sts_mapping.apply(chosen.compiled, connection.contract,
                                            sts_mapping.sources(identity.attributes, context(identity)),
                                            TOKEN_SUBJECT)
    if flavour != sp.SAML20:
        attributes = {connection.saml1_names.get(k, k): v for k, v in attributes.items()}
    key_type = _key_type(connection, rst.key_type)
    proof, proof_key = wstrust.proof_for(rst, key_type)
    issued = generator.issue(IssueRequest(subject=subject, attributes=attributes, now=now, audience=rst.applies_to,
                                          key_type=key_type, proof=proof_key, authn=identity.authn))
    if flavour == sp.SAML20 and connection.encryptor is not None:
        issued = connection.encryptor.encrypt_token(issued)
    return wstrust.issue_response(env, rst, issued, rst.token_type or issued.token_type, key_type, proof)

"""The STS part of the runtime snapshot: compiled generators, processors, mappings and
connections, built once per configuration version (see :mod:`tokensmith.assembly.snapshot`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from tokensmith.config.inheritance import effective_configuration
from tokensmith.config.model import (
    IDP_CONNECTION,
    SETTINGS,
    T2T_MAPPING,
    TOKEN_GENERATOR,
    TOKEN_PROCESSOR,
    TRUSTED_CA,
    ConfigModel,
)
from tokensmith.keys.ring import KeyRing
from tokensmith.mapping import CompiledMapping
from tokensmith.sts import instances, spconnections
from tokensmith.sts.certs import certificate_from_text
from tokensmith.sts.generators.base import CompileInput as GeneratorInput
from tokensmith.sts.generators.base import GeneratorType, RuntimeGenerator, generator_types
from tokensmith.sts.processors.base import CompileInput, RuntimeProcessor, processor_types
from tokensmith.sts.saml.verify import Trust

log = logging.getLogger("tokensmith.sts")


@dataclass(frozen=True)
class GeneratorEntry:
    id: str
    type: GeneratorType
    contract: tuple[str, ...]
    runtime: RuntimeGenerator | None
    error: str = ""

    @property
    def subject_attribute(self) -> str:
        core = self.type.descriptor.core_attributes
        return core[0] if core else "SAML_SUBJECT"


@dataclass(frozen=True)
class ProcessorEntry:
    id: str
    descriptor_id: str
    runtime: RuntimeProcessor | None
    error: str = ""


@dataclass(frozen=True)
class TokenMapping:
    id: str
    processor: str
    generator: str
    compiled: CompiledMapping
    default_target: str = ""


@dataclass(frozen=True)
class ConnectionMapping:
    generator: str
    default: bool
    compiled: CompiledMapping


@dataclass(frozen=True)
class Connection:
    id: str
    entity_id: str
    active: bool
    trust: Trust
    generate_local: bool
    mappings: tuple[ConnectionMapping, ...]


@dataclass(frozen=True)
class StsRuntime:
    generators: dict[str, GeneratorEntry] = field(default_factory=dict)
    processors: dict[str, ProcessorEntry] = field(default_factory=dict)
    mappings: tuple[TokenMapping, ...] = ()
    connections: dict[str, Connection] = field(default_factory=dict)  # by entity id
    # SP connections (IdP-side STS) by each partner service id (an RST's AppliesTo)
    sp_connections: dict[str, spconnections.CompiledSpConnection] = field(default_factory=dict)
    basic_auth: bool = False
    users: dict[str, bytes] = field(default_factory=dict)  # username -> keyed digest of the password
    identifiers: tuple[str, ...] = ()  # this STS's own ids (audiences incoming tokens must name)


def _generators(model: ConfigModel, keys: KeyRing) -> dict[str, GeneratorEntry]:
    types = generator_types()
    out: dict[str, GeneratorEntry] = {}
    for doc in model.all(TOKEN_GENERATOR):
        kind = types.get(doc["pluginDescriptorRef"]["id"])
        if kind is None:
            continue
        config = effective_configuration(model, doc, TOKEN_GENERATOR)
        contract = tuple(instances.contract_names(model, TOKEN_GENERATOR, doc))
        extended = tuple(n for n in contract if n not in kind.descriptor.core_attributes)
        source = GeneratorInput(doc["id"], instances.values(config), instances.tables(config), extended, keys)
        try:
            out[doc["id"]] = GeneratorEntry(doc["id"], kind, contract, kind.compile(source))
        except Exception as exc:  # one broken instance must not take the snapshot (and the node) down
            log.error("token generator %r cannot be used: %s", doc["id"], exc)
            out[doc["id"]] = GeneratorEntry(doc["id"], kind, contract, None, str(exc))
    return out


def _anchors(model: ConfigModel) -> tuple[x509.Certificate, ...]:
    return tuple(certificate_from_text(c["fileData"]) for c in model.all(TRUSTED_CA))


def _processor(model: ConfigModel, doc: dict[str, Any], keys: KeyRing, identifiers: tuple[str, ...],
               anchors: tuple[x509.Certificate, ...]) -> RuntimeProcessor:
    descriptor_id = doc["pluginDescriptorRef"]["id"]
    kind = processor_types().get(descriptor_id)
    if kind is None:
        raise ValueError(f"unknown token processor type {descriptor_id}")
    config = effective_configuration(model, doc, TOKEN_PROCESSOR)
    return kind.compile(CompileInput(doc["id"], instances.values(config), instances.tables(config), model, keys,
                                     identifiers, anchors))


def _connection(doc: dict[str, Any]) -> Connection:
    certs = tuple(certificate_from_text(c["x509File"]["fileData"]) for c in doc["credentials"].get("certs", [])
                  if c.get("activeVerificationCert") or c.get("primaryVerificationCert")
                  or c.get("secondaryVerificationCert"))
    ws = doc["wsTrust"]
    mappings = tuple(ConnectionMapping(m["spTokenGeneratorRef"]["id"], bool(m.get("defaultMapping")),
                                       CompiledMapping.from_doc({"id": doc["id"], **m}))
                     for m in ws.get("tokenGeneratorMappings") or [])
    return Connection(doc["id"], doc["entityId"], bool(doc.get("active")), Trust(pinned=certs),
                      bool(ws.get("generateLocalToken")), mappings)


def build(model: ConfigModel, keys: KeyRing) -> StsRuntime:
    info = ((model.get(SETTINGS, "serverSettings") or {}).get("federationInfo")) or {}
    identifiers = tuple(v for v in (info.get("saml2EntityId"), info.get("saml1xIssuerId")) if v)
    anchors = _anchors(model)
    processors: dict[str, ProcessorEntry] = {}
    for doc in model.all(TOKEN_PROCESSOR):
        descriptor_id = doc["pluginDescriptorRef"]["id"]
        try:
            processors[doc["id"]] = ProcessorEntry(doc["id"], descriptor_id,
                                                   _processor(model, doc, keys, identifiers, anchors))
        except Exception as exc:  # one broken instance must not take the snapshot (and the node) down
            log.error("token processor %r cannot be used: %s", doc["id"], exc)
            processors[doc["id"]] = ProcessorEntry(doc["id"], descriptor_id, None, str(exc))
    mappings = tuple(TokenMapping(m["id"], m["sourceId"], m["targetId"], CompiledMapping.from_doc(m),
                                  m.get("defaultTargetResource", ""))
                     for m in model.all(T2T_MAPPING))
    ws = model.get(SETTINGS, "wsTrustSts") or {}
    return StsRuntime(
        generators=_generators(model, keys), processors=processors, mappings=mappings,
        connections={c["entityId"]: _connection(c) for c in model.all(IDP_CONNECTION)},
        sp_connections=spconnections.compile_all(model, keys, {
            "saml2": info.get("saml2EntityId") or "",
            "saml1": info.get("saml1xIssuerId") or info.get("saml2EntityId") or ""}),
        basic_auth=bool(ws.get("basicAuthnEnabled")),
        users={u["username"]: bytes.fromhex(u["_digest"]) for u in ws.get("users") or []},
        identifiers=identifiers)

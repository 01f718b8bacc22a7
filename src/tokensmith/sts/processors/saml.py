"""PingFederate's SAML 2.0 and SAML 1.1 Token Processors: signed assertions checked by
:mod:`tokensmith.sts.saml.verify` against the trusted CAs and the optional issuer and subject DN
lists, with the audience naming this STS and the validity window."""

from __future__ import annotations

from dataclasses import dataclass

from tokensmith.plugins.descriptors import FieldDescriptor, FieldType, PluginDescriptor, TableDescriptor, unique_column
from tokensmith.sts.processors.base import CompileInput, Incoming, ManagerCheck, PasswordGuard, ProcessorType
from tokensmith.sts.saml import verify
from tokensmith.sts.tokens import TT_SAML1, TT_SAML2, Identity, TokenRefused

SAML20_ID = "org.sourceid.wstrust.processor.saml.Saml20TokenProcessor"
SAML11_ID = "org.sourceid.wstrust.processor.saml.Saml11TokenProcessor"
ISSUER_DNS, SUBJECT_DNS = "Valid Certificate Issuer DNs", "Valid Certificate Subject DNs"
F_AUDIENCE = "Audience"


@dataclass(frozen=True)
class SamlProcessor:
    id: str
    version: str  # "saml2" or "saml1"
    trust: verify.Trust
    audiences: tuple[str, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.version,)

    async def process(self, token: Incoming, now: float, manager: ManagerCheck | None = None,
                      guard: PasswordGuard | None = None) -> Identity:
        if token.kind != self.version or token.element is None:
            label = "SAML 2.0" if self.version == "saml2" else "SAML 1.1"
            raise TokenRefused(f"This token processor accepts only {label} assertions")
        signed = verify.verified(token.element, self.trust, now)
        return verify.read(signed, self.audiences, now)


def _descriptor(plugin_id: str, name: str) -> PluginDescriptor:
    return PluginDescriptor(
        id=plugin_id, name=name,
        description="Validates signed SAML assertions: a trusted certificate, optional issuer and subject DN "
                    "lists, the audience naming this STS, and the validity window.",
        fields=(FieldDescriptor(F_AUDIENCE, FieldType.TEXT, "The audience tokens must name. When empty, the "
                                "server's SAML entity ID / SAML 1.x issuer (serverSettings federationInfo)."),),
        tables=(
            TableDescriptor(ISSUER_DNS, (FieldDescriptor("Issuer DN", FieldType.TEXT,
                                                         "An accepted certificate issuer DN.", required=True),),
                            description="When not empty, the signing certificate's issuer must be one of these.",
                            rules=(unique_column("Issuer DN"),)),
            TableDescriptor(SUBJECT_DNS, (FieldDescriptor("Subject DN", FieldType.TEXT,
                                                          "An accepted certificate subject DN.", required=True),),
                            description="When not empty, the signing certificate's subject must be one of these.",
                            rules=(unique_column("Subject DN"),)),
        ),
        core_attributes=("SAML_SUBJECT",), supports_extended_contract=True, supports_parent=True,
    )


def _processor_type(plugin_id: str, name: str, version: str, exchange_type: str) -> ProcessorType:
    def compile_(source: CompileInput) -> SamlProcessor:
        t = source.tables
        trust = verify.Trust(anchors=source.anchors,
                             issuer_dns=frozenset(r["Issuer DN"] for r in t.get(ISSUER_DNS, [])),
                             subject_dns=frozenset(r["Subject DN"] for r in t.get(SUBJECT_DNS, [])))
        audience = source.values.get(F_AUDIENCE, "").strip()
        return SamlProcessor(source.instance_id, version, trust, (audience,) if audience else source.identifiers)

    return ProcessorType(_descriptor(plugin_id, name), compile_, exchange_types=(exchange_type,))


SAML20_PROCESSOR = _processor_type(SAML20_ID, "SAML 2.0 Token Processor", "saml2", TT_SAML2)
SAML11_PROCESSOR = _processor_type(SAML11_ID, "SAML 1.1 Token Processor", "saml1", TT_SAML1)

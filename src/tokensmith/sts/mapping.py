"""Filling a generator's attribute contract from a processor's (or connection's) attributes.

Mappings are compiled with :class:`tokensmith.mapping.CompiledMapping`; the STS adds the
source types ``TOKEN`` (the processor's attributes) and ``ASSERTION`` (an IdP connection's incoming
token) and its own ``CONTEXT`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tokensmith.mapping import CompiledMapping, Sources
from tokensmith.sts.tokens import TokenRefused

SUBJECT = "SAML_SUBJECT"


@dataclass(frozen=True)
class StsSources(Sources):
    token: Mapping[str, Any]

    def lookup(self, source_type: str, value: str) -> Any:
        if source_type in ("TOKEN", "ASSERTION"):
            return self.token.get(value)
        return super().lookup(source_type, value)


def sources(token_attributes: Mapping[str, Any], context: Mapping[str, Any]) -> StsSources:
    return StsSources(context, {}, {}, token_attributes)


def apply(mapping: CompiledMapping, contract: Sequence[str], src: StsSources,
          subject_attribute: str = SUBJECT) -> tuple[str, dict[str, list[str]]]:
    """(subject, attributes) for the generator, whose core attribute ``subject_attribute`` names the
    token's subject; :class:`TokenRefused` when issuance criteria fail."""
    failed = mapping.failed_criterion(src)
    if failed is not None:
        raise TokenRefused(failed.error_result or "Issuance criteria were not met", "RequestFailed")
    values = mapping.attributes(src, dict.fromkeys(contract, True))
    subject_values = values.pop(subject_attribute, None) or []
    subject = str(subject_values[0]) if subject_values else ""
    if not subject:
        raise TokenRefused(f"The mapping gives the token no subject ({subject_attribute} is empty)", "RequestFailed")
    return subject, {k: [str(v) for v in vs] for k, vs in values.items() if vs}

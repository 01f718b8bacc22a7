"""Access token attribute mapping: where each token attribute's value comes from, and issuance
criteria that must hold before a token is issued."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Context values a mapping can read (source type CONTEXT).
CONTEXT_VALUES = ("ClientId", "OAuthScopes", "ClientIp", "GrantType")
PERSISTENT_GRANT_VALUES = ("USER_KEY", "USER_NAME")

# Source types each mapping context may use.
SOURCES_BY_CONTEXT: dict[str, set[str]] = {
    "DEFAULT": {"TEXT", "CONTEXT", "NO_MAPPING", "OAUTH_PERSISTENT_GRANT"},
    "CLIENT_CREDENTIALS": {"TEXT", "CONTEXT", "NO_MAPPING"},
    "PCV": {"TEXT", "CONTEXT", "NO_MAPPING", "OAUTH_PERSISTENT_GRANT", "PASSWORD_CREDENTIAL_VALIDATOR"},
    # token exchange: the processor policy's contract (subject and its extended attributes)
    "TOKEN_EXCHANGE_PROCESSOR_POLICY": {"TEXT", "CONTEXT", "NO_MAPPING", "TOKEN_EXCHANGE_PROCESSOR_POLICY"},
    # the authorization code grant's sign-in: contextRef names the password credential validator that
    # accepted the user's password on the sign-in page; ADAPTER reads that validator's attributes
    "IDP_ADAPTER": {"TEXT", "CONTEXT", "NO_MAPPING", "OAUTH_PERSISTENT_GRANT", "ADAPTER"},
}
# Context types whose mapping names the instance it belongs to in ``context.contextRef``, with the
# admin API path of that instance.
CONTEXT_REF_PATHS = {"PCV": "/passwordCredentialValidators", "IDP_ADAPTER": "/passwordCredentialValidators",
                     "TOKEN_EXCHANGE_PROCESSOR_POLICY": "/oauth/tokenExchange/processor/policies"}

CONDITIONS = {
    "EQUALS", "EQUALS_CASE_INSENSITIVE", "NOT_EQUAL", "NOT_EQUAL_CASE_INSENSITIVE",
    "MULTIVALUE_CONTAINS", "MULTIVALUE_CONTAINS_CASE_INSENSITIVE",
    "MULTIVALUE_DOES_NOT_CONTAIN", "MULTIVALUE_DOES_NOT_CONTAIN_CASE_INSENSITIVE",
}


@dataclass(frozen=True)
class Sources:
    """Everything a mapping may read while a token is being issued."""

    context: Mapping[str, Any]
    persistent_grant: Mapping[str, Any]
    validator: Mapping[str, Any]

    def lookup(self, source_type: str, value: str) -> Any:
        if source_type == "TEXT":
            return value
        if source_type == "CONTEXT":
            return self.context.get(value)
        if source_type == "OAUTH_PERSISTENT_GRANT":
            return self.persistent_grant.get(value)
        if source_type in ("PASSWORD_CREDENTIAL_VALIDATOR", "ADAPTER"):
            return self.validator.get(value)
        return None


@dataclass(frozen=True)
class Criterion:
    source_type: str
    attribute: str
    condition: str
    value: str
    error_result: str

    def holds(self, sources: Sources) -> bool:
        actual = sources.lookup(self.source_type, self.attribute)
        values = [str(v) for v in actual] if isinstance(actual, list) else (
            [] if actual is None else [str(actual)])
        fold = "CASE_INSENSITIVE" in self.condition
        expected = self.value.lower() if fold else self.value
        seen = [v.lower() for v in values] if fold else values
        if self.condition.startswith("EQUALS"):
            return len(seen) == 1 and seen[0] == expected
        if self.condition.startswith("NOT_EQUAL"):
            return not (len(seen) == 1 and seen[0] == expected)
        if self.condition.startswith("MULTIVALUE_CONTAINS"):
            return expected in seen
        return expected not in seen  # MULTIVALUE_DOES_NOT_CONTAIN*


@dataclass(frozen=True)
class CompiledMapping:
    id: str
    fulfilment: tuple[tuple[str, str, str], ...]  # (attribute, source type, value)
    criteria: tuple[Criterion, ...]

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> CompiledMapping:
        fulfilment = tuple((name, spec["source"]["type"], spec.get("value", ""))
                           for name, spec in doc.get("attributeContractFulfillment", {}).items())
        criteria = tuple(
            Criterion(c["source"]["type"], c["attributeName"], c["condition"], c["value"],
                      c.get("errorResult") or "")
            for c in (doc.get("issuanceCriteria") or {}).get("conditionalCriteria") or []
        )
        return cls(doc["id"], fulfilment, criteria)

    def failed_criterion(self, sources: Sources) -> Criterion | None:
        for criterion in self.criteria:
            if not criterion.holds(sources):
                return criterion
        return None

    def attributes(self, sources: Sources, multi_valued: Mapping[str, bool]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, source_type, value in self.fulfilment:
            if name not in multi_valued or source_type == "NO_MAPPING":
                continue
            got = sources.lookup(source_type, value)
            if got is None:
                continue
            if multi_valued[name]:
                out[name] = got if isinstance(got, list) else [got]
            else:
                out[name] = " ".join(map(str, got)) if isinstance(got, list) else got
        return out

"""Request models of the OAuth token exchange resources (PingFederate 13 wire names).

``/oauth/tokenExchange/processor/policies`` (``TokenExchangeProcessorPolicy``),
``/oauth/tokenExchange/processor/settings`` (``TokenExchangeProcessorSettings``),
``/oauth/tokenExchange/generator/groups`` (``TokenExchangeGeneratorGroup``),
``/oauth/tokenExchange/generator/settings`` (``TokenExchangeGeneratorSettings``) and
``/oauth/tokenExchange/tokenGeneratorMappings`` (``ProcessorPolicyToGeneratorMapping``). Read-only
members a GET returns (``location``, ``validationErrors``) are accepted and ignored, so a GET body
can be sent back unchanged.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.models import AttributeFulfillmentValue, IssuanceCriteria, ResourceLink, Strict


class TokenExchangeAttribute(Strict):
    name: str


class TokenExchangeAttributeContract(Strict):
    coreAttributes: list[TokenExchangeAttribute] | None = None  # read-only: always [subject]
    extendedAttributes: list[TokenExchangeAttribute] | None = None


class TokenExchangeProcessorMapping(Strict):
    subjectTokenType: str
    subjectTokenProcessor: ResourceLink
    actorTokenType: str | None = None
    actorTokenProcessor: ResourceLink | None = None
    attributeSources: list[dict[str, Any]] | None = None
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    issuanceCriteria: IssuanceCriteria | None = None


class TokenExchangeProcessorPolicy(Strict):
    id: str
    name: str
    actorTokenRequired: bool | None = None
    attributeContract: TokenExchangeAttributeContract | None = None
    processorMappings: list[TokenExchangeProcessorMapping]
    validationErrors: list[dict[str, Any]] | None = None


class TokenExchangeProcessorSettings(Strict):
    defaultProcessorPolicyRef: ResourceLink | None = None


class TokenExchangeGeneratorMapping(Strict):
    requestedTokenType: str
    tokenGenerator: ResourceLink
    defaultMapping: bool | None = None


class TokenExchangeGeneratorGroup(Strict):
    id: str
    name: str
    resourceUris: list[str] | None = None
    generatorMappings: list[TokenExchangeGeneratorMapping]
    validationErrors: list[dict[str, Any]] | None = None


class TokenExchangeGeneratorSettings(Strict):
    defaultGeneratorGroupRef: ResourceLink | None = None


class ProcessorPolicyToGeneratorMapping(Strict):
    id: str | None = None
    sourceId: str
    targetId: str
    attributeSources: list[dict[str, Any]] | None = None
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    issuanceCriteria: IssuanceCriteria | None = None
    licenseConnectionGroupAssignment: str | None = None
    validationErrors: list[dict[str, Any]] | None = None

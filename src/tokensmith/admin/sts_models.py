"""Request models of the WS-Trust STS resources (PingFederate wire names).

Read-only members a GET returns (``location``, ``lastModified``, ``validationErrors``,
``brokenReferences``, ``certView``...) are accepted and ignored, so a GET body can be sent back.
"""

from __future__ import annotations

from typing import Any, Literal

from tokensmith.admin.models import (
    AttributeFulfillmentValue,
    IssuanceCriteria,
    PluginConfiguration,
    ResourceLink,
    Strict,
)


class TokenGeneratorAttribute(Strict):
    name: str


class TokenGeneratorAttributeContract(Strict):
    coreAttributes: list[TokenGeneratorAttribute] | None = None
    extendedAttributes: list[TokenGeneratorAttribute] | None = None
    inherited: bool | None = None


class TokenGenerator(Strict):
    id: str
    name: str
    pluginDescriptorRef: ResourceLink
    parentRef: ResourceLink | None = None
    configuration: PluginConfiguration
    attributeContract: TokenGeneratorAttributeContract | None = None
    lastModified: str | None = None
    brokenReferences: list[dict[str, Any]] | None = None


class TokenProcessorAttribute(Strict):
    name: str
    masked: bool | None = None


class TokenProcessorAttributeContract(Strict):
    coreAttributes: list[TokenProcessorAttribute] | None = None
    extendedAttributes: list[TokenProcessorAttribute] | None = None
    maskOgnlValues: bool | None = None
    inherited: bool | None = None


class TokenProcessor(Strict):
    id: str
    name: str
    pluginDescriptorRef: ResourceLink
    parentRef: ResourceLink | None = None
    configuration: PluginConfiguration
    attributeContract: TokenProcessorAttributeContract | None = None
    lastModified: str | None = None
    brokenReferences: list[dict[str, Any]] | None = None


class TokenToTokenMapping(Strict):
    id: str | None = None
    sourceId: str
    targetId: str
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    attributeSources: list[dict[str, Any]] | None = None
    issuanceCriteria: IssuanceCriteria | None = None
    defaultTargetResource: str | None = None
    licenseConnectionGroupAssignment: str | None = None
    validationErrors: list[dict[str, Any]] | None = None


class X509File(Strict):
    id: str | None = None
    fileData: str
    cryptoProvider: Literal["LOCAL", "HSM"] | None = None


class ConnectionCert(Strict):
    x509File: X509File
    certView: dict[str, Any] | None = None
    activeVerificationCert: bool | None = None
    primaryVerificationCert: bool | None = None
    secondaryVerificationCert: bool | None = None
    encryptionCert: bool | None = None


class ConnectionCredentials(Strict):
    certs: list[ConnectionCert] | None = None
    verificationSubjectDN: str | None = None
    verificationIssuerDN: str | None = None
    signingSettings: dict[str, Any] | None = None
    decryptionKeyPairRef: ResourceLink | None = None
    blockEncryptionAlgorithm: str | None = None
    keyTransportAlgorithm: str | None = None


class WsTrustAttribute(Strict):
    name: str
    masked: bool | None = None


class IdpWsTrustAttributeContract(Strict):
    coreAttributes: list[WsTrustAttribute] | None = None
    extendedAttributes: list[WsTrustAttribute] | None = None


class SpTokenGeneratorMapping(Strict):
    spTokenGeneratorRef: ResourceLink
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    defaultMapping: bool | None = None
    restrictedVirtualEntityIds: list[str] | None = None
    attributeSources: list[dict[str, Any]] | None = None
    issuanceCriteria: IssuanceCriteria | None = None


class IdpWsTrust(Strict):
    attributeContract: IdpWsTrustAttributeContract
    generateLocalToken: bool
    tokenGeneratorMappings: list[SpTokenGeneratorMapping] | None = None


class IdpConnection(Strict):
    type: Literal["IDP", "SP"] | None = None
    id: str | None = None
    entityId: str
    name: str
    active: bool | None = None
    baseUrl: str | None = None
    credentials: ConnectionCredentials | None = None
    wsTrust: IdpWsTrust | None = None
    loggingMode: str | None = None
    licenseConnectionGroup: str | None = None
    creationDate: str | None = None
    modificationDate: str | None = None
    replicationStatus: str | None = None
    contactInfo: dict[str, Any] | None = None
    defaultVirtualEntityId: str | None = None
    virtualEntityIds: list[str] | None = None
    idpBrowserSso: dict[str, Any] | None = None
    attributeQuery: dict[str, Any] | None = None
    idpOAuthGrantAttributeMapping: dict[str, Any] | None = None
    inboundProvisioning: dict[str, Any] | None = None
    oidcClientCredentials: dict[str, Any] | None = None
    extendedProperties: dict[str, Any] | None = None
    errorPageMsgId: str | None = None
    additionalAllowedEntitiesConfiguration: dict[str, Any] | None = None
    metadataReloadSettings: dict[str, Any] | None = None
    validationErrors: list[dict[str, Any]] | None = None


class GeneralSettings(Strict):
    disableAutomaticConnectionValidation: bool | None = None
    idpConnectionTransactionLoggingOverride: str | None = None
    spConnectionTransactionLoggingOverride: str | None = None
    datastoreValidationIntervalSecs: int | None = None
    requestHeaderForCorrelationId: str | None = None


class UsernamePasswordCredentials(Strict):
    username: str | None = None
    password: str | None = None
    encryptedPassword: str | None = None


class WsTrustStsSettings(Strict):
    basicAuthnEnabled: bool | None = None
    clientCertAuthnEnabled: bool | None = None
    restrictBySubjectDn: bool | None = None
    restrictByIssuerCert: bool | None = None
    subjectDns: list[str] | None = None
    users: list[UsernamePasswordCredentials] | None = None
    issuerCerts: list[ResourceLink] | None = None


class IssuerCert(Strict):
    x509File: X509File
    certView: dict[str, Any] | None = None
    active: bool | None = None


class FederationInfo(Strict):
    baseUrl: str | None = None
    saml2EntityId: str | None = None
    autoConnectEntityId: str | None = None
    saml1xIssuerId: str | None = None
    saml1xSourceId: str | None = None
    wsfedRealm: str | None = None


class ServerSettings(Strict):
    federationInfo: FederationInfo | None = None
    contactInfo: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    rolesAndProtocols: dict[str, Any] | None = None
    emailServer: dict[str, Any] | None = None
    captchaSettings: dict[str, Any] | None = None


# --------------------------------------------------------------------------- SP connections (IdP-side STS)


class SpWsTrustAttribute(Strict):
    name: str
    namespace: str | None = None


class SpWsTrustAttributeContract(Strict):
    coreAttributes: list[SpWsTrustAttribute] | None = None
    extendedAttributes: list[SpWsTrustAttribute] | None = None


class IdpTokenProcessorMapping(Strict):
    idpTokenProcessorRef: ResourceLink
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    restrictedVirtualEntityIds: list[str] | None = None
    attributeSources: list[dict[str, Any]] | None = None
    issuanceCriteria: IssuanceCriteria | None = None


class ProtocolMessageCustomization(Strict):
    contextName: str | None = None
    messageExpression: str | None = None


class SpWsTrust(Strict):
    partnerServiceIds: list[str]
    attributeContract: SpWsTrustAttributeContract
    tokenProcessorMappings: list[IdpTokenProcessorMapping]
    oAuthAssertionProfiles: bool | None = None
    defaultTokenType: Literal["SAML20", "SAML11", "SAML11_O365"] | None = None
    generateKey: bool | None = None
    encryptSaml2Assertion: bool | None = None
    minutesBefore: int | None = None
    minutesAfter: int | None = None
    abortIfNotFulfilledFromRequest: bool | None = None
    requestContractRef: ResourceLink | None = None
    messageCustomizations: list[ProtocolMessageCustomization] | None = None


class SigningSettings(Strict):
    signingKeyPairRef: ResourceLink
    alternativeSigningKeyPairRefs: list[ResourceLink] | None = None
    algorithm: str | None = None
    includeCertInSignature: bool | None = None
    includeRawKeyInSignature: bool | None = None


class SpConnectionCredentials(Strict):
    certs: list[ConnectionCert] | None = None
    verificationSubjectDN: str | None = None
    verificationIssuerDN: str | None = None
    signingSettings: SigningSettings | None = None
    decryptionKeyPairRef: ResourceLink | None = None
    secondaryDecryptionKeyPairRef: ResourceLink | None = None
    blockEncryptionAlgorithm: str | None = None
    keyTransportAlgorithm: str | None = None
    outboundBackChannelAuth: dict[str, Any] | None = None
    inboundBackChannelAuth: dict[str, Any] | None = None


class SpConnection(Strict):
    type: Literal["IDP", "SP"] | None = None
    id: str | None = None
    entityId: str
    name: str
    active: bool | None = None
    baseUrl: str | None = None
    credentials: SpConnectionCredentials | None = None
    wsTrust: SpWsTrust | None = None
    spBrowserSso: dict[str, Any] | None = None
    attributeQuery: dict[str, Any] | None = None
    outboundProvision: dict[str, Any] | None = None
    applicationName: str | None = None
    applicationIconUrl: str | None = None
    connectionTargetType: Literal["STANDARD", "SALESFORCE", "SALESFORCE_CP", "SALESFORCE_PP",
                                  "PINGONE_SCIM11"] | None = None
    loggingMode: Literal["NONE", "STANDARD", "ENHANCED", "FULL"] | None = None
    licenseConnectionGroup: str | None = None
    creationDate: str | None = None
    modificationDate: str | None = None
    replicationStatus: str | None = None
    contactInfo: dict[str, Any] | None = None
    defaultVirtualEntityId: str | None = None
    virtualEntityIds: list[str] | None = None
    metadataReloadSettings: dict[str, Any] | None = None
    extendedProperties: dict[str, Any] | None = None
    additionalAllowedEntitiesConfiguration: dict[str, Any] | None = None
    validationErrors: list[dict[str, Any]] | None = None


class ConnectionCerts(Strict):
    items: list[ConnectionCert]


class DecryptionKeys(Strict):
    primaryKeyRef: ResourceLink | None = None
    secondaryKeyPairRef: ResourceLink | None = None

"""Request and response models of the admin API (PingFederate wire names, camelCase).

They give FastAPI its OpenAPI document and reject unknown properties; the semantic rules live in
the resource services. Read-only properties that a GET returns (``location``, ``lastModified``…)
are accepted on input and ignored, so a GET body can be sent back as a PUT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tokensmith.oauth.grants import registry


class Strict(BaseModel):
    """Unknown properties are refused, and so is every JSON type that is not the declared one: a string
    where a boolean or integer belongs, or a boolean where an integer belongs, is a 422 naming the
    field, never converted (``"yes"`` is not ``true``, ``"5"`` is not ``5``, ``true`` is not ``1``)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ResourceLink(Strict):
    id: str
    location: str | None = None


class ConfigField(Strict):
    name: str
    value: str | None = None
    encryptedValue: str | None = None
    inherited: bool | None = None


class ConfigRow(Strict):
    fields: list[ConfigField]
    defaultRow: bool | None = None


class ConfigTable(Strict):
    name: str
    rows: list[ConfigRow] | None = None
    inherited: bool | None = None


class PluginConfiguration(Strict):
    tables: list[ConfigTable] | None = None
    fields: list[ConfigField] | None = None


class AccessTokenAttribute(Strict):
    name: str
    multiValued: bool | None = None


class AccessTokenAttributeContract(Strict):
    coreAttributes: list[AccessTokenAttribute] | None = None
    extendedAttributes: list[AccessTokenAttribute] | None = None
    defaultSubjectAttribute: str | None = None
    inherited: bool | None = None


class AtmSelectionSettings(Strict):
    resourceUris: list[str] | None = None
    inherited: bool | None = None


class AtmAccessControlSettings(Strict):
    restrictClients: bool | None = None
    allowedClients: list[ResourceLink] | None = None
    inherited: bool | None = None


class SessionValidationSettings(Strict):
    includeSessionId: bool | None = None
    checkValidAuthnSession: bool | None = None
    checkSessionRevocationStatus: bool | None = None
    updateAuthnSessionActivity: bool | None = None
    inherited: bool | None = None


class TokenEndpointAttribute(Strict):
    name: str
    multiValued: bool | None = None
    mappedScopes: list[str] | None = None


class TokenEndpointAttributeContract(Strict):
    """Attributes the token endpoint returns next to ``access_token``, filled by the access token
    mapping; one with ``mappedScopes`` is returned only when one of those scopes is granted."""

    attributes: list[TokenEndpointAttribute] | None = None
    inherited: bool | None = None


class AccessTokenManager(Strict):
    id: str
    name: str
    pluginDescriptorRef: ResourceLink
    parentRef: ResourceLink | None = None
    configuration: PluginConfiguration
    lastModified: str | None = None
    attributeContract: AccessTokenAttributeContract | None = None
    selectionSettings: AtmSelectionSettings | None = None
    accessControlSettings: AtmAccessControlSettings | None = None
    sessionValidationSettings: SessionValidationSettings | None = None
    sequenceNumber: int | None = None
    tokenEndpointAttributeContract: TokenEndpointAttributeContract | None = None


class AccessTokenManagers(BaseModel):
    items: list[dict[str, Any]]


class AccessTokenManagementSettings(Strict):
    defaultAccessTokenManagerRef: ResourceLink | None = None


if TYPE_CHECKING:
    GrantType = str
else:  # PingFederate's client grant-type enumeration, as the grant registry declares it
    GrantType = Literal[tuple(registry.CLIENT_VALUES)]


class SecondarySecret(Strict):
    secret: str | None = None
    encryptedSecret: str | None = None
    expiryTime: str | None = None


class ClientAuth(Strict):
    type: Literal["NONE", "SECRET", "CERTIFICATE", "PRIVATE_KEY_JWT", "CLIENT_SECRET_JWT"] | None = None
    secret: str | None = None
    encryptedSecret: str | None = None
    secondarySecrets: list[SecondarySecret] | None = None
    clientCertIssuerDn: str | None = None
    clientCertSubjectDn: str | None = None
    enforceReplayPrevention: bool | None = None
    tokenEndpointAuthSigningAlgorithm: str | None = None


class ClientSecret(Strict):
    secret: str | None = None
    encryptedSecret: str | None = None
    secondarySecrets: list[SecondarySecret] | None = None


TimeUnit = Literal["SECONDS", "MINUTES", "HOURS", "DAYS"]
Override = Literal["SERVER_DEFAULT", "OVERRIDE_SERVER_DEFAULT"]


class Client(Strict):
    clientId: str
    name: str
    grantTypes: list[GrantType]
    enabled: bool | None = None
    redirectUris: list[str] | None = None
    description: str | None = None
    modificationDate: str | None = None
    creationDate: str | None = None
    replicationStatus: str | None = None
    logoUrl: str | None = None
    defaultAccessTokenManagerRef: ResourceLink | None = None
    restrictToDefaultAccessTokenManager: bool | None = None
    validateUsingAllEligibleAtms: bool | None = None
    refreshRolling: Literal["SERVER_DEFAULT", "DONT_ROLL", "ROLL"] | None = None
    refreshTokenRollingIntervalType: Override | None = None
    refreshTokenRollingInterval: int | None = None
    refreshTokenRollingIntervalTimeUnit: TimeUnit | None = None
    persistentGrantExpirationType: Literal["INDEFINITE_EXPIRY", "SERVER_DEFAULT",
                                           "OVERRIDE_SERVER_DEFAULT"] | None = None
    persistentGrantExpirationTime: int | None = None
    persistentGrantExpirationTimeUnit: TimeUnit | None = None
    persistentGrantIdleTimeoutType: Literal["INDEFINITE_EXPIRY", "SERVER_DEFAULT",
                                            "OVERRIDE_SERVER_DEFAULT"] | None = None
    persistentGrantIdleTimeout: int | None = None
    persistentGrantIdleTimeoutTimeUnit: TimeUnit | None = None
    persistentGrantReuseType: Override | None = None
    persistentGrantReuseGrantTypes: list[GrantType] | None = None
    allowAuthenticationApiInit: bool | None = None
    enableCookielessAuthenticationApi: bool | None = None
    bypassApprovalPage: bool | None = None
    restrictScopes: bool | None = None
    restrictedScopes: list[str] | None = None
    exclusiveScopes: list[str] | None = None
    authorizationDetailTypes: list[str] | None = None
    restrictedResponseTypes: list[str] | None = None
    requirePushedAuthorizationRequests: bool | None = None
    requireJwtSecuredAuthorizationResponseMode: bool | None = None
    requireSignedRequests: bool | None = None
    requestObjectSigningAlgorithm: str | None = None
    oidcPolicy: dict[str, Any] | None = None
    clientAuth: ClientAuth | None = None
    jwksSettings: dict[str, Any] | None = None
    extendedParameters: dict[str, Any] | None = None
    deviceFlowSettingType: Override | None = None
    userAuthorizationUrlOverride: str | None = None
    pendingAuthorizationTimeoutOverride: int | None = None
    devicePollingIntervalOverride: int | None = None
    bypassActivationCodeConfirmationOverride: bool | None = None
    requireProofKeyForCodeExchange: bool | None = None
    cibaDeliveryMode: Literal["POLL", "PING"] | None = None
    cibaNotificationEndpoint: str | None = None
    cibaPollingInterval: int | None = None
    cibaRequireSignedRequests: bool | None = None
    cibaRequestObjectSigningAlgorithm: str | None = None
    cibaUserCodeSupported: bool | None = None
    requestPolicyRef: ResourceLink | None = None
    tokenExchangeProcessorPolicyRef: ResourceLink | None = None
    refreshTokenRollingGracePeriodType: Override | None = None
    refreshTokenRollingGracePeriod: int | None = None
    clientSecretRetentionPeriodType: Override | None = None
    clientSecretRetentionPeriod: int | None = Field(default=None, ge=0)
    clientSecretChangedTime: str | None = None
    tokenIntrospectionSigningAlgorithm: str | None = None
    tokenIntrospectionEncryptionAlgorithm: str | None = None
    tokenIntrospectionContentEncryptionAlgorithm: str | None = None
    jwtSecuredAuthorizationResponseModeSigningAlgorithm: str | None = None
    jwtSecuredAuthorizationResponseModeEncryptionAlgorithm: str | None = None
    jwtSecuredAuthorizationResponseModeContentEncryptionAlgorithm: str | None = None
    requireDpop: bool | None = None
    requireOfflineAccessScopeToIssueRefreshTokens: Literal["SERVER_DEFAULT", "NO", "YES"] | None = None
    offlineAccessRequireConsentPrompt: Literal["SERVER_DEFAULT", "NO", "YES"] | None = None
    lockoutMaxMaliciousActions: int | None = Field(default=None, ge=1)
    lockoutMaxMaliciousActionsType: Literal["DO_NOT_LOCKOUT", "SERVER_DEFAULT",
                                            "OVERRIDE_SERVER_DEFAULT"] | None = None


class ScopeEntry(Strict):
    name: str
    description: str
    dynamic: bool | None = None


class ScopeGroupEntry(Strict):
    name: str
    description: str
    scopes: list[str]


class PersistentGrantAttribute(Strict):
    name: str


class PersistentGrantContract(Strict):
    coreAttributes: list[PersistentGrantAttribute] | None = None
    extendedAttributes: list[PersistentGrantAttribute] | None = None


class AuthorizationServerSettings(Strict):
    authorizationCodeEntropy: int
    authorizationCodeTimeout: int
    refreshRollingInterval: int
    refreshTokenLength: int
    defaultScopeDescription: str | None = None
    scopes: list[ScopeEntry] | None = None
    scopeGroups: list[ScopeGroupEntry] | None = None
    exclusiveScopes: list[ScopeEntry] | None = None
    exclusiveScopeGroups: list[ScopeGroupEntry] | None = None
    disallowPlainPKCE: bool | None = None
    includeIssuerInAuthorizationResponse: bool | None = None
    trackUserSessionsForLogout: bool | None = None
    tokenEndpointBaseUrl: str | None = None
    requireOfflineAccessScopeToIssueRefreshTokens: bool | None = None
    offlineAccessRequireConsentPrompt: bool | None = None
    persistentGrantLifetime: int | None = None
    persistentGrantLifetimeUnit: Literal["MINUTES", "DAYS", "HOURS"] | None = None
    persistentGrantIdleTimeout: int | None = None
    persistentGrantIdleTimeoutTimeUnit: Literal["MINUTES", "DAYS", "HOURS"] | None = None
    rollRefreshTokenValues: bool | None = None
    refreshTokenRollingGracePeriod: int | None = None
    refreshRollingIntervalTimeUnit: Literal["SECONDS", "MINUTES", "HOURS"] | None = None
    persistentGrantReuseGrantTypes: list[GrantType] | None = None
    persistentGrantContract: PersistentGrantContract | None = None
    bypassAuthorizationForApprovedGrants: bool | None = None
    bypassAuthorizationForApprovedConsents: bool | None = None
    consentLifetimeDays: int | None = None
    allowUnidentifiedClientROCreds: bool | None = None
    allowUnidentifiedClientExtensionGrants: bool | None = None
    adminWebServicePcvRef: ResourceLink | None = None
    atmIdForOAuthGrantManagement: str | None = None
    scopeForOAuthGrantManagement: str | None = None
    allowedOrigins: list[str] | None = None
    userAuthorizationUrl: str | None = None
    registeredAuthorizationPath: str | None = None
    pendingAuthorizationTimeout: int | None = None
    devicePollingInterval: int | None = None
    activationCodeCheckMode: Literal["AFTER_AUTHENTICATION", "BEFORE_AUTHENTICATION"] | None = None
    bypassActivationCodeConfirmation: bool | None = None
    enableCookielessUserAuthorizationAuthenticationApi: bool | None = None
    userAuthorizationConsentPageSetting: Literal["INTERNAL", "ADAPTER"] | None = None
    userAuthorizationConsentAdapter: str | None = None
    approvedScopesAttribute: str | None = None
    approvedAuthorizationDetailAttribute: str | None = None
    parReferenceTimeout: int | None = None
    parReferenceLength: int | None = None
    parStatus: Literal["DISABLED", "ENABLED", "REQUIRED"] | None = None
    clientSecretRetentionPeriod: int | None = None
    jwtSecuredAuthorizationResponseModeLifetime: int | None = None
    dpopProofRequireNonce: bool | None = None
    dpopProofLifetimeSeconds: int | None = None
    dpopProofEnforceReplayPrevention: bool | None = None
    returnIdTokenOnOpenIdWithDeviceAuthzGrant: bool | None = None


class SourceTypeIdKey(Strict):
    type: str
    id: str | None = None


class AttributeFulfillmentValue(Strict):
    source: SourceTypeIdKey
    value: str = ""


class ConditionalIssuanceCriteriaEntry(Strict):
    source: SourceTypeIdKey
    attributeName: str
    condition: str
    value: str
    errorResult: str | None = None


class ExpressionIssuanceCriteriaEntry(Strict):
    expression: str
    errorResult: str | None = None


class IssuanceCriteria(Strict):
    conditionalCriteria: list[ConditionalIssuanceCriteriaEntry] | None = None
    expressionCriteria: list[ExpressionIssuanceCriteriaEntry] | None = None


class AccessTokenMappingContext(Strict):
    type: Literal["DEFAULT", "PCV", "IDP_CONNECTION", "IDP_ADAPTER", "AUTHENTICATION_POLICY_CONTRACT",
                  "CLIENT_CREDENTIALS", "TOKEN_EXCHANGE_PROCESSOR_POLICY"]
    contextRef: ResourceLink | None = None


class AccessTokenMapping(Strict):
    id: str | None = None
    context: AccessTokenMappingContext
    accessTokenManagerRef: ResourceLink
    attributeSources: list[dict[str, Any]] | None = None
    attributeContractFulfillment: dict[str, AttributeFulfillmentValue]
    issuanceCriteria: IssuanceCriteria | None = None


class PasswordCredentialValidatorAttribute(Strict):
    name: str


class PasswordCredentialValidatorAttributeContract(Strict):
    coreAttributes: list[PasswordCredentialValidatorAttribute] | None = None
    extendedAttributes: list[PasswordCredentialValidatorAttribute] | None = None
    inherited: bool | None = None


class PasswordCredentialValidator(Strict):
    id: str
    name: str
    pluginDescriptorRef: ResourceLink
    parentRef: ResourceLink | None = None
    configuration: PluginConfiguration
    lastModified: str | None = None
    attributeContract: PasswordCredentialValidatorAttributeContract | None = None


class ValidationErrorModel(BaseModel):
    errorId: str | None = None
    message: str | None = None
    developerMessage: str | None = None
    fieldPath: str | None = None


class ApiResult(BaseModel):
    resultId: str | None = None
    message: str | None = None
    developerMessage: str | None = None
    validationErrors: list[ValidationErrorModel] | None = None


class Version(BaseModel):
    version: str


# --------------------------------------------------------------------------- pydantic errors as PF fieldPaths

JSON_TYPES = {"bool_type": "a boolean", "int_type": "an integer", "string_type": "a string",
              "list_type": "an array", "dict_type": "an object", "model_type": "an object",
              "model_attributes_type": "an object", "float_type": "a number", "int_from_float": "an integer",
              "set_type": "an array"}


def json_type_name(value: Any) -> str:
    """The JSON type of a parsed value, as an error message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def field_path(loc: tuple[Any, ...]) -> str:
    """``("scopes", 0, "name")`` as PingFederate writes it: ``scopes[0].name``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def describe(err: Any, path: str) -> tuple[str, str]:
    """(message, errorId) for one pydantic error at ``path``: a wrong JSON type is named as such
    (what was expected, what was sent), never converted."""
    kind = str(err.get("type", ""))
    if kind == "extra_forbidden":
        return f"Unrecognized property '{path}'", "unrecognized_field"
    if kind == "missing":
        return f"'{path}' is required", "required_field_missing"
    if kind in JSON_TYPES:
        return (f"'{path}' must be {JSON_TYPES[kind]}, not {json_type_name(err.get('input'))}",
                "invalid_type")
    return f"{path}: {err.get('msg', 'invalid value')}", "invalid_value"

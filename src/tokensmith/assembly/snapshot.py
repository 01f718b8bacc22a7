"""The immutable runtime view of the configuration that the token hot path reads.

Built once per configuration version; the token, introspection and revocation endpoints never
touch the configuration database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tokensmith.atm.base import AtmBuildError, AtmCommon, AtmRuntime, AtmType, BuildContext
from tokensmith.atm.types import atm_types
from tokensmith.config.authserver import current as authserver_current
from tokensmith.config.inheritance import effective_configuration
from tokensmith.config.model import ATM, CLIENT, MAPPING, PCV, SETTINGS, ConfigModel
from tokensmith.keys.ring import KeyLoader, KeyRing
from tokensmith.mapping import CompiledMapping
from tokensmith.oauth.cors import Origins, compile_origins
from tokensmith.oauth.exchange_config import CompiledExchange, compile_exchange
from tokensmith.pcv.base import CredentialValidator, build_validator
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.sts import compiled as sts_compiled

UNIT_SECONDS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400}
log = logging.getLogger("tokensmith.config")
RuntimeAtm = AtmRuntime  # an access token manager compiled for the hot path, whatever its type


@dataclass(frozen=True)
class RuntimeClient:
    client_id: str
    enabled: bool
    confidential: bool
    secret_digest: bytes | None
    secondary: tuple[tuple[bytes, float], ...]  # (digest, expires at)
    grant_types: frozenset[str]
    default_atm: str | None
    restrict_to_default_atm: bool
    restrict_scopes: bool
    restricted_scopes: frozenset[str]
    exclusive_scopes: frozenset[str]
    roll_refresh: bool | None  # None: server default
    name: str = ""
    redirect_uris: tuple[str, ...] = ()  # matched exactly, or by their wildcards (tokensmith.oauth.redirects)
    require_pkce: bool = False  # requireProofKeyForCodeExchange
    bypass_approval: bool = False  # bypassApprovalPage: no consent page
    offline_access_scope: bool | None = None  # requireOfflineAccessScopeToIssueRefreshTokens; None: server's
    offline_access_consent: bool | None = None  # offlineAccessRequireConsentPrompt; None: server's
    response_types: frozenset[str] = frozenset()  # restrictedResponseTypes; empty: any the server serves
    grant_lifetime_override: bool = False  # persistentGrantExpirationType is not SERVER_DEFAULT
    grant_lifetime: float | None = None  # with the override: seconds, None for INDEFINITE_EXPIRY
    device: DeviceOverride | None = None  # deviceFlowSettingType OVERRIDE_SERVER_DEFAULT: its overrides
    require_par: bool = False  # requirePushedAuthorizationRequests (RFC 9126)


@dataclass(frozen=True)
class DeviceOverride:
    """A client's device authorization overrides (None: the authorization server's value)."""

    user_authorization_url: str | None = None
    timeout: float | None = None
    interval: float | None = None
    bypass_confirmation: bool | None = None


@dataclass(frozen=True)
class DeviceSettings:
    """The device authorization grant's settings (RFC 8628) for one client: the server's, overridden."""

    timeout: float = 600.0  # pendingAuthorizationTimeout: seconds the device and user codes live
    interval: float = 5.0  # devicePollingInterval: seconds between polls
    user_authorization_url: str = ""  # userAuthorizationUrl ("": the user page of this server)
    check_before: bool = False  # activationCodeCheckMode BEFORE_AUTHENTICATION: the code before sign-in
    bypass_confirmation: bool = False  # bypassActivationCodeConfirmation: a code in the URL needs no confirming

    def for_client(self, client: RuntimeClient) -> DeviceSettings:
        o = client.device
        if o is None:
            return self
        return DeviceSettings(self.timeout if o.timeout is None else o.timeout,
                              self.interval if o.interval is None else o.interval,
                              self.user_authorization_url if o.user_authorization_url is None
                              else o.user_authorization_url, self.check_before,
                              self.bypass_confirmation if o.bypass_confirmation is None else o.bypass_confirmation)


def _device_override(doc: dict[str, Any]) -> DeviceOverride | None:
    if doc.get("deviceFlowSettingType") != "OVERRIDE_SERVER_DEFAULT":
        return None
    timeout, interval = doc.get("pendingAuthorizationTimeoutOverride"), doc.get("devicePollingIntervalOverride")
    bypass = doc.get("bypassActivationCodeConfirmationOverride")
    return DeviceOverride(doc.get("userAuthorizationUrlOverride") or None, None if timeout is None else float(timeout),
                          None if interval is None else float(interval), None if bypass is None else bool(bypass))


def _device_settings(auth: dict[str, Any]) -> DeviceSettings:
    return DeviceSettings(float(auth.get("pendingAuthorizationTimeout") or 600),
                          float(auth.get("devicePollingInterval") or 5), str(auth.get("userAuthorizationUrl") or ""),
                          auth.get("activationCodeCheckMode") == "BEFORE_AUTHENTICATION",
                          bool(auth.get("bypassActivationCodeConfirmation")))


@dataclass(frozen=True)
class CodeSettings:
    """The authorization server settings the authorization endpoint reads."""

    timeout: float = 60.0  # authorizationCodeTimeout, seconds
    entropy: int = 30  # authorizationCodeEntropy, bytes of randomness in a code
    disallow_plain_pkce: bool = False
    include_issuer: bool = False  # includeIssuerInAuthorizationResponse (RFC 9207 iss on success)


@dataclass(frozen=True)
class ParSettings:
    """The pushed authorization request settings (RFC 9126) the PAR and authorization endpoints read."""

    status: str = "ENABLED"  # parStatus: DISABLED | ENABLED | REQUIRED
    timeout: float = 60.0  # parReferenceTimeout, seconds a request_uri is valid
    length: int = 24  # parReferenceLength, bytes of randomness in a request_uri

    @property
    def enabled(self) -> bool:
        return self.status != "DISABLED"

    @property
    def required(self) -> bool:
        return self.status == "REQUIRED"


def _par(auth: dict[str, Any]) -> ParSettings:
    return ParSettings(str(auth.get("parStatus") or "ENABLED"), float(auth.get("parReferenceTimeout") or 60),
                       int(auth.get("parReferenceLength") or 24))


@dataclass(frozen=True)
class GrantManagement:
    """Who may manage persistent grants: the admin web service's password credential validator
    (``adminWebServicePcvRef``), the runtime API's manager and scope (``atmIdForOAuthGrantManagement``,
    ``scopeForOAuthGrantManagement``), and whether an approved grant skips the consent page
    (``bypassAuthorizationForApprovedGrants``)."""

    admin_validator: str | None = None
    atm_id: str | None = None
    scope: str | None = None
    bypass_approved: bool = False


def _grant_management(auth: dict[str, Any]) -> GrantManagement:
    return GrantManagement((auth.get("adminWebServicePcvRef") or {}).get("id") or None,
                           auth.get("atmIdForOAuthGrantManagement") or None,
                           auth.get("scopeForOAuthGrantManagement") or None,
                           bool(auth.get("bypassAuthorizationForApprovedGrants")))


@dataclass(frozen=True)
class Scopes:
    common: frozenset[str] = frozenset()
    exclusive: frozenset[str] = frozenset()
    common_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclusive_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    common_dynamic: tuple[str, ...] = ()  # prefixes of dynamic common scopes
    exclusive_dynamic: tuple[str, ...] = ()

    def members(self, name: str) -> tuple[str, ...] | None:
        return self.common_groups.get(name) or self.exclusive_groups.get(name)


@dataclass(frozen=True)
class Snapshot:
    version: int = 0
    atms: dict[str, RuntimeAtm] = field(default_factory=dict)
    default_atm: str | None = None
    clients: dict[str, RuntimeClient] = field(default_factory=dict)
    scopes: Scopes = field(default_factory=Scopes)
    mappings: dict[str, CompiledMapping] = field(default_factory=dict)
    validators: tuple[CredentialValidator, ...] = ()  # every instance, in creation order
    refresh_token_length: int = 42
    roll_refresh_tokens: bool = False
    persistent_grant_lifetime: float | None = None  # seconds; None = indefinite
    offline_access_scope: bool = False  # requireOfflineAccessScopeToIssueRefreshTokens
    offline_access_consent: bool = False  # offlineAccessRequireConsentPrompt
    resource_index: tuple[tuple[str, str], ...] = ()  # (resource URI prefix, atm id), longest first
    keys: KeyRing = field(default_factory=KeyRing)  # loaded signing key pairs
    atm_types: tuple[AtmType, ...] = ()  # every token format, asked in turn at introspection and revocation
    sts: sts_compiled.StsRuntime = field(default_factory=sts_compiled.StsRuntime)  # WS-Trust STS
    exchange: CompiledExchange = field(default_factory=CompiledExchange)  # token exchange policies, groups
    codes: CodeSettings = field(default_factory=CodeSettings)  # the authorization code grant
    device: DeviceSettings = field(default_factory=DeviceSettings)  # the device authorization grant
    par: ParSettings = field(default_factory=ParSettings)  # pushed authorization requests
    grants: GrantManagement = field(default_factory=GrantManagement)  # persistent grant management
    base_url: str = ""  # /serverSettings federationInfo.baseUrl ("": none; see tokensmith.publicurl)
    cors: Origins = field(default_factory=Origins)  # allowedOrigins: browser applications' origins

    def atm_for_resource(self, resource: str) -> str | None:
        for prefix, atm_id in self.resource_index:
            if resource.startswith(prefix):
                return atm_id
        return None


def _client(doc: dict[str, Any]) -> RuntimeClient:
    auth = doc.get("clientAuth", {})
    digest = doc.get("_secretDigest")
    rolling = doc.get("refreshRolling", "SERVER_DEFAULT")
    return RuntimeClient(
        client_id=doc["clientId"],
        enabled=bool(doc.get("enabled", True)),
        confidential=auth.get("type") == "SECRET",
        secret_digest=bytes.fromhex(digest) if digest else None,
        secondary=tuple((bytes.fromhex(s["digest"]), float(s["expires"]))
                        for s in doc.get("_secondaryDigests", [])),
        grant_types=frozenset(doc.get("grantTypes", [])),
        default_atm=(doc.get("defaultAccessTokenManagerRef") or {}).get("id"),
        restrict_to_default_atm=bool(doc.get("restrictToDefaultAccessTokenManager")),
        restrict_scopes=bool(doc.get("restrictScopes")),
        restricted_scopes=frozenset(doc.get("restrictedScopes") or []),
        exclusive_scopes=frozenset(doc.get("exclusiveScopes") or []),
        roll_refresh=None if rolling == "SERVER_DEFAULT" else rolling == "ROLL",
        name=str(doc.get("name") or doc["clientId"]),
        redirect_uris=tuple(doc.get("redirectUris") or ()),
        require_pkce=bool(doc.get("requireProofKeyForCodeExchange")),
        bypass_approval=bool(doc.get("bypassApprovalPage")),
        offline_access_scope=_yes_no(doc.get("requireOfflineAccessScopeToIssueRefreshTokens")),
        offline_access_consent=_yes_no(doc.get("offlineAccessRequireConsentPrompt")),
        response_types=frozenset(doc.get("restrictedResponseTypes") or ()),
        **_grant_lifetime(doc),
        device=_device_override(doc),
        require_par=bool(doc.get("requirePushedAuthorizationRequests")),
    )


def _yes_no(value: Any) -> bool | None:
    """A client's ``YES``/``NO``/``SERVER_DEFAULT`` override: None leaves the server's setting."""
    return {"YES": True, "NO": False}.get(value) if isinstance(value, str) else None


def _grant_lifetime(doc: dict[str, Any]) -> dict[str, Any]:
    """A client's own persistent grant lifetime (``persistentGrantExpirationType``), if it has one."""
    kind = doc.get("persistentGrantExpirationType") or "SERVER_DEFAULT"
    if kind == "INDEFINITE_EXPIRY":
        return {"grant_lifetime_override": True, "grant_lifetime": None}
    if kind == "OVERRIDE_SERVER_DEFAULT":
        unit = UNIT_SECONDS.get(doc.get("persistentGrantExpirationTimeUnit") or "DAYS", 86400)
        return {"grant_lifetime_override": True,
                "grant_lifetime": float(doc.get("persistentGrantExpirationTime") or 0) * unit}
    return {}


def _scopes(auth: dict[str, Any]) -> Scopes:
    def split(entries: list[dict[str, Any]]) -> tuple[frozenset[str], tuple[str, ...]]:
        static = frozenset(e["name"] for e in entries if not e.get("dynamic"))
        dynamic = tuple(e["name"][:-1] for e in entries if e.get("dynamic"))
        return static, dynamic

    common, common_dyn = split(auth.get("scopes", []))
    exclusive, exclusive_dyn = split(auth.get("exclusiveScopes", []))
    return Scopes(
        common=common, exclusive=exclusive,
        common_groups={g["name"]: tuple(g["scopes"]) for g in auth.get("scopeGroups", [])},
        exclusive_groups={g["name"]: tuple(g["scopes"]) for g in auth.get("exclusiveScopeGroups", [])},
        common_dynamic=common_dyn, exclusive_dynamic=exclusive_dyn,
    )


def build(model: ConfigModel, keys: KeyLoader | None = None) -> Snapshot:
    """The snapshot of ``model``. ``keys`` keeps loaded key pairs across builds (one per worker)."""
    ring = keys.ring(model) if keys is not None else KeyRing()
    mappings = {doc["id"]: CompiledMapping.from_doc(doc) for doc in model.all(MAPPING)}
    types = atm_types()
    context = BuildContext(ring, mappings, keys.box if keys is not None else None)
    atms: dict[str, RuntimeAtm] = {}
    for doc in model.all(ATM):
        atm_type = types.get(doc["pluginDescriptorRef"]["id"])
        if atm_type is None:
            continue
        try:
            atms[doc["id"]] = atm_type.build(AtmCommon.from_doc(doc),
                                             NormalizedConfig(effective_configuration(model, doc)), context)
        except AtmBuildError as exc:  # serve the rest; this manager issues nothing until fixed
            log.error("access token manager %r is unavailable: %s", doc["id"], exc)
    auth = authserver_current(model)
    lifetime = auth.get("persistentGrantLifetime", -1)
    unit = UNIT_SECONDS.get(auth.get("persistentGrantLifetimeUnit", "DAYS"), 86400)
    index = sorted(((uri, atm.id) for atm in atms.values() for uri in atm.resource_uris),
                   key=lambda item: len(item[0]), reverse=True)
    validators = tuple(v for v in (build_validator(doc) for doc in model.all(PCV)) if v is not None)
    default = ((model.get(SETTINGS, "atm") or {}).get("defaultAccessTokenManagerRef") or {}).get("id")
    return Snapshot(
        version=model.version,
        atms=atms,
        default_atm=default,
        clients={doc["clientId"]: _client(doc) for doc in model.all(CLIENT)},
        scopes=_scopes(auth),
        mappings=mappings,
        validators=validators,
        refresh_token_length=int(auth.get("refreshTokenLength", 42)),
        roll_refresh_tokens=bool(auth.get("rollRefreshTokenValues", False)),
        offline_access_scope=bool(auth.get("requireOfflineAccessScopeToIssueRefreshTokens")),
        offline_access_consent=bool(auth.get("offlineAccessRequireConsentPrompt")),
        persistent_grant_lifetime=None if lifetime is None or lifetime < 0 else float(lifetime) * unit,
        resource_index=tuple(index),
        keys=ring,
        atm_types=tuple(types.values()),
        sts=sts_compiled.build(model, ring),
        exchange=compile_exchange(model),
        codes=CodeSettings(float(auth.get("authorizationCodeTimeout") or 60), int(auth.get("authorizationCodeEntropy")
                                                                                  or 30),
                           bool(auth.get("disallowPlainPKCE")), bool(auth.get("includeIssuerInAuthorizationResponse"))),
        device=_device_settings(auth),
        par=_par(auth),
        grants=_grant_management(auth),
        base_url=str((((model.get(SETTINGS, "serverSettings") or {}).get("federationInfo")) or {})
                     .get("baseUrl") or "").rstrip("/"),
        cors=compile_origins(auth.get("allowedOrigins")),
    )

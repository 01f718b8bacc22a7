"""The authorization server settings as stored, with PingFederate's defaults for what was never set.

Both the admin API (``/oauth/authServerSettings``) and the snapshot compilation read the settings
through :func:`current`, so they lie here, below both.
"""

from __future__ import annotations

import copy
from typing import Any

from tokensmith.config.model import ConfigModel

SETTINGS_ID = "authServer"

DEFAULTS: dict[str, Any] = {
    "defaultScopeDescription": "",
    "scopes": [],
    "scopeGroups": [],
    "exclusiveScopes": [],
    "exclusiveScopeGroups": [],
    "authorizationCodeTimeout": 60,
    "authorizationCodeEntropy": 30,
    "disallowPlainPKCE": False,
    "includeIssuerInAuthorizationResponse": False,
    "trackUserSessionsForLogout": False,
    "persistentGrantLifetime": -1,
    "persistentGrantLifetimeUnit": "DAYS",
    "persistentGrantIdleTimeout": 30,
    "persistentGrantIdleTimeoutTimeUnit": "DAYS",
    "refreshTokenLength": 42,
    "rollRefreshTokenValues": False,
    "refreshTokenRollingGracePeriod": 60,
    "refreshRollingInterval": 0,
    "refreshRollingIntervalTimeUnit": "HOURS",
    "persistentGrantReuseGrantTypes": [],
    "persistentGrantContract": {"coreAttributes": [{"name": "USER_KEY"}, {"name": "USER_NAME"}],
                                "extendedAttributes": []},
    "bypassAuthorizationForApprovedGrants": False,
    "allowUnidentifiedClientROCreds": False,
    "allowUnidentifiedClientExtensionGrants": False,
    "tokenEndpointBaseUrl": "",
    "allowedOrigins": [],
    "clientSecretRetentionPeriod": 0,
    "userAuthorizationUrl": "",  # the device authorization grant (RFC 8628)
    "pendingAuthorizationTimeout": 600,
    "devicePollingInterval": 5,
    "activationCodeCheckMode": "AFTER_AUTHENTICATION",
    "bypassActivationCodeConfirmation": False,
    # pushed authorization requests (RFC 9126)
    "parStatus": "ENABLED",
    "parReferenceTimeout": 60,
    "parReferenceLength": 24,
}


def current(model: ConfigModel) -> dict[str, Any]:
    stored = model.setting(SETTINGS_ID) or {}
    doc = copy.deepcopy(DEFAULTS)
    doc.update(copy.deepcopy(stored))
    return doc

"""Internally managed reference (opaque) access tokens.

Descriptor id ``org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin``.
Token values are random URL-safe strings of the configured length; the state store keeps only
their SHA-256 digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokensmith.atm.base import (
    AccessTokenRequest,
    AtmCommon,
    BuildContext,
    IssuedAccessToken,
    ManagedAtm,
    RevokeOutcome,
)
from tokensmith.plugins.configuration import NormalizedConfig
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    check_box,
    integer,
    options_of,
)
from tokensmith.state.base import AccessTokenRecord

if TYPE_CHECKING:
    from tokensmith.assembly.snapshot import Snapshot
    from tokensmith.worker import Runtime

PLUGIN_ID = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"

NONE, TRANSIENT, ALL = "NONE", "TRANSIENT", "ALL"
MAJORITY, ALL_NODES = "3", "2"


def _max_lifetime_rule(values: dict[str, str]) -> list[tuple[str, str]]:
    maximum = values.get("Maximum Token Lifetime", "")
    lifetime = values.get("Token Lifetime", "")
    digits = maximum.strip().isdigit() and lifetime.strip().isdigit()
    if digits and int(maximum) < int(lifetime):
        return [("Maximum Token Lifetime",
                 f"Maximum Token Lifetime must be empty or at least the Token Lifetime ({lifetime} minutes)")]
    return []


DESCRIPTOR = PluginDescriptor(
    id=PLUGIN_ID,
    name="Internally Managed Reference Tokens",
    description=("Issues opaque reference tokens. Token data stays on the server and is looked up "
                 "on every validation."),
    fields=(
        FieldDescriptor("Token Length", FieldType.TEXT,
                        "Number of characters in a token value (22 to 256).",
                        default="28", required=True, rules=(integer(22, 256),)),
        FieldDescriptor("Token Lifetime", FieldType.TEXT,
                        "Minutes an access token stays valid after it is issued.",
                        default="120", required=True, rules=(integer(1),)),
        FieldDescriptor("Lifetime Extension Policy", FieldType.SELECT,
                        "Whether validation extends a token's lifetime: never, only for tokens not "
                        "backed by a persistent grant, or for all tokens.",
                        default=NONE, required=True, advanced=True,
                        options=options_of((NONE, "No Extension"),
                                           (TRANSIENT, "Extend Tokens Not Backed By Persistent Grants"),
                                           (ALL, "Extend All Tokens"))),
        FieldDescriptor("Maximum Token Lifetime", FieldType.TEXT,
                        "Upper bound, in minutes from issuance, that extension may not pass. "
                        "Empty means no bound beyond the policy.",
                        default="", advanced=True, rules=(integer(1),)),
        FieldDescriptor("Lifetime Extension Threshold Percentage", FieldType.TEXT,
                        "A validation extends the token only when the time left has dropped below "
                        "this percentage of the Token Lifetime, so validations rarely cause writes.",
                        default="30", required=True, advanced=True, rules=(integer(0, 100),)),
        FieldDescriptor("Mode for Synchronous RPC", FieldType.SELECT,
                        "How many replicas must acknowledge a token write before it is answered.",
                        default=MAJORITY, required=True, advanced=True,
                        options=options_of((MAJORITY, "Majority of Nodes"), (ALL_NODES, "All Nodes"))),
        FieldDescriptor("RPC Timeout", FieldType.TEXT,
                        "Milliseconds to wait for replica acknowledgement of a token write.",
                        default="500", required=True, advanced=True, rules=(integer(1),)),
        check_box("Expand Scope Groups",
                  "Replace each scope group by its member scopes in the token's scope.",
                  advanced=True),
    ),
    rules=(_max_lifetime_rule,),
)


@dataclass(frozen=True)
class ReferencePolicy:
    """The runtime view of one reference token manager's configuration."""

    token_length: int
    lifetime: float  # seconds
    extension_policy: str
    max_lifetime: float | None  # seconds from issuance
    threshold: float  # fraction of the lifetime, 0..1
    rpc_mode: str
    rpc_timeout_ms: int
    expand_scope_groups: bool

    @classmethod
    def from_config(cls, config: NormalizedConfig) -> ReferencePolicy:
        v = config.values()
        maximum = v.get("Maximum Token Lifetime", "")
        return cls(
            token_length=int(v["Token Length"]),
            lifetime=int(v["Token Lifetime"]) * 60.0,
            extension_policy=v["Lifetime Extension Policy"],
            max_lifetime=int(maximum) * 60.0 if maximum else None,
            threshold=int(v["Lifetime Extension Threshold Percentage"]) / 100.0,
            rpc_mode=v["Mode for Synchronous RPC"],
            rpc_timeout_ms=int(v["RPC Timeout"]),
            expand_scope_groups=v["Expand Scope Groups"] == "true",
        )

    def initial_expiry(self, now: float) -> float:
        expiry = now + self.lifetime
        if self.max_lifetime is not None:
            expiry = min(expiry, now + self.max_lifetime)
        return expiry

    def extended_expiry(self, record: AccessTokenRecord, now: float) -> float | None:
        """The new expiry a validation at ``now`` should set, or None to leave the token alone.

        Extension happens only when the policy covers the token and the time left has dropped
        below the threshold share of the lifetime; it never passes issue time + maximum lifetime.
        """
        if self.extension_policy == NONE:
            return None
        if self.extension_policy == TRANSIENT and record.persistent:
            return None
        remaining = record.expires_at - now
        if remaining >= self.threshold * self.lifetime:
            return None
        target = now + self.lifetime
        if self.max_lifetime is not None:
            target = min(target, record.issued_at + self.max_lifetime)
        return target if target > record.expires_at else None


# --------------------------------------------------------------------------- runtime

RESERVED = {"active", "scope", "client_id", "token_type", "exp", "iat"}


class ReferenceAtm(ManagedAtm):
    """A reference token manager: the token is a random string; its data lives in the token state."""

    def __init__(self, common: AtmCommon, policy: ReferencePolicy) -> None:
        super().__init__(common)
        self.policy = policy

    @property
    def expand_scope_groups(self) -> bool:
        return self.policy.expand_scope_groups

    async def issue(self, rt: Runtime, request: AccessTokenRequest) -> IssuedAccessToken:
        value, key = rt.state.new_token(self.policy.token_length)
        record = AccessTokenRecord(key, self.id, request.client_id, " ".join(request.scopes),
                                   dict(request.attributes), request.now, self.policy.initial_expiry(request.now),
                                   request.grant_id)
        await rt.state.put_token(record)
        return IssuedAccessToken(value, record.expires_at)


class ReferenceType:
    descriptor = DESCRIPTOR

    def build(self, common: AtmCommon, config: NormalizedConfig, context: BuildContext) -> ReferenceAtm:
        return ReferenceAtm(common, ReferencePolicy.from_config(config))

    def could_be(self, token: str) -> bool:
        return "." not in token  # values are URL-safe base64 characters

    async def introspect(self, rt: Runtime, snapshot: Snapshot, token: str, now: float,
                         caller: str) -> dict[str, Any] | None:
        digest = rt.state.token_key(token)
        record = await rt.state.get_token(digest)
        if record is None or record.expires_at <= now:
            return None
        atm = snapshot.atms.get(record.atm_id)
        if not isinstance(atm, ReferenceAtm) or not atm.allows(caller):
            return None
        expires_at = record.expires_at
        new_expiry = atm.policy.extended_expiry(record, now)
        if new_expiry is not None and await rt.state.extend_token(digest, new_expiry):
            expires_at = new_expiry
        payload: dict[str, Any] = {"active": True}
        if record.scope:
            payload["scope"] = record.scope
        payload["client_id"] = record.client_id
        payload["token_type"] = "Bearer"
        payload["exp"] = int(expires_at)
        payload["iat"] = int(record.issued_at)
        for name, value in record.attributes.items():
            if name not in RESERVED:
                payload[name] = value
        return payload

    async def revoke(self, rt: Runtime, snapshot: Snapshot, token: str, client_id: str,
                     now: float) -> RevokeOutcome:
        digest = rt.state.token_key(token)
        record = await rt.state.get_token(digest)
        if record is None:
            return RevokeOutcome.NOT_FOUND
        if record.client_id != client_id:
            return RevokeOutcome.NOT_YOURS
        await rt.state.delete_token(digest)
        return RevokeOutcome.REVOKED


TYPE = ReferenceType()

"""Configure a Tokensmith server for the benchmark through its admin API, and talk OAuth to it.

What is created: a reference access token manager ``ref`` with one extended attribute ``cid``, a
CLIENT_CREDENTIALS mapping that fills ``cid`` from the client id, the scope ``read``, and the client
``bench`` (client credentials plus token validation, secret authentication).

On a fresh server every call is the plain create. Against an already running server (``--url``)
existing objects are kept where that is harmless: the manager and a CLIENT_CREDENTIALS mapping are
left as they are, the scope ``read`` is added to the existing settings, and the client ``bench`` is
replaced so that its secret is known.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_BASE = "/pf-admin-api/v1"
XSRF = {"X-XSRF-Header": "PingFederate"}
REFERENCE_PLUGIN = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"
CLIENT_ID = "bench"
CLIENT_SECRET = "bench-secret-0123456789"
SCOPE = "read"
TOKEN_PATH = "/as/token.oauth2"
INTROSPECT_PATH = "/as/introspect.oauth2"
FORM = "application/x-www-form-urlencoded"

ATM = {
    "id": "ref",
    "name": "Reference",
    "pluginDescriptorRef": {"id": REFERENCE_PLUGIN},
    "configuration": {},
    "attributeContract": {"extendedAttributes": [{"name": "cid"}]},
}
MAPPING = {
    "context": {"type": "CLIENT_CREDENTIALS"},
    "accessTokenManagerRef": {"id": "ref"},
    "attributeContractFulfillment": {"cid": {"source": {"type": "CONTEXT"}, "value": "ClientId"}},
}
AUTH_SERVER_SETTINGS = {
    "authorizationCodeEntropy": 30,
    "authorizationCodeTimeout": 60,
    "refreshRollingInterval": 0,
    "refreshTokenLength": 42,
    "scopes": [{"name": SCOPE, "description": SCOPE}],
}
GRANT_TYPES = ["CLIENT_CREDENTIALS", "ACCESS_TOKEN_VALIDATION"]


class AdminError(RuntimeError):
    """An admin API call answered something the benchmark cannot work with."""


def basic_auth(user: str, password: str) -> str:
    """The value of an ``Authorization: Basic`` header (RFC 7617; the client's id and secret here
    contain no characters that RFC 6749 §2.3.1's form-encoding would change)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


CLIENT_AUTHORIZATION = basic_auth(CLIENT_ID, CLIENT_SECRET)


def client_body() -> dict[str, Any]:
    return {"clientId": CLIENT_ID, "name": CLIENT_ID, "grantTypes": GRANT_TYPES,
            "clientAuth": {"type": "SECRET", "secret": CLIENT_SECRET}}


def _check(response: httpx.Response, what: str, *ok: int) -> httpx.Response:
    if response.status_code not in ok:
        raise AdminError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response


@dataclass
class Configured:
    """What :func:`configure` did, for the results file."""

    actions: list[str]


def configure(admin_url: str, user: str, password: str, fresh: bool) -> Configured:
    """Create the manager, mapping, scope and client the scenarios need."""
    actions: list[str] = []
    headers = {**XSRF, "Content-Type": "application/json"}
    with httpx.Client(base_url=admin_url + ADMIN_BASE, auth=(user, password), headers=headers,
                      timeout=30.0) as api:
        # access token manager
        if not fresh and api.get("/oauth/accessTokenManagers/ref").status_code == 200:
            actions.append("access token manager 'ref' exists: kept")
        else:
            _check(api.post("/oauth/accessTokenManagers", json=ATM), "create access token manager", 200, 201)
            actions.append("created access token manager 'ref'")

        # mapping
        existing: list[Any] = []
        if not fresh:
            listed = _check(api.get("/oauth/accessTokenMappings"), "list access token mappings", 200).json()
            existing = listed if isinstance(listed, list) else listed.get("items", [])
        if any(m.get("context", {}).get("type") == "CLIENT_CREDENTIALS" for m in existing):
            actions.append("a CLIENT_CREDENTIALS mapping exists: kept")
        else:
            _check(api.post("/oauth/accessTokenMappings", json=MAPPING), "create access token mapping", 200, 201)
            actions.append("created CLIENT_CREDENTIALS mapping to 'ref'")

        # authorization server settings: the scope "read"
        if fresh:
            _check(api.put("/oauth/authServerSettings", json=AUTH_SERVER_SETTINGS),
                   "update authorization server settings", 200)
            actions.append("set authorization server settings with scope 'read'")
        else:
            current = _check(api.get("/oauth/authServerSettings"), "read authorization server settings", 200).json()
            scopes = current.get("scopes") or []
            if any(s.get("name") == SCOPE for s in scopes):
                actions.append("scope 'read' exists: kept")
            else:
                current["scopes"] = [*scopes, {"name": SCOPE, "description": SCOPE}]
                _check(api.put("/oauth/authServerSettings", json=current), "add scope 'read'", 200)
                actions.append("added scope 'read' to the existing settings")

        # client
        created = api.post("/oauth/clients", json=client_body())
        if created.status_code in (200, 201):
            actions.append("created client 'bench'")
        elif not fresh and api.get(f"/oauth/clients/{CLIENT_ID}").status_code == 200:
            _check(api.put(f"/oauth/clients/{CLIENT_ID}", json=client_body()), "replace client 'bench'", 200)
            actions.append("client 'bench' existed: replaced (to know its secret)")
        else:
            _check(created, "create client 'bench'", 200, 201)
    return Configured(actions)


# JWT managers for the jwt-* scenarios: scenario name -> (manager id, configuration).
JWT_PLUGIN = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"
JWT_HS256_KEY = "YmVuY2gtaHMyNTYta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5"  # 42 bytes, base64url
JWT_AES256_KEY = "YmVuY2gtYWVzMjU2LWtleS0wMTIzNDU2Nzg5YWJjZGU"  # 32 bytes, base64url


def _jwt_config(fields: dict[str, str], symmetric: dict[str, str] | None = None,
                certificates: dict[str, str] | None = None) -> dict[str, Any]:
    def row(**cells: str) -> dict[str, Any]:
        return {"fields": [{"name": k.replace("_", " "), "value": v} for k, v in cells.items()]}

    return {"fields": [{"name": k, "value": v} for k, v in fields.items()],
            "tables": [{"name": "Symmetric Keys", "rows": [row(Key_ID=k, Key=v, Encoding="b64u")
                                                           for k, v in (symmetric or {}).items()]},
                       {"name": "Certificates", "rows": [row(Key_ID=k, Certificate=v)
                                                         for k, v in (certificates or {}).items()]}]}


JWT_MANAGERS: dict[str, dict[str, Any]] = {
    "jwt-hs256": _jwt_config({"JWS Algorithm": "HS256", "Active Symmetric Key ID": "bench-hs"},
                             symmetric={"bench-hs": JWT_HS256_KEY}),
    "jwt-rs256": _jwt_config({"JWS Algorithm": "RS256", "Active Signing Certificate Key ID": "bench-rsa"},
                             certificates={"bench-rsa": "bench-rsa"}),
    "jwt-es256": _jwt_config({"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "bench-ec"},
                             certificates={"bench-ec": "bench-ec"}),
    # signed (ES256) then encrypted (A256KW key wrap, A256GCM content encryption)
    "jwt-jwe": _jwt_config({"JWS Algorithm": "ES256", "Active Signing Certificate Key ID": "bench-ec2",
                            "JWE Algorithm": "A256KW", "JWE Content Encryption Algorithm": "A256GCM",
                            "Active Symmetric Encryption Key ID": "bench-aes"},
                           symmetric={"bench-aes": JWT_AES256_KEY}, certificates={"bench-ec2": "bench-ec"}),
}
KEY_PAIRS = {"bench-rsa": {"keyAlgorithm": "RSA", "keySize": 2048}, "bench-ec": {"keyAlgorithm": "EC", "keySize": 256}}


def atm_id(scenario: str) -> str:
    return scenario.replace("-", "")


def configure_jwt(admin_url: str, user: str, password: str, scenarios: list[str]) -> list[str]:
    """Create the key pairs and JWT managers of the chosen jwt-* scenarios (kept when they exist)."""
    actions: list[str] = []
    headers = {**XSRF, "Content-Type": "application/json"}
    with httpx.Client(base_url=admin_url + ADMIN_BASE, auth=(user, password), headers=headers,
                      timeout=60.0) as api:
        for pair_id, settings in KEY_PAIRS.items():
            if api.get(f"/keyPairs/signing/{pair_id}").status_code == 200:
                continue
            _check(api.post("/keyPairs/signing/generate", json={
                "id": pair_id, "commonName": pair_id, "organization": "Bench", "country": "US", "validDays": 30,
                **settings}), f"generate key pair {pair_id}", 201)
            actions.append(f"generated key pair '{pair_id}'")
        for scenario in scenarios:
            manager = atm_id(scenario)
            if api.get(f"/oauth/accessTokenManagers/{manager}").status_code == 200:
                actions.append(f"access token manager '{manager}' exists: kept")
                continue
            body = {"id": manager, "name": scenario, "pluginDescriptorRef": {"id": JWT_PLUGIN},
                    "configuration": JWT_MANAGERS[scenario]}
            _check(api.post("/oauth/accessTokenManagers", json=body), f"create access token manager {manager}", 201)
            actions.append(f"created JWT access token manager '{manager}'")
    return actions


def runtime_client(url: str) -> httpx.Client:
    """A keep-alive client for the runtime endpoints, authenticated as the bench client."""
    return httpx.Client(base_url=url, headers={"Authorization": CLIENT_AUTHORIZATION, "Content-Type": FORM},
                        timeout=10.0)


def issue_token(client: httpx.Client, atm: str | None = None) -> str:
    extra = f"&access_token_manager_id={atm}" if atm else ""
    response = client.post(TOKEN_PATH, content=f"grant_type=client_credentials&scope={SCOPE}{extra}")
    if response.status_code != 200:
        raise AdminError(f"token request: HTTP {response.status_code} {response.text[:300]}")
    token = response.json().get("access_token")
    if not isinstance(token, str) or not token:
        raise AdminError(f"token response without access_token: {response.text[:300]}")
    return token


def issue_tokens(url: str, count: int, atm: str | None = None) -> list[str]:
    with runtime_client(url) as client:
        return [issue_token(client, atm) for _ in range(count)]


@dataclass
class IntrospectionCheck:
    checked: int
    active: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.checked == self.active and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "active": self.active, "ok": self.ok, "problems": self.problems[:10]}


def check_introspection(url: str, tokens: list[str], sample: int, rng: random.Random) -> IntrospectionCheck:
    """Introspect a random sample of ``tokens``; each must be active, with the bench client's id."""
    chosen = rng.sample(tokens, min(sample, len(tokens)))
    active = 0
    problems: list[str] = []
    with runtime_client(url) as client:
        for token in chosen:
            response = client.post(INTROSPECT_PATH, data={"token": token})
            body: Any = None
            if response.status_code == 200:
                try:
                    body = response.json()
                except ValueError:
                    body = None
            if isinstance(body, dict) and body.get("active") is True and body.get("client_id") == CLIENT_ID:
                active += 1
            else:
                problems.append(f"token …{token[-6:]}: HTTP {response.status_code} {response.text[:200]}")
    return IntrospectionCheck(len(chosen), active, problems)

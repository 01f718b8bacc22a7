"""Property-based checks: no input that fits on the wire makes either listener answer 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE, Admin, Runtime

TEXT = st.text(max_size=30)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
PARAMS = st.sampled_from(["grant_type", "scope", "client_id", "client_secret", "username", "password",
                          "refresh_token", "token", "token_type_hint", "resource", "aud",
                          "access_token_manager_id"])
FORM_VALUES = st.one_of(st.sampled_from(["client_credentials", "password", "refresh_token", "app", "read",
                                         "app-secret-0123456789", ""]), TEXT)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(form=st.dictionaries(PARAMS, FORM_VALUES, max_size=6),
       path=st.sampled_from(["/as/token.oauth2", "/as/introspect.oauth2", "/as/revoke_token.oauth2"]),
       auth=st.sampled_from([None, ("app", "app-secret-0123456789"), ("app", "x"), ("", "")]))
async def test_runtime_endpoints_never_fail_with_500(runtime: Runtime, admin: Admin, form: dict[str, str],
                                                     path: str, auth: tuple[str, str] | None) -> None:
    if (await admin.get("/oauth/clients/app")).status_code == 404:
        await admin.reference_atm()
        await admin.scopes(common=("read",))
        await admin.client_app(grants=("CLIENT_CREDENTIALS", "ACCESS_TOKEN_VALIDATION", "REFRESH_TOKEN"))
    response = await runtime.post(path, form, auth)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "error" in response.json()


@FUZZ
@given(body=st.one_of(JSON, st.fixed_dictionaries(
    {"id": TEXT, "name": TEXT, "pluginDescriptorRef": st.fixed_dictionaries({"id": st.just(REFERENCE)}),
     "configuration": st.fixed_dictionaries({"fields": st.lists(st.fixed_dictionaries(
         {"name": st.sampled_from(["Token Length", "Token Lifetime", "Maximum Token Lifetime", "RPC Timeout",
                                   "Lifetime Extension Policy", "Expand Scope Groups", "x"]),
          "value": TEXT}), max_size=4)})})),
       path=st.sampled_from(["/oauth/accessTokenManagers", "/oauth/clients", "/oauth/accessTokenMappings",
                             "/oauth/authServerSettings", "/passwordCredentialValidators",
                             "/oauth/authServerSettings/scopes/commonScopes"]))
async def test_admin_api_never_fails_with_500(admin: Admin, body: Any, path: str) -> None:
    method = "PUT" if path == "/oauth/authServerSettings" else "POST"
    response = await admin.request(method, path, body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "resultId" in response.json()

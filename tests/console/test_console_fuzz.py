"""Property-based: no console page answers 500 to any form its pages can post, whatever the values."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE, SIMPLE_PCV, Admin
from tests.console.conftest import ConsoleClient

TEXT = st.text(max_size=24)
VALUE = st.one_of(TEXT, st.sampled_from(["", "true", "false", "0", "-1", "22", "99999999999999", "ref", "app",
                                         "RSA", "EC", "256", "2048", "PKCS12", "PEM", "SECRET", "NONE", "CONTEXT",
                                         "TEXT", "ClientId", "PCV", "DEFAULT", "CLIENT_CREDENTIALS", "ALL",
                                         "OVERRIDE_SERVER_DEFAULT", "INDEFINITE_EXPIRY", "YES", "code",
                                         "https://[x/", "https://*.app.example/*", REFERENCE, SIMPLE_PCV, "read", "cid",
                                         "add:configuration.tables[Users].rows", "remove:x:0", "refresh",
                                         "add:attributeContract.extendedAttributes",
                                         "remove:attributeContract.extendedAttributes:0",
                                         "add:issuanceCriteria.conditionalCriteria",
                                         "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator",
                                         "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor",
                                         "SAML_SUBJECT", "TOKEN", "ASSERTION", "gen", "proc",
                                         "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"]))
ROWS = "configuration.tables[Users].rows"
SAML20 = "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator"
NAMES = {
    "/oauth/access-token-managers/new": [
        "id", "name", "pluginDescriptorRef.id", "parentRef.id", "configuration.fields[Token Length]",
        "configuration.fields[Token Lifetime]", "configuration.fields[Maximum Token Lifetime]",
        "configuration.fields[Lifetime Extension Policy]", "configuration.fields[Expand Scope Groups]",
        "configuration.fields[Nope]", "attributeContract.extendedAttributes[0].name",
        "attributeContract.extendedAttributes[1].multiValued", "attributeContract.defaultSubjectAttribute",
        "selectionSettings.resourceUris", "accessControlSettings.restrictClients",
        "accessControlSettings.allowedClients", "_action"],
    "/oauth/access-token-managers/edit?id=ref": [
        "name", "configuration.fields[Token Length]", "configuration.fields[RPC Timeout]",
        "attributeContract.extendedAttributes[0].name", "selectionSettings.resourceUris",
        "accessControlSettings.allowedClients", "_action"],
    "/oauth/access-token-managers/default": ["defaultAccessTokenManagerRef.id"],
    "/oauth/access-token-managers/delete?id=ref": ["_action"],
    "/authentication/password-credential-validators/new": [
        "id", "name", "pluginDescriptorRef.id", f"{ROWS}[0].fields[Username]", f"{ROWS}[0].fields[Password]",
        f"{ROWS}[0].fields[Confirm Password]", f"{ROWS}[0]._orig", f"{ROWS}[1].fields[Relax Password Requirements]",
        f"{ROWS}[9999].fields[Username]", "attributeContract.extendedAttributes[0].name", "_action"],
    "/oauth/clients/new": [
        "clientId", "name", "description", "enabled", "grantTypes", "clientAuth.type", "clientAuth.secret",
        "_generate", "defaultAccessTokenManagerRef.id", "restrictToDefaultAccessTokenManager", "restrictScopes",
        "restrictedScopes", "exclusiveScopes", "redirectUris", "refreshRolling", "clientSecretRetentionPeriodType",
        "clientSecretRetentionPeriod", "requireProofKeyForCodeExchange", "bypassApprovalPage",
        "restrictedResponseTypes", "requirePushedAuthorizationRequests", "persistentGrantExpirationType",
        "persistentGrantExpirationTime", "persistentGrantExpirationTimeUnit",
        "requireOfflineAccessScopeToIssueRefreshTokens", "offlineAccessRequireConsentPrompt", "deviceFlowSettingType",
        "userAuthorizationUrlOverride", "pendingAuthorizationTimeoutOverride", "devicePollingIntervalOverride",
        "bypassActivationCodeConfirmationOverride"],
    "/oauth/clients/edit?id=app": ["name", "grantTypes", "clientAuth.type", "clientAuth.secret", "restrictedScopes",
                                   "clientSecretRetentionPeriodType", "clientSecretRetentionPeriod"],
    "/oauth/clients/secret?id=app": ["secret", "_generate"],
    "/oauth/scopes/add?collection=commonScopes": ["name", "description", "dynamic"],
    "/oauth/scopes/add?collection=commonScopeGroups": ["name", "description", "scopes"],
    "/oauth/scopes/add?collection=nonsense": ["name"],
    "/oauth/scopes/delete?collection=commonScopes&name=read": [],
    "/oauth/authorization-server-settings": [
        "refreshTokenLength", "persistentGrantLifetime", "clientSecretRetentionPeriod", "rollRefreshTokenValues",
        "atmIdForOAuthGrantManagement", "defaultScopeDescription", "scopeForOAuthGrantManagement",
        "adminWebServicePcvRef.id", "bypassAuthorizationForApprovedGrants", "allowedOrigins"],
    "/oauth/grants/revoke?id=nothing": ["_action"],
    "/oauth/access-token-mappings/new": [
        "context.type", "context.contextRef.id", "accessTokenManagerRef.id", "attributeContractFulfillment._names",
        "attributeContractFulfillment.cid.source.type", "attributeContractFulfillment.cid.value",
        "issuanceCriteria.conditionalCriteria[0].source.type", "issuanceCriteria.conditionalCriteria[0].condition",
        "issuanceCriteria.conditionalCriteria[0].attributeName", "_action"],
    "/security/signing-key-pairs/generate": [
        "id", "commonName", "organization", "country", "validDays", "keyAlgorithm", "keySize", "signatureAlgorithm",
        "subjectAlternativeNames"],
    "/security/signing-key-pairs/import": ["id", "format", "password", "fileText"],
    "/token-exchange/token-generators/new": [
        "id", "name", "pluginDescriptorRef.id", "parentRef.id", "configuration.fields[Issuer]",
        "configuration.fields[Signing Certificate]", "configuration.fields[Signing Algorithm]",
        "configuration.fields[Minutes Before]", "configuration.fields[Confirmation Method]",
        "configuration.fields[Issuer].inherited", "attributeContract.extendedAttributes[0].name", "_action"],
    "/token-exchange/token-processors/new": [
        "id", "name", "pluginDescriptorRef.id", "configuration.fields[Authentication Attempts]",
        "configuration.tables[Credential Validators].rows[0].fields[Password Credential Validator Instance]",
        "configuration.fields[JWKS Endpoint URI]", "configuration.fields[Issuer]", "_action"],
    "/token-exchange/token-mappings/new": [
        "sourceId", "targetId", "attributeContractFulfillment._names",
        "attributeContractFulfillment.SAML_SUBJECT.value",
        "attributeContractFulfillment.SAML_SUBJECT.source.type", "issuanceCriteria.conditionalCriteria[0].condition",
        "_action"],
    "/token-exchange/sts-connections/new": [
        "id", "name", "entityId", "active", "credentials.certs", "wsTrust.generateLocalToken",
        "wsTrust.attributeContract.extendedAttributes[0].name",
        "wsTrust.tokenGeneratorMappings[0].spTokenGeneratorRef.id",
        "wsTrust.tokenGeneratorMappings[0].attributeContractFulfillment._names",
        "wsTrust.tokenGeneratorMappings[0].attributeContractFulfillment.SAML_SUBJECT.source.type", "_action"],
    "/system/general-settings": ["disableAutomaticConnectionValidation"],
    "/token-exchange/token-generators/edit?id=gen": [
        "name", "configuration.fields[Issuer]", "configuration.fields[Signing Certificate]",
        "configuration.fields[Signing Algorithm]", "attributeContract.extendedAttributes[0].name", "_action"],
}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


async def _prepare(admin: Admin) -> None:
    if (await admin.get("/oauth/clients/app")).status_code == 404:
        await admin.reference_atm(attributes=("cid",))
        await admin.scopes(common=("read",))
        await admin.client_app()
        await admin.ok("POST", "/keyPairs/signing/generate", {
            "id": "signer", "commonName": "signer", "organization": "Example", "country": "US", "validDays": 30,
            "keyAlgorithm": "RSA"})
        await admin.ok("POST", "/sp/tokenGenerators", {
            "id": "gen", "name": "Generator", "pluginDescriptorRef": {"id": SAML20},
            "configuration": {"fields": [{"name": "Issuer", "value": "https://sts.example"},
                                         {"name": "Signing Certificate", "value": "signer"}]}})


@FUZZ
@given(path=st.sampled_from(sorted(NAMES)), data=st.data())
async def test_no_console_form_post_answers_500(console: ConsoleClient, admin: Admin, path: str,
                                                data: st.DataObject) -> None:
    await _prepare(admin)
    names = NAMES[path]
    form = data.draw(st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))) if names else {}
    response = await console.post(path, form)
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 303, 400, 404, 422), response.status_code


@FUZZ
@given(path=st.sampled_from(["/oauth/access-token-managers/edit", "/oauth/access-token-managers/usage",
                             "/oauth/access-token-managers/delete", "/oauth/access-token-managers/new",
                             "/oauth/clients/edit", "/oauth/clients/secret", "/oauth/clients/delete",
                             "/oauth/access-token-mappings/edit", "/oauth/access-token-mappings/new",
                             "/security/signing-key-pairs/certificate", "/security/signing-key-pairs/usage",
                             "/authentication/password-credential-validators/edit",
                             "/token-exchange/token-generators/edit", "/token-exchange/token-generators/usage",
                             "/token-exchange/token-generators/new", "/token-exchange/token-processors/delete",
                             "/token-exchange/token-mappings/edit", "/token-exchange/token-mappings/new",
                             "/token-exchange/sts-connections/edit", "/token-exchange/sts-connections/delete"]),
       key=st.sampled_from(["id", "type", "context", "atm", "validator", "source", "target"]), value=VALUE)
async def test_no_console_page_answers_500_to_any_query(console: ConsoleClient, admin: Admin, path: str, key: str,
                                                        value: str) -> None:
    await _prepare(admin)
    response = await console.get(path, params={key: value})
    assert response.status_code in (200, 404), (response.status_code, response.text)

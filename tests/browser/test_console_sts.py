"""The issue's scenario in a real browser: a JWT access token manager signing with a key pair
generated in the console, a SAML 2.0 token generator, a token-to-token mapping that uses it, Check
Usage, a refused delete, broken mappings flagged (and the switch that defers the check), deleting
the mapping and then the generator; and an STS connection."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Console
from tokensmith.web.console.web import field_id

pytestmark = pytest.mark.system
SIMPLE_PCV = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"
SAML20 = "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator"
USERNAME = "com.pingidentity.pf.tokenprocessors.username.UsernameTokenProcessor"
GENERATORS = "/token-exchange/token-generators"
PROCESSORS = "/token-exchange/token-processors"
MAPPINGS = "/token-exchange/token-mappings"
JWT = "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"


def _validator(admin: Any) -> None:
    body = {"id": "stsusers", "name": "STS users", "pluginDescriptorRef": {"id": SIMPLE_PCV},
            "configuration": {"tables": [{"name": "Users", "rows": [{"fields": [
                {"name": "Username", "value": "alice"}, {"name": "Password", "value": "alice-password-1"},
                {"name": "Confirm Password", "value": "alice-password-1"}]}]}]}}
    response = admin.post("/passwordCredentialValidators", json=body)
    assert response.status_code == 201, response.text


def test_generator_mapping_usage_refused_delete_and_cleanup(console: Console) -> None:
    page = console.page
    console.login()
    with console.server.admin() as admin:
        _validator(admin)

    # A signing key pair generated in the console.
    console.go("/security/signing-key-pairs/generate")
    console.field("commonName").fill("sts-signer.example")
    console.field("organization").fill("Example")
    console.field("country").fill("US")
    console.field("id").fill("sts-signer")
    page.get_by_role("button", name="Create").click()
    assert "Key pair 'sts-signer' generated." in console.flash()

    # A JWT access token manager signing RS256 with a second key pair generated in the console.
    console.go("/security/signing-key-pairs/generate")
    console.field("commonName").fill("jwt-signer.example")
    console.field("organization").fill("Example")
    console.field("country").fill("US")
    console.field("id").fill("jwt-signer")
    page.get_by_role("button", name="Create").click()
    assert "Key pair 'jwt-signer' generated." in console.flash()
    console.go("/oauth/access-token-managers/new")
    page.get_by_role("link", name="JSON Web Tokens").click()
    console.field("name").fill("JWT Manager")
    console.field("id").fill("jwtmgr")
    algorithms = console.field("configuration.fields[JWS Algorithm]")
    labels = algorithms.locator("option").all_inner_texts()
    assert [t for t in labels if t.strip().lower() in ("none", "— none —")] == ["None"], labels
    assert "ECDSA using P-521 and SHA-512 (ES512)" in labels and not any("P-512" in t for t in labels)
    algorithms.select_option("RS256")
    # a new form has no blank rows in optional tables: nothing suggests Symmetric Keys are required
    assert page.locator("#" + field_id("configuration.tables[Symmetric Keys]")).get_by_text("No rows.").is_visible()
    page.get_by_role("button", name="Add a row to Certificates").click()
    certs = "configuration.tables[Certificates].rows[0].fields"
    console.field(f"{certs}[Key ID]").fill("k1")
    choice = console.field(f"{certs}[Certificate]")
    assert any(t.startswith("jwt-signer — CN=jwt-signer.example") and "RSA 2048, expires 20" in t
               for t in choice.locator("option").all_inner_texts()), choice.locator("option").all_inner_texts()
    choice.select_option("jwt-signer")
    page.get_by_role("button", name="Save").click()  # no active signing key chosen yet
    assert "Active Signing Certificate Key ID" in console.error_at(
        "configuration.fields[Active Signing Certificate Key ID]")
    # the banner links each problem to its field
    link = page.locator(".error-summary a", has_text="Active Signing Certificate Key ID")
    assert link.get_attribute("href") == "#" + field_id("configuration.fields[Active Signing Certificate Key ID]")
    link.click()
    assert page.evaluate("location.hash") == "#" + field_id("configuration.fields[Active Signing Certificate Key ID]")
    console.shot("65-jwt-manager-error")
    console.field("configuration.fields[Active Signing Certificate Key ID]").fill("k1")
    console.field(f"{certs}[Certificate]").select_option("jwt-signer")
    page.get_by_role("button", name="Save").click()
    assert "Access token manager 'JWT Manager' created." in console.flash()
    with console.server.admin() as admin:
        jwt = admin.get("/oauth/accessTokenManagers/jwtmgr").json()
        assert jwt["pluginDescriptorRef"]["id"] == JWT
        rows = next(t for t in jwt["configuration"]["tables"] if t["name"] == "Certificates")["rows"]
        assert [(f["name"], f.get("value")) for f in rows[0]["fields"]] == [("Key ID", "k1"),
                                                                            ("Certificate", "jwt-signer")]
        assert not next(t for t in jwt["configuration"]["tables"] if t["name"] == "Symmetric Keys")["rows"]
    console.go("/security/signing-key-pairs")
    console.row("jwt-signer").get_by_role("link", name="Delete").click()
    assert "jwtmgr" in page.locator(".error-summary").inner_text()  # the manager uses it

    # A SAML 2.0 token generator that signs with the first key pair.
    console.go(GENERATORS)
    console.shot("70-generators-empty")
    page.get_by_role("link", name="Create New Instance").click()
    page.get_by_role("link", name="SAML 2.0 Token Generator").click()
    console.field("name").fill("SAML 2 Generator")
    console.field("id").fill("saml2gen")
    page.get_by_role("button", name="Save").click()
    assert "Issuer: a value is required" in console.error_at("configuration.fields[Issuer]")
    assert "required" in console.error_at("configuration.fields[Signing Certificate]")
    console.shot("71-generator-errors")
    console.field("configuration.fields[Issuer]").fill("https://sts.example")
    console.field("configuration.fields[Signing Certificate]").select_option("sts-signer")
    page.get_by_role("button", name="Add an attribute").click()
    console.field("attributeContract.extendedAttributes[0].name").fill("role")
    console.shot("72-generator-form")
    page.get_by_role("button", name="Save").click()
    assert "Token generator 'SAML 2 Generator' created." in console.flash()

    # A username token processor checking the validator, then a mapping from it to the generator.
    console.go(PROCESSORS + "/new?type=" + USERNAME)
    console.field("name").fill("Username Processor")
    console.field("id").fill("userproc")
    console.field("configuration.tables[Credential Validators].rows[0].fields[Password Credential Validator "
                  "Instance]").select_option("stsusers")
    page.get_by_role("button", name="Save").click()
    assert "Token processor 'Username Processor' created." in console.flash()

    console.go(MAPPINGS)
    page.get_by_role("link", name="Add Mapping").click()
    console.field("sourceId").select_option("userproc")
    console.field("targetId").select_option("saml2gen")
    page.get_by_role("button", name="Show the attributes").click()
    console.field("attributeContractFulfillment.SAML_SUBJECT.source.type").select_option("TOKEN")
    console.field("attributeContractFulfillment.SAML_SUBJECT.value").fill("nobody")
    console.field("attributeContractFulfillment.role.source.type").select_option("TEXT")
    console.field("attributeContractFulfillment.role.value").fill("admin")
    page.get_by_role("button", name="Save").click()
    assert "is not an attribute of the token processor" in console.error_at(
        "attributeContractFulfillment.SAML_SUBJECT.value")
    console.field("attributeContractFulfillment.SAML_SUBJECT.value").fill("username")
    page.get_by_role("button", name="Save").click()
    assert "Token-to-token mapping saved." in console.flash()
    console.shot("73-token-mappings")

    # Check Usage lists the mapping; Delete is refused with it as the reason.
    console.go(GENERATORS)
    console.shot("74-generators")
    row = console.row("SAML 2 Generator")
    assert "SAML 2.0 Token Generator" in row.inner_text()
    row.get_by_role("link", name="Check Usage").click()
    assert "Token processor to token generator mapping 'userproc|saml2gen'" in page.inner_text("main")
    console.shot("75-generator-check-usage")
    console.go(GENERATORS)
    console.row("SAML 2 Generator").get_by_role("link", name="Delete").click()
    reasons = page.locator(".error-summary").inner_text()
    assert "cannot be deleted" in reasons and "userproc|saml2gen" in reasons
    console.shot("76-generator-delete-refused")

    # A contract change that breaks the mapping is reported on save and flagged in the listings.
    console.go(GENERATORS)
    page.get_by_role("link", name="SAML 2 Generator").click()
    page.get_by_role("button", name="Add an attribute").click()
    console.field("attributeContract.extendedAttributes[1].name").fill("department")
    page.get_by_role("button", name="Save").click()
    assert "no longer fits" in console.flash() and "department" in console.flash()
    assert "userproc|saml2gen" in page.locator(".broken-list").inner_text()
    console.shot("77-generators-broken")
    console.go(MAPPINGS)
    assert "Broken" in console.row("userproc|saml2gen").inner_text()
    assert "needs a fulfilment" in console.row("userproc|saml2gen").inner_text()

    # With automatic validation off, the generator listing no longer checks every mapping.
    console.go("/system/general-settings")
    page.get_by_label("Disable automatic connection validation").check()
    page.get_by_role("button", name="Save").click()
    assert "General settings saved." in console.flash()
    console.shot("78-general-settings")
    console.go(GENERATORS)
    assert page.locator(".broken-list").count() == 0
    assert "Automatic connection validation is off" in page.inner_text("main")
    console.go("/system/general-settings")
    page.get_by_label("Disable automatic connection validation").uncheck()
    page.get_by_role("button", name="Save").click()

    # Delete the mapping, then the generator goes.
    console.go(MAPPINGS)
    console.row("userproc|saml2gen").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    assert "deleted" in console.flash()
    console.go(GENERATORS)
    console.row("SAML 2 Generator").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    assert "Token generator 'SAML 2 Generator' deleted." in console.flash()
    assert console.row("SAML 2 Generator").count() == 0
    with console.server.admin() as admin:
        assert admin.get("/sp/tokenGenerators/saml2gen").status_code == 404


def test_sts_connection_with_a_generator_mapping(console: Console) -> None:
    page = console.page
    console.login()
    with console.server.admin() as admin:
        response = admin.post("/sp/tokenGenerators", json={
            "id": "conngen", "name": "Connection Generator", "pluginDescriptorRef": {"id": SAML20},
            "configuration": {"fields": [{"name": "Issuer", "value": "https://sts.example"},
                                         {"name": "Signing Certificate", "value": "sts-signer"}]}})
        assert response.status_code == 201, response.text
        pem = admin.get("/keyPairs/signing/sts-signer/certificate").text
    console.go("/token-exchange/sts-connections")
    page.get_by_role("link", name="Add Connection").click()
    console.field("name").fill("Partner IdP")
    console.field("entityId").fill("https://partner.example")
    console.field("wsTrust.tokenGeneratorMappings[0].spTokenGeneratorRef.id").select_option("conngen")
    page.get_by_role("button", name="Show the attributes").click()
    page.get_by_role("button", name="Save").click()
    assert "verification certificate" in console.error_at("credentials.certs")
    console.shot("80-connection-errors")
    console.field("credentials.certs").fill(pem)
    console.field("wsTrust.tokenGeneratorMappings[0].attributeContractFulfillment.SAML_SUBJECT.source.type"
                  ).select_option("ASSERTION")
    console.field("wsTrust.tokenGeneratorMappings[0].attributeContractFulfillment.SAML_SUBJECT.value"
                  ).fill("TOKEN_SUBJECT")
    page.get_by_role("button", name="Save").click()
    assert "STS connection 'Partner IdP' saved." in console.flash()
    assert "OK" in console.row("Partner IdP").inner_text()
    console.shot("81-connections")
    console.row("Partner IdP").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    assert "deleted" in console.flash()

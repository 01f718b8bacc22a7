"""An administrator's day in the console, in a real browser against a real two-worker server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.browser.conftest import NARROW, WIDE, Console
from tests.keyfiles import openssl_key_and_cert, openssl_pkcs12

pytestmark = pytest.mark.system
REFERENCE = "org.sourceid.oauth20.token.plugin.impl.ReferenceBearerAccessTokenManagementPlugin"
SIMPLE_PCV = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"
ATMS = "/oauth/access-token-managers"


def _pkcs12(tmp: Path, password: str) -> Path:
    """A PKCS#12 file made by openssl (not by the service's own code)."""
    key, cert = openssl_key_and_cert(tmp, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                                     "/C=US/O=Example/CN=imported.example")
    path = tmp / "key.p12"
    path.write_bytes(openssl_pkcs12(tmp, key, cert, password))
    return path


def test_sign_in_with_throttled_wrong_password_then_sign_out(console: Console) -> None:
    page = console.page
    console.go("/oauth/clients")
    assert "/console/login" in page.url  # not signed in: sent to sign in, and back afterwards
    console.shot("01-login")
    console.login("not-the-password")
    assert page.locator(".error-summary").inner_text() == "The username or password is wrong."
    console.shot("02-login-wrong-password")
    console.login()
    assert page.url.endswith("/console/")
    page.get_by_role("heading", name="Overview").wait_for()
    console.shot("03-overview")
    page.get_by_role("button", name="Sign out").click()
    assert "You have signed out." in page.inner_text("main")
    console.go(ATMS)
    assert "/console/login" in page.url


def test_signing_key_pairs_generate_import_download_and_delete(console: Console, tmp_path: Path) -> None:
    page = console.page
    console.login()
    console.go("/security/signing-key-pairs")
    page.get_by_role("link", name="Create New").click()
    console.field("commonName").fill("signer.example")
    console.field("organization").fill("Example")
    console.field("country").fill("usa")
    console.field("id").fill("browser-signer")
    console.field("keyAlgorithm").select_option("EC")
    console.field("keySize").select_option("256")
    page.get_by_role("button", name="Create").click()
    assert "country must be a two-letter ISO 3166 code" in console.error_at("country")
    console.shot("10-keypair-generate-error")
    console.field("country").fill("US")
    page.get_by_role("button", name="Create").click()
    assert "Key pair 'browser-signer' generated." in console.flash()
    assert "CN=signer.example" in console.row("browser-signer").inner_text()

    with page.expect_download() as download_info:
        console.row("browser-signer").get_by_role("link", name="Certificate").click()
    pem = Path(download_info.value.path()).read_bytes()
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "signer.example"

    page.get_by_role("link", name="Import a key pair").click()
    console.field("fileData").set_input_files(str(_pkcs12(tmp_path, "file-password")))
    console.field("password").fill("wrong-password")
    console.field("id").fill("imported-key")
    page.get_by_role("button", name="Import").click()
    assert page.locator(".field-error").count() >= 1
    console.shot("11-keypair-import-error")
    console.field("fileData").set_input_files(str(tmp_path / "key.p12"))
    console.field("password").fill("file-password")
    console.field("id").fill("imported-key")
    page.get_by_role("button", name="Import").click()
    assert "Key pair 'imported-key' imported." in console.flash()
    assert "CN=imported.example" in console.row("imported-key").inner_text()
    console.shot("12-keypairs")

    console.row("imported-key").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    assert "Key pair 'imported-key' deleted." in console.flash()
    assert console.row("imported-key").count() == 0


def test_token_manager_client_scopes_mapping_and_refused_delete(console: Console) -> None:
    page = console.page
    console.login()
    console.go(ATMS)
    console.shot("20-atm-list-empty")
    page.get_by_role("link", name="Create New Instance").click()
    console.shot("21-atm-choose-type")
    console.go(ATMS + "/new?type=com.example.Misspelt")
    unknown = page.locator(".error-summary").inner_text()
    assert "No access token manager type com.example.Misspelt is installed" in unknown
    console.shot("21-atm-unknown-type")
    page.get_by_role("link", name="Internally Managed Reference Tokens").click()
    details = page.locator("details.advanced")
    assert details.get_attribute("open") is None  # advanced fields folded away
    assert console.field("configuration.fields[Token Lifetime]").input_value() == "120"  # defaults filled in
    console.field("name").fill("Browser Reference")
    console.field("id").fill("browserref")
    console.field("configuration.fields[Token Length]").fill("5")
    page.get_by_role("button", name="Add an attribute").click()
    console.field("attributeContract.extendedAttributes[0].name").fill("cid")
    console.field("selectionSettings.resourceUris").fill("not a uri")
    console.shot("22-atm-form")
    page.get_by_role("button", name="Save").click()
    assert "Token Length: must be between 22 and 256" in console.error_at("configuration.fields[Token Length]")
    assert "is not an absolute URI" in console.error_at("selectionSettings.resourceUris")
    assert console.field("attributeContract.extendedAttributes[0].name").input_value() == "cid"
    console.shot("23-atm-validation-errors")
    console.field("configuration.fields[Token Length]").fill("40")
    console.field("selectionSettings.resourceUris").fill("https://api.example/orders")
    page.get_by_text("Show advanced fields").click()
    console.field("configuration.fields[Lifetime Extension Policy]").select_option("ALL")
    page.get_by_role("button", name="Save").click()
    assert "Access token manager 'Browser Reference' created." in console.flash()
    console.shot("24-atm-list")

    console.go("/oauth/scopes")
    page.locator("#commonScopes").get_by_label("Name", exact=True).fill("read")
    page.locator("#commonScopes").get_by_label("Description").fill("Read things")
    page.locator("#commonScopes").get_by_role("button", name="Add").click()
    assert "'read' added." in console.flash()
    page.locator("#commonScopes").get_by_label("Name", exact=True).fill("bad scope")
    page.locator("#commonScopes").get_by_role("button", name="Add").click()
    assert "not a valid scope name" in page.locator("#commonScopes").inner_text()
    console.shot("30-scopes")

    console.go("/oauth/clients")
    page.get_by_role("link", name="Add Client").click()
    console.field("clientId").fill("has space")
    console.field("name").fill("Browser app")
    page.get_by_label("Generate a strong secret instead").check()
    page.get_by_role("button", name="Save").click()
    assert "clientId is required" in console.error_at("clientId")
    console.shot("31-client-error")
    console.field("clientId").fill("browserapp")
    page.get_by_label("Generate a strong secret instead").check()
    page.get_by_label("Access Token Validation (Client is a Resource Server)").check()
    page.locator('[name="restrictedScopes"][value="read"]').check()
    page.get_by_role("button", name="Save").click()
    secret = page.locator("#generated-secret").inner_text()
    assert len(secret) >= 40
    console.shot("32-client-secret-once")
    page.get_by_role("link", name="Done").click()
    assert secret not in page.content()
    console.row("browserapp").get_by_role("link", name="Modify").click()
    assert secret not in page.content()  # never shown again, not even encrypted
    assert "OBF:JWE" not in page.content()
    console.shot("33-client-edit")
    console.go("/oauth/clients/secret?id=browserapp")
    console.field("secret").fill("short")
    page.get_by_role("button", name="Set secret").click()
    assert "at least 8 characters" in console.error_at("secret")
    console.field("secret").fill("a-new-rotated-secret-value")
    page.get_by_role("button", name="Set secret").click()
    assert "has a new secret" in console.flash()

    with console.server.admin() as admin:  # the console wrote what the admin API reads
        atm = admin.get("/oauth/accessTokenManagers/browserref").json()
        fields = {f["name"]: f["value"] for f in atm["configuration"]["fields"]}
        assert fields["Token Length"] == "40" and fields["Lifetime Extension Policy"] == "ALL"
        assert atm["selectionSettings"]["resourceUris"] == ["https://api.example/orders"]
        client = admin.get("/oauth/clients/browserapp").json()
        assert client["restrictedScopes"] == ["read"] and client["clientAuth"]["type"] == "SECRET"

    console.go("/oauth/access-token-mappings")
    page.get_by_role("link", name="Add Mapping").click()
    console.field("context.type").select_option("CLIENT_CREDENTIALS")
    console.field("accessTokenManagerRef.id").select_option("browserref")
    page.get_by_role("button", name="Show the attributes").click()
    console.field("attributeContractFulfillment.cid.source.type").select_option("CONTEXT")
    console.field("attributeContractFulfillment.cid.value").fill("NoSuchValue")
    page.get_by_role("button", name="Save").click()
    assert "is not a context value" in console.error_at("attributeContractFulfillment.cid.value")
    console.field("attributeContractFulfillment.cid.value").fill("ClientId")
    page.get_by_role("button", name="Save").click()
    assert "Access token mapping saved." in console.flash()
    console.shot("40-mappings")

    console.go(ATMS)
    console.row("Browser Reference").get_by_role("link", name="Check Usage").click()
    assert "Access token mapping 'client_credentials|browserref' maps to it" in page.inner_text("main")
    console.shot("25-atm-check-usage")
    console.go(ATMS)
    console.row("Browser Reference").get_by_role("link", name="Delete").click()
    reasons = page.locator(".error-summary").inner_text()
    assert "is in use and cannot be deleted" in reasons and "client_credentials|browserref" in reasons
    assert page.get_by_role("button", name="Delete").count() == 0
    console.shot("26-atm-delete-refused")

    console.go("/oauth/access-token-mappings")
    console.row("browserref").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    assert "deleted" in console.flash()


def test_credential_validator_table_rows_and_cell_errors(console: Console) -> None:
    page = console.page
    console.login()
    console.go("/authentication/password-credential-validators/new?type=" + SIMPLE_PCV)
    console.field("name").fill("Browser users")
    console.field("id").fill("browserusers")
    rows = "configuration.tables[Users].rows"
    console.field(f"{rows}[0].fields[Username]").fill("alice")
    console.field(f"{rows}[0].fields[Password]").fill("alice-password-1")
    console.field(f"{rows}[0].fields[Confirm Password]").fill("alice-password-2")
    page.get_by_role("button", name="Add a row to Users").click()
    console.field(f"{rows}[1].fields[Username]").fill("bob")
    page.get_by_role("button", name="Add a row to Users").click()
    page.get_by_role("button", name="Remove row 3").click()
    assert console.field(f"{rows}[2].fields[Username]").count() == 0
    console.field(f"{rows}[0].fields[Password]").fill("alice-password-1")
    console.field(f"{rows}[0].fields[Confirm Password]").fill("alice-password-2")
    console.field(f"{rows}[1].fields[Password]").fill("bob-password-1")
    console.field(f"{rows}[1].fields[Confirm Password]").fill("bob-password-1")
    page.get_by_role("button", name="Save").click()
    assert "does not match" in console.error_at(f"{rows}[0].fields[Confirm Password]")
    console.shot("50-pcv-row-error")
    for i, password in ((0, "alice-password-1"), (1, "bob-password-1")):
        console.field(f"{rows}[{i}].fields[Password]").fill(password)
        console.field(f"{rows}[{i}].fields[Confirm Password]").fill(password)
    page.get_by_role("button", name="Save").click()
    assert "created" in console.flash()

    # Editing without retyping passwords keeps them; the stored hashes never reach the page.
    console.row("Browser users").get_by_role("link", name="Browser users").click()
    assert "argon2" not in page.content()
    assert console.field(f"{rows}[0].fields[Password]").get_attribute("placeholder") == "Stored — leave blank to keep"
    page.get_by_role("button", name="Save").click()
    assert "saved" in console.flash()
    with console.server.admin() as admin:
        users = admin.get("/passwordCredentialValidators/browserusers").json()["configuration"]["tables"][0]["rows"]
        assert [r["fields"][0]["value"] for r in users] == ["alice", "bob"]
        assert all(r["fields"][1]["encryptedValue"] for r in users)
    console.shot("51-pcv-list")


def test_pages_fit_a_narrow_window(console: Console) -> None:
    page = console.page
    console.login()
    page.set_viewport_size(NARROW)
    try:
        for path, name in ((ATMS, "60-narrow-atm-list"), (ATMS + "/new?type=" + REFERENCE, "61-narrow-atm-form"),
                           ("/oauth/clients", "62-narrow-clients"), ("/security/signing-key-pairs", "63-narrow-keys")):
            console.go(path)
            width: Any = page.evaluate("document.documentElement.scrollWidth")
            assert width <= NARROW["width"], f"{path} scrolls sideways ({width}px)"
            console.shot(name)
    finally:
        page.set_viewport_size(WIDE)


def test_every_page_in_the_navigation_renders_at_1280_by_800(console: Console) -> None:
    page = console.page
    console.login()
    links = page.locator("nav.sidenav a")
    paths = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    # 6 OAuth (with persistent grants); 8 token exchange (generators, processors, token-to-token mappings, STS and
    # SP connections, processor policies, generator groups, policy-to-generator mappings); validators, key pairs,
    # general settings
    assert len(paths) == 17
    for path in paths:
        response = page.goto(f"http://127.0.0.1:{console.server.admin_port}{path}")
        assert response is not None and response.status == 200, path
        assert page.locator("main h1").count() == 1, path
        width: Any = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDE["width"], f"{path} scrolls sideways ({width}px)"
        console.shot("90-page" + path.replace("/console", "").replace("/", "-"))

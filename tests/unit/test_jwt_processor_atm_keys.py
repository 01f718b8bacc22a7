"""The JWT token processor's "Access Token Manager" option verifies tokens with the key pairs of a JWT
access token manager's Certificates table (``kid`` = the row's Key ID), as that manager signs them."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk, jwt

from tests.stskit import JWT_PROC, signing_key
from tokensmith.config.model import ATM, TOKEN_PROCESSOR, ConfigModel
from tokensmith.keys.ring import KeyRing
from tokensmith.sts.processors.runtime import Incoming
from tokensmith.sts.runtime import build
from tokensmith.sts.tokens import TokenRefused

ATM_DOC = {
    "id": "jwtatm", "name": "JWT", "pluginDescriptorRef": {
        "id": "com.pingidentity.pf.access.token.management.plugins.JwtBearerAccessTokenManagementPlugin"},
    "configuration": {"tables": [
        {"name": "Symmetric Keys", "rows": []},
        {"name": "Certificates", "rows": [{"defaultRow": False, "fields": [
            {"name": "Key ID", "value": "k1"}, {"name": "Certificate", "value": "rsa2048"}]}]}],
        "fields": [{"name": "JWS Algorithm", "value": "RS256"},
                   {"name": "Active Signing Certificate Key ID", "value": "k1"},
                   {"name": "Issuer Claim Value", "value": "https://as.example"}]},
}


def _model() -> ConfigModel:
    model = ConfigModel()
    model.load(ATM, "jwtatm", ATM_DOC)
    model.load(TOKEN_PROCESSOR, "fromatm", {
        "id": "fromatm", "name": "From our manager", "pluginDescriptorRef": {"id": JWT_PROC},
        "configuration": {"tables": [], "fields": [
            {"name": "JWKS Endpoint URI", "value": ""}, {"name": "JWKS", "value": ""},
            {"name": "Access Token Manager", "value": "jwtatm"}, {"name": "Issuer", "value": "https://as.example"},
            {"name": "Audience", "value": ""}, {"name": "Require Audience", "value": "false"},
            {"name": "Expiry Tolerance", "value": "0"}, {"name": "Allowed Signing Algorithms", "value": "RS256"},
            {"name": "Subject Claim Name", "value": "sub"}, {"name": "JWKS Cache Duration", "value": "720"}]},
        "attributeContract": {"coreAttributes": [{"name": "sub", "masked": False}], "extendedAttributes": []}})
    return model


def _token(kid: str = "k1") -> str:
    key = signing_key("RSA", 2048)
    private = jwk.JWK.from_pem(key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    token = jwt.JWT(header={"alg": "RS256", "kid": kid, "typ": "at+jwt"},
                    claims={"iss": "https://as.example", "sub": "alice", "client_id": "app",
                            "exp": int(time.time()) + 300, "scope": "read"})
    token.make_signed_token(private)
    return str(token.serialize())


async def test_tokens_of_our_jwt_manager_are_accepted() -> None:
    key = signing_key("RSA", 2048)
    sts = build(_model(), KeyRing({key.id: key}))
    processor = sts.processors["fromatm"].runtime
    assert processor is not None
    identity = await processor.process(Incoming("jwt", value=_token()), time.time())
    assert identity.subject == "alice" and identity.attributes["client_id"] == "app"
    with pytest.raises(TokenRefused):
        await processor.process(Incoming("jwt", value=_token(kid="other")), time.time())
    assert json.dumps(identity.attributes)

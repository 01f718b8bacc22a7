"""An add-on token generator that issues signed JWTs, loaded through the
``tokensmith.token_generators`` entry-point group.

It serves WS-Trust (the JWT comes back as a ``wsse:BinarySecurityToken`` with ValueType
``urn:ietf:params:oauth:token-type:jwt``) and RFC 8693 token exchange
(``requested_token_type=urn:ietf:params:oauth:token-type:jwt``). Signing is done by joserfc with
the signing key pair loaded once per worker.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from joserfc import jwt
from lxml import etree

from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.keys import stored
from tokensmith.keys.material import key_facts
from tokensmith.keys.ring import SigningKey
from tokensmith.plugins.descriptors import FieldDescriptor, FieldType, PluginDescriptor, check_box, integer, options_of
from tokensmith.sts.generators.base import CompileInput, GeneratorType
from tokensmith.sts.tokens import JWT_TOKEN_TYPES, TT_JWT, IssuedToken, IssueRequest, TokenRefused
from tokensmith.sts.xml import WSSE, q

PLUGIN_ID = "org.tokensmith.addons.generator.jwt.JwtTokenGenerator"
ALGORITHMS = {"RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
              "ES256": "EC", "ES384": "EC", "ES512": "EC"}
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
                 "#Base64Binary")

DESCRIPTOR = PluginDescriptor(
    id=PLUGIN_ID, name="JWT Token Generator (add-on)",
    description="Issues signed JWTs (JWS) for WS-Trust requests and token exchange.",
    fields=(
        FieldDescriptor("Issuer", FieldType.TEXT, "The 'iss' claim.", required=True),
        FieldDescriptor("Audience", FieldType.TEXT, "The 'aud' claim; the request's AppliesTo / audience when "
                        "empty."),
        FieldDescriptor("Signing Certificate", FieldType.SELECT, "The id of the signing key pair.", required=True),
        FieldDescriptor("JWS Algorithm", FieldType.SELECT, "Signature algorithm (must suit the key).", "RS256",
                        options=options_of(*((a, a) for a in ALGORITHMS))),
        FieldDescriptor("Token Lifetime", FieldType.TEXT, "Minutes the token is valid.", "60", required=True,
                        rules=(integer(1, 60 * 24 * 30),)),
        check_box("Include Key ID Header Parameter", "Put the key pair id in the 'kid' header.", "true"),
    ),
    core_attributes=("sub",), supports_extended_contract=True, supports_parent=True,
)


def _check(model: ConfigModel, values: dict[str, str]) -> list[tuple[str, str]]:
    key_id = values.get("Signing Certificate", "")
    doc = model.get(KEYPAIR, key_id) if key_id else None
    if key_id and doc is None:
        return [("Signing Certificate", f"Signing key pair '{key_id}' does not exist")]
    if doc is not None:
        key_type, _ = key_facts(stored.certificate(doc).public_key())  # type: ignore[arg-type]
        algorithm = values.get("JWS Algorithm", "RS256")
        if ALGORITHMS.get(algorithm) != key_type:
            return [("JWS Algorithm", f"{algorithm} cannot sign with the {key_type} key of '{key_id}'")]
    return []


@dataclass(frozen=True)
class JwtGenerator:
    id: str
    issuer: str
    audience: str
    algorithm: str
    lifetime: int
    key: SigningKey
    include_kid: bool

    def issue(self, request: IssueRequest) -> IssuedToken:
        now = int(request.now)
        claims: dict[str, object] = {name: values[0] if len(values) == 1 else list(values)
                                     for name, values in request.attributes.items()}
        claims.update({"iss": self.issuer, "sub": request.subject, "iat": now, "nbf": now,
                       "exp": now + self.lifetime * 60, "jti": secrets.token_urlsafe(16)})
        audience = self.audience or request.audience
        if audience:
            claims["aud"] = audience
        header = {"alg": self.algorithm, "typ": "JWT"}
        if self.include_kid:
            header["kid"] = self.key.id
        try:
            compact = jwt.encode(header, claims, self.key.jose_key, algorithms=[self.algorithm])
        except (TypeError, ValueError) as exc:
            raise TokenRefused(f"The token cannot be written: {exc}", "RequestFailed") from exc
        element = etree.Element(q(WSSE, "BinarySecurityToken"), nsmap={"wsse": WSSE}, ValueType=TT_JWT,
                                EncodingType=BASE64_BINARY)
        element.text = base64.b64encode(compact.encode("ascii")).decode("ascii")
        return IssuedToken(value=etree.tostring(element), token_type=TT_JWT, exchange_type=TT_JWT,
                           token_id=str(claims["jti"]), created=float(now), expires=float(now + self.lifetime * 60),
                           extra={"compact": compact})


def _compile(source: CompileInput) -> JwtGenerator:
    v = source.values
    return JwtGenerator(source.instance_id, v["Issuer"], v.get("Audience", ""), v.get("JWS Algorithm") or "RS256",
                        int(v["Token Lifetime"]), source.keys.signing_key(v["Signing Certificate"]),
                        v.get("Include Key ID Header Parameter", "true") == "true")


GENERATOR = GeneratorType(DESCRIPTOR, JWT_TOKEN_TYPES, TT_JWT, _compile, _check, ("Signing Certificate",))

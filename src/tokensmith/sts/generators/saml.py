"""The bundled SAML 2.0 and SAML 1.1 token generators.

Descriptor ids ``org.sourceid.wstrust.generator.saml.Saml20TokenGenerator`` and
``...Saml11TokenGenerator``; both have the same eleven fields, only the confirmation-method URIs
differ. Each instance compiles to a :class:`SamlGenerator` holding its loaded signing key, so a
request costs one assertion written in canonical form, one digest and one signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.keys import stored
from tokensmith.keys.material import key_facts
from tokensmith.keys.ring import SigningKey
from tokensmith.plugins.descriptors import (
    FieldDescriptor,
    FieldType,
    PluginDescriptor,
    check_box,
    integer,
    options_of,
)
from tokensmith.sts.certs import certificate_from_text as parse_certificate
from tokensmith.sts.generators.base import CompileInput, GeneratorType
from tokensmith.sts.saml import assertion as saml
from tokensmith.sts.saml import keyinfo
from tokensmith.sts.saml.signing import ALGORITHMS, AssertionSigner
from tokensmith.sts.tokens import (
    BEARER,
    PUBLIC_KEY,
    SAML2_TOKEN_TYPES,
    SAML11_TOKEN_TYPES,
    SYMMETRIC_KEY,
    TT_SAML1,
    TT_SAML2,
    IssuedToken,
    IssueRequest,
    TokenRefused,
)

SAML20_ID = "org.sourceid.wstrust.generator.saml.Saml20TokenGenerator"
SAML11_ID = "org.sourceid.wstrust.generator.saml.Saml11TokenGenerator"
SAML_SUBJECT = "SAML_SUBJECT"
F_BEFORE, F_AFTER, F_ISSUER = "Minutes Before", "Minutes After", "Issuer"
F_KEY, F_ALGORITHM = "Signing Certificate", "Signing Algorithm"
F_INCLUDE_CERT, F_INCLUDE_KEY = "Include Certificate in KeyInfo", "Include Raw Key in KeyValue"
F_AUDIENCE, F_METHOD = "Audience", "Confirmation Method"
F_ENCRYPTION, F_EXPRESSION = "Encryption Certificate", "Message Customization Expression"
SAML2_ID_VALUE_TYPE = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"
SAML1_ID_VALUE_TYPE = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID"
MAX_MINUTES = 60 * 24 * 365


def _fields(cm_prefix: str) -> tuple[FieldDescriptor, ...]:
    methods = options_of((cm_prefix + saml.SENDER_VOUCHES, "Sender Vouches"), (cm_prefix + saml.BEARER, "Bearer"),
                         (cm_prefix + saml.HOLDER_OF_KEY, "Holder of Key"))
    return (
        FieldDescriptor(F_BEFORE, FieldType.TEXT, "Minutes before the issue time from which the token is valid "
                        "(clock-skew allowance).", "60", required=True, rules=(integer(0, MAX_MINUTES),)),
        FieldDescriptor(F_AFTER, FieldType.TEXT, "Minutes after the issue time during which the token is valid.",
                        "60", required=True, rules=(integer(1, MAX_MINUTES),)),
        FieldDescriptor(F_ISSUER, FieldType.TEXT, "The token's issuer: a SAML 2.0 entity ID or SAML 1.x issuer.",
                        required=True),
        FieldDescriptor(F_KEY, FieldType.SELECT, "The id of the signing key pair (/keyPairs/signing) that "
                        "signs every token.", required=True),
        FieldDescriptor(F_ALGORITHM, FieldType.SELECT, "Signature algorithm; it must suit the signing key "
                        "(RSA or EC).", "RSA_SHA256",
                        options=options_of(*((a.name, a.label) for a in ALGORITHMS.values()))),
        check_box(F_INCLUDE_CERT, "Put the signing certificate in the signature's KeyInfo; otherwise only its "
                  "Subject Key Identifier."),
        check_box(F_INCLUDE_KEY, "Put the raw public key (KeyValue) in the signature's KeyInfo."),
        FieldDescriptor(F_AUDIENCE, FieldType.TEXT, "The token's Audience (the web service it is for). When "
                        "empty, the request's AppliesTo address is used."),
        FieldDescriptor(F_METHOD, FieldType.SELECT, "Subject confirmation method when the request names no "
                        "KeyType.", cm_prefix + saml.SENDER_VOUCHES, options=methods),
        FieldDescriptor(F_ENCRYPTION, FieldType.TEXT_AREA, "PEM certificate (RSA) of the web service; holder-of-"
                        "key tokens carry their symmetric proof key encrypted for it. Required for holder of "
                        "key."),
        FieldDescriptor(F_EXPRESSION, FieldType.TEXT, "Message customization expression (OGNL). Not supported: "
                        "must be empty.", advanced=True),
    )


def _descriptor(plugin_id: str, name: str, cm_prefix: str) -> PluginDescriptor:
    return PluginDescriptor(
        id=plugin_id, name=name,
        description=f"Issues signed {name.split(' Token')[0]} assertions for WS-Trust requests and token exchange.",
        fields=_fields(cm_prefix), core_attributes=(SAML_SUBJECT,), supports_extended_contract=True,
        supports_parent=True,
    )


SAML20_DESCRIPTOR = _descriptor(SAML20_ID, "SAML 2.0 Token Generator", saml.CM2)
SAML11_DESCRIPTOR = _descriptor(SAML11_ID, "SAML 1.1 Token Generator", saml.CM1)


def _check(model: ConfigModel, values: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    key_id = values.get(F_KEY, "")
    doc = model.get(KEYPAIR, key_id) if key_id else None
    if key_id and doc is None:
        problems.append((F_KEY, f"Signing key pair '{key_id}' does not exist"))
    algorithm = ALGORITHMS.get(values.get(F_ALGORITHM, ""))
    if doc is not None and algorithm is not None:
        key_type, _ = key_facts(stored.certificate(doc).public_key())  # type: ignore[arg-type]
        if key_type != algorithm.key_type:
            problems.append((F_ALGORITHM, f"{algorithm.label} needs an {algorithm.key_type} key, but signing key "
                                          f"pair '{key_id}' holds an {key_type} key"))
    pem = values.get(F_ENCRYPTION, "")
    if pem.strip():
        try:
            if not isinstance(parse_certificate(pem).public_key(), rsa.RSAPublicKey):
                problems.append((F_ENCRYPTION, "The encryption certificate must hold an RSA key"))
        except ValueError as exc:
            problems.append((F_ENCRYPTION, f"Encryption Certificate: {exc}"))
    elif values.get(F_METHOD, "").endswith(saml.HOLDER_OF_KEY):
        problems.append((F_ENCRYPTION, "Holder of key needs an Encryption Certificate"))
    if values.get(F_EXPRESSION, "").strip():
        problems.append((F_EXPRESSION, "Message customization expressions are not supported; leave it empty"))
    return problems


@dataclass(frozen=True)
class SamlGenerator:
    id: str
    version: str
    issuer: str
    audience: str
    method: str  # saml.BEARER / SENDER_VOUCHES / HOLDER_OF_KEY
    before: int
    after: int
    signer: AssertionSigner
    encryption_certificate: x509.Certificate | None

    @property
    def default_key_type(self) -> str | None:
        return {saml.BEARER: BEARER, saml.HOLDER_OF_KEY: SYMMETRIC_KEY}.get(self.method)

    def _confirmation(self, request: IssueRequest) -> tuple[str, etree._Element | None]:
        kind = request.key_type
        if kind is None:
            if self.method != saml.HOLDER_OF_KEY:
                return self.method, None
            kind = SYMMETRIC_KEY
        if kind == BEARER:
            return saml.BEARER, None
        proof = request.proof
        if proof is None or proof.kind != kind:
            raise TokenRefused("A holder-of-key token needs a proof key", "InvalidRequest")
        if kind == PUBLIC_KEY:
            if proof.certificate is not None:
                return saml.HOLDER_OF_KEY, keyinfo.certificate_key_info(proof.certificate)
            return saml.HOLDER_OF_KEY, keyinfo.public_key_info(proof.public_key)
        if self.encryption_certificate is None or proof.secret is None:
            raise TokenRefused(f"Token generator '{self.id}' has no Encryption Certificate, so it cannot issue "
                               "symmetric-key tokens", "InvalidRequest")
        return saml.HOLDER_OF_KEY, keyinfo.encrypted_key_info(proof.secret, self.encryption_certificate)

    def issue(self, request: IssueRequest) -> IssuedToken:
        method, proof_info = self._confirmation(request)
        now = request.now
        expires = now + self.after * 60
        spec = saml.AssertionSpec(
            version=self.version, issuer=self.issuer, subject=request.subject,
            audience=self.audience or request.audience, confirmation=method, now=now,
            not_before=now - self.before * 60, not_on_or_after=expires,
            attributes=request.attributes, authn=request.authn, proof_key_info=proof_info)
        try:
            unsigned = saml.write(spec)
        except ValueError as exc:  # text that XML cannot carry (control characters)
            raise TokenRefused(f"The token cannot be written: {exc}", "RequestFailed") from exc
        saml2 = self.version == saml.SAML20
        return IssuedToken(
            value=self.signer.sign(unsigned, spec.id),
            token_type=(SAML2_TOKEN_TYPES if saml2 else SAML11_TOKEN_TYPES)[0],
            exchange_type=TT_SAML2 if saml2 else TT_SAML1, token_id=spec.id, created=now, expires=expires,
            reference_value_type=SAML2_ID_VALUE_TYPE if saml2 else SAML1_ID_VALUE_TYPE)


def _method(value: str) -> str:
    return value.rsplit(":", 1)[-1] if value else saml.SENDER_VOUCHES


def _compiler(version: str):  # type: ignore[no-untyped-def]
    def compile_generator(source: CompileInput) -> SamlGenerator:
        v = source.values
        key: SigningKey = source.keys.signing_key(v[F_KEY])
        info = keyinfo.signature_key_info(key.certificate, key.chain, v.get(F_INCLUDE_CERT) == "true",
                                          v.get(F_INCLUDE_KEY) == "true")
        pem = v.get(F_ENCRYPTION, "").strip()
        return SamlGenerator(
            id=source.instance_id, version=version, issuer=v[F_ISSUER], audience=v.get(F_AUDIENCE, ""),
            method=_method(v.get(F_METHOD, "")), before=int(v[F_BEFORE]), after=int(v[F_AFTER]),
            signer=AssertionSigner(key, v.get(F_ALGORITHM) or "RSA_SHA256", info),
            encryption_certificate=parse_certificate(pem) if pem else None)

    return compile_generator


SAML20_GENERATOR = GeneratorType(SAML20_DESCRIPTOR, SAML2_TOKEN_TYPES, TT_SAML2, _compiler(saml.SAML20), _check,
                                 (F_KEY,))
SAML11_GENERATOR = GeneratorType(SAML11_DESCRIPTOR, SAML11_TOKEN_TYPES, TT_SAML1, _compiler(saml.SAML11), _check,
                                 (F_KEY,))

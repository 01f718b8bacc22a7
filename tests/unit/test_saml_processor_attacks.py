"""The SAML processors refuse XXE, billion laughs, wrapped signatures, a comment inside NameID,
expired tokens, a wrong audience and untrusted certificates; a good token passes."""

from __future__ import annotations

import copy
import time

import pytest
from lxml import etree

from tests.stskit import signing_key
from tokensmith.keys.ring import KeyRing
from tokensmith.sts import xml as x
from tokensmith.sts.generators import saml as gen
from tokensmith.sts.generators.base import CompileInput
from tokensmith.sts.processors.base import Incoming
from tokensmith.sts.processors.saml import SamlProcessor
from tokensmith.sts.saml.verify import Trust
from tokensmith.sts.tokens import BEARER, IssueRequest, TokenRefused

STS = "urn:tokensmith:sts"


def _token(version: str = "2.0", audience: str = STS, now: float | None = None, subject: str = "alice") -> bytes:
    key = signing_key("RSA", 2048, "partner-idp")
    values = {gen.F_BEFORE: "5", gen.F_AFTER: "30", gen.F_ISSUER: "https://idp.example.org", gen.F_KEY: key.id,
              gen.F_ALGORITHM: "RSA_SHA256", gen.F_INCLUDE_CERT: "true", gen.F_INCLUDE_KEY: "false",
              gen.F_AUDIENCE: audience, gen.F_METHOD: "bearer"}
    kind = gen.SAML20_GENERATOR if version == "2.0" else gen.SAML11_GENERATOR
    generator = kind.compile(CompileInput("g", values, {}, ("role",), KeyRing({key.id: key})))
    request = IssueRequest(subject, {"role": ["admin"]}, now or time.time(), key_type=BEARER)
    return generator.issue(request).value


def _processor(version: str = "2.0", anchors: tuple[object, ...] | None = None,
               subject_dns: frozenset[str] = frozenset()) -> SamlProcessor:
    trusted = (signing_key("RSA", 2048, "partner-idp").certificate,) if anchors is None else anchors
    return SamlProcessor("p", "saml2" if version == "2.0" else "saml1",
                         Trust(anchors=trusted, subject_dns=subject_dns), (STS,))  # type: ignore[arg-type]


async def _process(data: bytes, version: str = "2.0", processor: SamlProcessor | None = None) -> object:
    element = x.parse(data)
    kind = "saml2" if version == "2.0" else "saml1"
    return await (processor or _process_default(version)).process(Incoming(kind, element=element), time.time())


def _process_default(version: str) -> SamlProcessor:
    return _processor(version)


@pytest.mark.parametrize("version", ["2.0", "1.1"])
async def test_a_good_token_passes(version: str) -> None:
    identity = await _process(_token(version), version)
    assert identity.subject == "alice"  # type: ignore[attr-defined]
    assert identity.attributes["role"] == "admin"  # type: ignore[attr-defined]


def test_xxe_and_billion_laughs_are_refused_by_the_parser() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>"""
    with pytest.raises(x.XmlRefused, match="DTD"):
        x.parse(xxe)
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""
    with pytest.raises(x.XmlRefused):
        x.parse(laughs)
    external = b"""<!DOCTYPE a SYSTEM "http://127.0.0.1:1/evil.dtd"><a/>"""
    with pytest.raises(x.XmlRefused):
        x.parse(external)


def test_size_and_depth_limits() -> None:
    with pytest.raises(x.XmlRefused, match="larger"):
        x.parse(b"<a>" + b"x" * (x.MAX_BYTES + 1) + b"</a>")
    deep = b"<a>" * (x.MAX_DEPTH + 1) + b"</a>" * (x.MAX_DEPTH + 1)
    with pytest.raises(x.XmlRefused, match="deeper"):
        x.parse(deep)


async def test_a_comment_inside_name_id_is_refused() -> None:
    token = _token(subject="admin.evil.example")
    commented = token.replace(b">admin.evil.example<", b">admin<!---->.evil.example<")
    assert commented != token
    with pytest.raises(TokenRefused, match="Comments"):
        await _process(commented)


async def test_wrapped_signature_is_refused() -> None:
    """XSW: the signed original is moved aside and an evil assertion takes its place at the top."""
    original = x.parse(_token(subject="alice"))
    evil = copy.deepcopy(original)
    for name_id in evil.iter("{urn:oasis:names:tc:SAML:2.0:assertion}NameID"):
        name_id.text = "admin"
    evil.set("ID", "_evil")
    signature = evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    evil.remove(signature)
    # wrap: the evil assertion carries the original signature, whose reference points at the original
    # assertion hidden inside the signature's Object
    obj = etree.SubElement(copy.deepcopy(original.find("{http://www.w3.org/2000/09/xmldsig#}Signature")),
                           "{http://www.w3.org/2000/09/xmldsig#}Object")
    obj.append(copy.deepcopy(original))
    evil.insert(1, obj.getparent())
    with pytest.raises(TokenRefused):
        await _process(etree.tostring(evil))
    # the evil assertion reusing the original's ID (reference still resolves to it) breaks the digest
    evil2 = copy.deepcopy(original)
    for name_id in evil2.iter("{urn:oasis:names:tc:SAML:2.0:assertion}NameID"):
        name_id.text = "admin"
    with pytest.raises(TokenRefused):
        await _process(etree.tostring(evil2))


async def test_signature_over_another_element_is_refused() -> None:
    """A signature whose reference points at a sibling (not the assertion itself) is refused."""
    original = x.parse(_token())
    envelope = etree.Element("wrapper")
    envelope.append(original)
    evil = copy.deepcopy(original)
    evil.set("ID", "_other")
    for name_id in evil.iter("{urn:oasis:names:tc:SAML:2.0:assertion}NameID"):
        name_id.text = "admin"
    with pytest.raises(TokenRefused):
        await _process(etree.tostring(evil))


async def test_expired_token_is_refused() -> None:
    with pytest.raises(TokenRefused, match="expired"):
        await _process(_token(now=time.time() - 3 * 3600))


async def test_wrong_audience_is_refused() -> None:
    with pytest.raises(TokenRefused, match="audience"):
        await _process(_token(audience="https://someone-else.example"))


async def test_untrusted_certificate_is_refused() -> None:
    stranger = _processor(anchors=(signing_key("RSA", 2048, "stranger").certificate,))
    with pytest.raises(TokenRefused, match="not trusted"):
        await _process(_token(), processor=stranger)


async def test_subject_dn_allow_list() -> None:
    allowed = _processor(subject_dns=frozenset({"CN=someone-else"}))
    with pytest.raises(TokenRefused, match="subject"):
        await _process(_token(), processor=allowed)


async def test_unsigned_token_is_refused() -> None:
    element = x.parse(_token())
    signature = element.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    element.remove(signature)
    with pytest.raises(TokenRefused, match="signature"):
        await _process(etree.tostring(element))

"""Property-based checks for the STS: any body sent to an ``sts.wst`` endpoint gets a SOAP envelope
back (an RSTR or a fault), never the runtime's generic error; no admin body makes the STS
resources answer 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RUNTIME_BASE, Admin
from tests.stskit import SAML20_GEN, USERNAME_PROC, cxf_issue, wcf_issue

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID = [cxf_issue("alice", "pw"), wcf_issue("alice", "pw")]


def _mutate(data: bytes, cut: int, insert: bytes) -> bytes:
    at = cut % (len(data) + 1)
    return data[:at] + insert + data[at + len(insert):]


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), st.builds(_mutate, st.sampled_from(VALID), st.integers(0, 5000),
                                                           st.binary(min_size=1, max_size=12))),
       path=st.sampled_from(["/pf/sts.wst", "/idp/sts.wst", "/sp/sts.wst"]),
       content_type=st.sampled_from(["text/xml", "application/soap+xml"]))
async def test_sts_always_answers_with_a_soap_envelope(http: httpx.AsyncClient, body: bytes, path: str,
                                                       content_type: str) -> None:
    response = await http.post(RUNTIME_BASE + path, content=body, headers={"content-type": content_type})
    assert b"Envelope" in response.content[:200], response.text
    assert response.status_code in (200, 500), response.status_code


TEXT = st.text(max_size=20)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=10)
FIELDS = st.lists(st.fixed_dictionaries({"name": st.sampled_from(
    ["Minutes Before", "Signing Certificate", "Signing Algorithm", "Issuer", "Confirmation Method",
     "Encryption Certificate", "Authentication Attempts", "JWKS", "x"]), "value": TEXT}), max_size=4)


@FUZZ
@given(body=st.one_of(JSON, st.fixed_dictionaries({
    "id": TEXT, "name": TEXT, "pluginDescriptorRef": st.fixed_dictionaries({"id": st.sampled_from(
        [SAML20_GEN, USERNAME_PROC, "x"])}), "parentRef": st.one_of(st.none(), st.fixed_dictionaries({"id": TEXT})),
    "configuration": st.fixed_dictionaries({"fields": FIELDS}), "sourceId": TEXT, "targetId": TEXT,
    "attributeContractFulfillment": st.dictionaries(TEXT, st.fixed_dictionaries(
        {"source": st.fixed_dictionaries({"type": st.sampled_from(["TOKEN", "TEXT", "X"])}), "value": TEXT}),
        max_size=2)})),
       path=st.sampled_from(["/sp/tokenGenerators", "/idp/tokenProcessors", "/tokenProcessorToTokenGeneratorMappings",
                             "/sp/idpConnections", "/serverSettings/generalSettings",
                             "/serverSettings/wsTrustStsSettings", "/certificates/ca/import", "/serverSettings"]))
async def test_sts_admin_never_fails_with_500(admin: Admin, body: Any, path: str) -> None:
    method = "PUT" if path.startswith("/serverSettings") else "POST"
    response = await admin.request(method, path, body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "resultId" in response.json()

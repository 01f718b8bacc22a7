"""docs/sts.md's SP connection walkthrough, run as written against a real server: create an SP
connection with curl, send an RST to /idp/sts.wst, read the RSTR, verify the assertion with xmlsec1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docblocks import ROOT, Block, Session, Substitutions, walk
from tests.system.server import ServerFactory

pytestmark = pytest.mark.system


def test_sp_connection_walkthrough(start_server: ServerFactory, tmp_path: Path) -> None:
    document = ROOT / "docs" / "sts.md"
    subs = Substitutions()
    session = Session(tmp_path, subs)

    def serve(block: Block) -> None:
        password = re.search(r"export TOKENSMITH_ADMIN_PASSWORD='([^']+)'", block.body)
        assert password, block.body
        subs.server(start_server(tmp_path / "tokensmith-data", env_password=password.group(1)))

    try:
        out = "\n".join(text for _, text in walk(document, session, {"./scripts/serve": serve}))
    finally:
        session.close()
    assert "key pair, validator, processor and entity id in place" in out, out
    assert "SP connection orders for ['https://orders.example.com/ws']" in out, out
    assert "token type: http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0" in out, out
    lifetime = re.search(r"^lifetime:   (\S+) to (\S+)$", out, re.MULTILINE)
    assert lifetime, out
    assert "issuer:     https://idp.example.com" in out and "subject:    alice" in out, out
    assert "audience:   https://orders.example.com/ws" in out, out
    assert "attribute:  role = ['buyer']" in out, out
    assert re.search(r"^OK\nSignedInfo References \(ok/all\): 1/1$", out, re.MULTILINE), out
    assert "No SP connection has partner service id 'https://other.example.com/'" in out, out
    mex = re.findall(r"^(\S+/RST/Issue) -> (\S+)$", out, re.MULTILINE)
    assert [action for action, _ in mex] == ["http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue",
                                             "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"], out
    assert all(address.endswith("/idp/sts.wst") for _, address in mex), out
    assertion = (tmp_path / "sp-assertion.xml").read_bytes()
    assert assertion.startswith(b"<saml:Assertion ") and b"ds:Signature" in assertion

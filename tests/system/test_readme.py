"""The README's "A first token" block, run as written against a server started the way the Quick start says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docblocks import ROOT, run_blocks, shell_blocks
from tests.system.server import ServerFactory

pytestmark = pytest.mark.system

README = ROOT / "README.md"


def _quick_start_password() -> str:
    block = shell_blocks(README, "Quick start")[0]
    match = re.search(r"export TOKENSMITH_ADMIN_PASSWORD='([^']+)'", block)
    assert match, block
    return match.group(1)


def test_readme_first_token_runs_as_written(start_server: ServerFactory, tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env_password=_quick_start_password())
    blocks = shell_blocks(README, "A first token")
    assert len(blocks) == 1
    assert "<" not in blocks[0].replace("<<", ""), "no placeholders left for the reader to fill in"

    out = run_blocks(blocks, server, cwd=tmp_path)
    token = re.search(r"^access token: (\S+)$", out, re.MULTILINE)
    assert token and len(token.group(1)) > 20, out
    assert '"active": true' in out, out
    assert '"cid": "app"' in out, out
    # every admin answer ends its line, so the reader sees one JSON document per line
    assert '"id": "ref"' in out or '"id":"ref"' in out
    assert re.search(r'^\{.*"clientId":\s*"app".*\}$', out, re.MULTILINE), out

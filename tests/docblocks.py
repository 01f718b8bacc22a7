"""Run the shell blocks of a Markdown document as a reader would, against a server a test started.

A document is only worth as much as its commands: the README and every guide under docs/guides are
executed block by block with bash (``set -euo pipefail``), in one shell so that variables carry
over. Only the documented default addresses are rewritten to the test server's free ports; the
commands are otherwise exactly as written. Blocks fenced as ```` ```sh ```` run; blocks fenced
```` ```sh no-run ```` (the start of the server itself, which the test does) are skipped.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.system.server import Server, child_env

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```sh( no-run)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shell_blocks(document: Path, section: str | None = None) -> list[str]:
    """The runnable ``sh`` blocks of ``document`` (only those under heading ``section`` if given)."""
    text = document.read_text()
    if section is not None:
        start = text.index(f"\n## {section}\n")
        end = text.find("\n## ", start + 1)
        text = text[start:end if end != -1 else len(text)]
    return [body for skip, body in FENCE.findall(text) if not skip]


def on_server(script: str, server: Server) -> str:
    """``script`` with the documented default ports replaced by ``server``'s."""
    return (script.replace("127.0.0.1:9031", f"127.0.0.1:{server.port}")
            .replace("127.0.0.1:9999", f"127.0.0.1:{server.admin_port}"))


def run_blocks(blocks: list[str], server: Server, cwd: Path, env: dict[str, str] | None = None,
               timeout: float = 120.0) -> str:
    """Run ``blocks`` in one bash process; fail with the script and its output if any command fails."""
    script = "set -euo pipefail\n" + "\n".join(on_server(b, server) for b in blocks)
    environment = child_env()
    environment.update(env or {})
    environment["PATH"] = f"{Path(server_python()).parent}:{environment.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, env=environment,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"exit {done.returncode}\n--- script:\n{script}\n--- stdout:\n{done.stdout}\n" \
                                 f"--- stderr:\n{done.stderr}"
    return done.stdout


def server_python() -> str:
    """The interpreter running the tests, whose bin/ holds the ``tokensmith`` command."""
    import sys

    return sys.executable

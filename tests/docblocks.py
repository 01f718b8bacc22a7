"""Run the shell blocks of a Markdown document as a reader would, against servers a test started.

A document is only worth as much as its commands: the README and every guide under docs/guides are
executed block by block with bash (``set -euo pipefail``), in one shell so that variables carry
over. Blocks fenced as ```` ```sh ```` run; blocks fenced ```` ```sh no-run ```` (starting a server,
Redis or PostgreSQL, which the test does itself) are skipped, or handed to the test when it runs
the document step by step with :class:`Session`.

The commands are run exactly as written except for one explicit substitution table
(:class:`Substitutions`): each documented address (``127.0.0.1:9031`` and ``127.0.0.1:9999`` for a
server, a guide's second server, Redis' ``127.0.0.1:6379``, PostgreSQL's ``127.0.0.1:5432``) is
replaced by the address of what the test started in its place. Nothing else is rewritten, so a
command that works in the test works for the reader on the documented ports.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.system.server import Server, child_env, free_ports

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```sh( no-run)?\n(.*?)^```", re.MULTILINE | re.DOTALL)
RUNTIME = "127.0.0.1:9031"   # the documented runtime address of a server
ADMIN = "127.0.0.1:9999"     # the documented admin address of a server
REDIS = "127.0.0.1:6379"     # the documented address of Redis
POSTGRES = "127.0.0.1:5432"  # the documented address of PostgreSQL
DONE = "__docblock_done__"


@dataclass(frozen=True)
class Block:
    """One ``sh`` block: its commands, whether the reader runs it (``no-run``: the test does), its heading."""

    body: str
    runs: bool
    section: str


def blocks(document: Path) -> list[Block]:
    """Every ``sh`` block of ``document`` in order, with the ``## `` heading it is under."""
    text = document.read_text()
    found: list[Block] = []
    for match in FENCE.finditer(text):
        headings = re.findall(r"^## (.+)$", text[:match.start()], re.MULTILINE)
        found.append(Block(match.group(2), not match.group(1), headings[-1] if headings else ""))
    return found


def shell_blocks(document: Path, section: str | None = None) -> list[str]:
    """The runnable ``sh`` blocks of ``document`` (only those under heading ``section`` if given)."""
    return [b.body for b in blocks(document) if b.runs and (section is None or b.section == section)]


@dataclass
class Substitutions:
    """The documented addresses and what replaces each one in the test, applied to every block."""

    table: dict[str, str] = field(default_factory=dict)

    def server(self, server: Server, runtime: str = RUNTIME, admin: str = ADMIN) -> Substitutions:
        """``server`` stands where the document says ``runtime`` and ``admin``."""
        self.table[runtime] = f"127.0.0.1:{server.port}"
        self.table[admin] = f"127.0.0.1:{server.admin_port}"
        return self

    def plan(self, runtime: str = RUNTIME, admin: str = ADMIN) -> dict[str, int]:
        """Free ports for a server the document starts later, recorded now, because a block that
        runs before the server starts may already keep its address in a variable. Returns the
        ``port`` / ``admin_port`` keywords to start that server with."""
        port, admin_port = free_ports(2)
        self.table[runtime] = f"127.0.0.1:{port}"
        self.table[admin] = f"127.0.0.1:{admin_port}"
        return {"port": port, "admin_port": admin_port}

    def address(self, documented: str, port: int) -> Substitutions:
        """A service (Redis, PostgreSQL) on ``port`` stands where the document says ``documented``."""
        self.table[documented] = f"127.0.0.1:{port}"
        return self

    def apply(self, script: str) -> str:
        # one pass over every documented address, so a replacement is never replaced again
        if not self.table:
            return script
        pattern = re.compile("|".join(re.escape(k) + r"(?!\d)" for k in sorted(self.table, key=len, reverse=True)))
        return pattern.sub(lambda m: self.table[m.group(0)], script)


def on_server(script: str, server: Server) -> str:
    """``script`` with the documented default ports replaced by ``server``'s."""
    return Substitutions().server(server).apply(script)


def reader_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The reader's environment: no TOKENSMITH_* settings, the ``tokensmith`` command on PATH."""
    environment = child_env()
    environment.update(env or {})
    environment["PATH"] = f"{Path(sys.executable).parent}:{environment.get('PATH', '')}"
    return environment


def run_blocks(blocks: list[str], server: Server, cwd: Path, env: dict[str, str] | None = None,
               timeout: float = 120.0) -> str:
    """Run ``blocks`` in one bash process; fail with the script and its output if any command fails."""
    script = "set -euo pipefail\n" + "\n".join(on_server(b, server) for b in blocks)
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, env=reader_env(env),
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"exit {done.returncode}\n--- script:\n{script}\n--- stdout:\n{done.stdout}\n" \
                                 f"--- stderr:\n{done.stderr}"
    return done.stdout


class Session:
    """One bash process that runs a document's blocks one at a time, so that the test can start a
    server between two blocks (where the document has a ``no-run`` block) and the shell's variables
    still carry over. The commands come through a pipe of their own; the commands' stdin is
    /dev/null, as for a reader who does not type into them. stderr goes with stdout."""

    def __init__(self, cwd: Path, substitutions: Substitutions, env: dict[str, str] | None = None) -> None:
        self.substitutions = substitutions
        self.transcript: list[str] = []
        read_end, self._commands = os.pipe()
        self.process = subprocess.Popen(["bash", f"/dev/fd/{read_end}"], cwd=cwd, env=reader_env(env),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, pass_fds=(read_end,), start_new_session=True)
        os.close(read_end)
        self._send("exec 2>&1\nset -euo pipefail\n")

    def _send(self, text: str) -> None:
        os.write(self._commands, text.encode())

    def run(self, block: str, timeout: float = 60.0) -> str:
        """Run one block; return its output, or fail with the whole transcript if a command fails."""
        script = self.substitutions.apply(block)
        self.transcript.append(f"$ {script}")
        self._send(f"{script}\necho {DONE}\n")
        assert self.process.stdout is not None
        out = b""
        marker = f"{DONE}\n".encode()
        deadline = time.monotonic() + timeout
        while not out.endswith(marker):
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise AssertionError(f"block still running after {timeout:.0f}s\n{self.report(out)}")
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    code = self.process.wait()
                    raise AssertionError(f"a command failed (exit {code})\n{self.report(out)}")
                out += chunk
        text = out[:-len(marker)].decode(errors="replace")
        self.transcript.append(text)
        return text

    def report(self, pending: bytes = b"") -> str:
        return "\n".join([*self.transcript, pending.decode(errors="replace")])

    def close(self) -> None:
        if self._commands < 0:
            return
        os.close(self._commands)
        self._commands = -1
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def walk(document: Path, session: Session, starters: dict[str, Callable[[Block], None]],
         timeout: float = 60.0) -> Iterator[tuple[Block, str]]:
    """Run ``document`` top to bottom in ``session``: each runnable block in the shell, each ``no-run``
    block by the starter whose key it contains (every ``no-run`` block must have exactly one).
    Yields each block with its output (empty for ``no-run`` blocks)."""
    for block in blocks(document):
        if block.runs:
            yield block, session.run(block.body, timeout)
            continue
        matching = [start for key, start in starters.items() if key in block.body]
        assert len(matching) == 1, f"no-run block matches {len(matching)} starters:\n{block.body}"
        matching[0](block)
        yield block, ""


def server_python() -> str:
    """The interpreter running the tests, whose bin/ holds the ``tokensmith`` command."""
    return sys.executable

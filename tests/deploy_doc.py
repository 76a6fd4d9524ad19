"""docs/deploy.md's command blocks, for the tests that run them (``run("first-node", …)``).

A block is named by the comment above it, ``<!-- block NAME: run by tests/….py -->``; it runs
in bash (``set -euo pipefail``) with the caller's variables, the ``credo`` of this
interpreter first on ``PATH`` and no other ``CREDO_*`` variable than those given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deploy.md"
_MARK = re.compile(r"^<!-- block ([a-z0-9-]+): run by (tests/\S+\.py) -->$")


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    name: str = ""
    runner: str = ""


def blocks(text: str | None = None) -> list[Block]:
    found: list[Block] = []
    mark: re.Match[str] | None = None
    fence, lines = None, []
    for line in (DOC.read_text() if text is None else text).splitlines():
        if fence is not None:
            if line == "```":
                found.append(Block(fence, "\n".join(lines) + "\n",
                                   *(mark.groups() if mark else ("", ""))))
                fence, mark, lines = None, None, []
            else:
                lines.append(line)
        elif line.startswith("```"):
            fence = line[3:].strip()
        elif line.strip():
            mark = _MARK.match(line)
    return found


def block(name: str) -> Block:
    [found] = [b for b in blocks() if b.name == name]
    return found


def run(name: str, env: dict[str, str], cwd: Path) -> str:
    """Run block ``name``; its output, or an ``AssertionError`` holding it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CREDO_")}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + block(name).code],
                          cwd=cwd, env={**base, **env}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"block {name} failed ({done.returncode}):\n{done.stdout}"
    return done.stdout


def file_body(path: Path) -> str:
    """A deploy/ file without its leading comment lines: what the doc shows of it."""
    lines = path.read_text().splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)

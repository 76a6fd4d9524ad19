"""README.md, run as a newcomer would run it, so that it cannot drift from the code.

Every ```bash and ```python block runs in order in one shell session (``set -euo
pipefail``: a failing command fails the test), in an empty working directory, with a fresh
``HOME`` whose ``~/.credo`` is a live server's data dir (``make run`` started it) and without
the CA variables this machine sets. Two things are substituted, nothing else: the server's
free port for ``8443``, and in Python blocks the placeholders the README explains (the
daemon's appId and thumbprint), looked up with the CLI. A block after
``<!-- not run: reason -->`` and the "Protecting an API" fragment are only syntax-checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from live import start_server, stop_server

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
FRAGMENT_SECTIONS = ("## Protecting an API",)  # exercised by tests/resource and the demo
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
RUNNER = '''
import json, subprocess, sys
code = sys.stdin.read()
def cli(*args):
    return json.loads(subprocess.run(["credo", *args, "--json"], check=True,
                                     capture_output=True, text=True).stdout)
if "DAEMON_APP_ID" in code:
    code = code.replace("DAEMON_APP_ID", cli("app", "show", "SuperApp daemon")["appId"])
if "SUPERAPP_THUMBPRINT" in code:
    code = code.replace("SUPERAPP_THUMBPRINT", cli("cert", "show", "superapp.pem")["sha1Hex"])
exec(compile(code, "README.md", "exec"), {"__name__": "__main__"})
'''


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    section: str
    not_run: str  # the reason given, or ""

    @property
    def runs(self) -> bool:
        return (self.language in ("bash", "python") and not self.not_run
                and not self.section.startswith(FRAGMENT_SECTIONS))


def blocks(text: str) -> list[Block]:
    found: list[Block] = []
    section, note, fence, lines = "", "", None, []
    for line in text.splitlines():
        if fence is not None:
            if line == "```":
                found.append(Block(fence, "\n".join(lines) + "\n", section, note))
                fence, note, lines = None, "", []
            else:
                lines.append(line)
        elif line.startswith("```"):
            fence = line[3:].strip()
        elif line.startswith("## "):
            section = line
        elif line.startswith("<!-- not run:"):
            note = line.removeprefix("<!-- not run:").removesuffix("-->").strip()
        elif line.strip():
            note = ""
    return found


def test_every_block_is_run_or_says_why_not() -> None:
    found = blocks(README.read_text())
    assert all(b.language in ("bash", "python", "text") for b in found), \
        "fence every block with bash, python or text"
    assert len([b for b in found if b.runs]) >= 9
    for block in found:
        if block.language == "python":
            compile(block.code, "README.md", "exec")
        elif block.language == "bash":
            subprocess.run(["bash", "-n"], input=block.code, text=True, check=True)
        if block.not_run:
            assert re.search(r"tests/\S+\.py", block.not_run), "say which test covers it"


def _script(found: list[Block], runner: Path) -> str:
    parts = ["set -euo pipefail"]
    for number, block in enumerate(found):
        parts.append(f"echo '@@ block {number}'")
        if block.language == "bash":
            parts.append(block.code)
        else:
            parts.append(f"{sys.executable} {runner} <<'CREDO_README_PYTHON'\n{block.code}"
                         "CREDO_README_PYTHON")
    return "\n".join(parts) + "\n"


def _environment(home: Path) -> dict[str, str]:
    dropped = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CREDO_") and k not in dropped}
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_readme_runs_as_written(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    server = start_server(home / ".credo", domain="credo.local")
    try:
        port = server.url.rsplit(":", 1)[1]
        found = [b for b in blocks(README.read_text().replace("127.0.0.1:8443",
                                                              f"127.0.0.1:{port}")) if b.runs]
        runner = tmp_path / "runner.py"
        runner.write_text(RUNNER)
        done = subprocess.run(["bash", "-c", _script(found, runner)], cwd=work,
                              env=_environment(home), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
    finally:
        stop_server(server)
    transcript = done.stdout
    (tmp_path / "transcript.txt").write_text(transcript)
    assert done.returncode == 0, transcript
    outputs = re.split(r"^@@ block \d+\n", transcript, flags=re.MULTILINE)[1:]
    assert len(outputs) == len(found), transcript
    by_code = list(zip((b.code for b in found), outputs, strict=True))

    def output_of(marker: str) -> str:
        matches = [out for code, out in by_code if marker in code]
        assert len(matches) == 1, marker
        return matches[0]

    assert "ok    server" in output_of("credo doctor")
    assert "FAIL" not in output_of("credo doctor")
    decoded = output_of("--decode")
    assert '"roles": [\n    "Mail.Read"\n  ]' in decoded
    revoked = output_of("credo consent revoke")
    assert "error: AADSTS501051: " in revoked and "refused, as expected" in revoked
    for marker in ("import msal\n\napp = msal.ConfidentialClientApplication", "azure.identity",
                   "from credo.client import", "credo.client.adal"):
        assert JWT.search(output_of(marker)), marker
    assert "alice@contoso.example" in output_of("credo user list")
    assert "bootstrap_tenant" in output_of("credo config show")
    assert re.search(r"^credo \d", output_of("credo --version"), re.MULTILINE)

"""``examples/testing`` run as a user runs it: copied into a project of its own (no conftest,
no Credo configuration), then ``pytest`` and ``python -m unittest`` in separate processes.
That the fixtures are found at all proves the ``pytest11`` registration. The README's
example runs in the same project, so it cannot go stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "testing"
TIMEOUT = 300


README = EXAMPLE.parents[1] / "README.md"


def readme_example() -> str:
    """The Python block of README.md's "Test your Entra app offline" section."""
    section = README.read_text().split("## Test your Entra app offline", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """examples/testing, plus the README's example as ``test_readme.py``."""
    copy = tmp_path / "inbox-project"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "test_readme.py").write_text(readme_example())
    return copy


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=project, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def test_pytest_runs_the_example(project: Path) -> None:
    done = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
                "ignore::pytest.PytestDeprecationWarning")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 passed" in done.stdout, done.stdout  # 5 + 2 unittest + 2 from the README


def test_unittest_runs_the_example(project: Path) -> None:
    done = _run(project, "-m", "unittest", "-v", "test_inbox_unittest")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ran 2 tests" in done.stderr and done.stderr.rstrip().endswith("OK"), done.stderr


def test_a_failing_user_test_fails_and_the_server_still_stops(project: Path) -> None:
    for path in project.glob("test_*.py"):
        path.unlink()
    (project / "test_broken.py").write_text(
        "def test_wrong_role(credo_tenant):\n"
        "    open('server.pid', 'w').write(str(credo_tenant.authority.pid))\n"
        "    mail = credo_tenant.api('api://mail', app_roles=['Mail.Read'])\n"
        "    daemon = credo_tenant.daemon('d', secret=True)\n"
        "    credo_tenant.grant(daemon, mail, ['Mail.Write'])\n")
    done = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_broken.py")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ValueError: api://mail offers no app role 'Mail.Write' (it offers: Mail.Read)" in (
        done.stdout), done.stdout
    assert "1 failed" in done.stdout
    pid = int((project / "server.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

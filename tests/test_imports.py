"""Every module imports on its own, first (no import cycle hides behind an import order)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "credo"
PROBE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules  # and the metrics registry, which is global state
                   if m.split(".")[0] in ("credo", "prometheus_client")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def modules() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if "migrations" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.slow  # about 30 s of CPU: every module imported fresh; two processes share it
def test_every_module_imports_first() -> None:
    names = modules()
    probes = [subprocess.Popen([sys.executable, "-c", PROBE, *names[half::2]],
                               stdout=subprocess.PIPE, text=True) for half in (0, 1)]
    found = [probe.communicate(timeout=300)[0] for probe in probes]
    assert [probe.returncode for probe in probes] == [0, 0]
    assert "".join(found).strip() == "", found

"""Debian's Chromium driven by Playwright for the portal's browser tests, and axe-core.

The browser trusts the live server's private CA by ignoring certificate errors, as the
admin-consent browser test does. axe-core comes from the npm registry (a pinned version,
installed once into ``.cache/``); without npm or the registry the accessibility test
skips with the reason, and fails under ``CREDO_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

from availability import require_or_skip
from live import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "artifacts" / "portal"
AXE_VERSION = "4.14.1"
SERIOUS = ("serious", "critical")


def require_browser() -> None:
    if not CHROMIUM.exists():
        require_or_skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        require_or_skip("playwright is not installed (pip install -e '.[dev]')")


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


def new_page(browser: Any, *, bypass_csp: bool = False) -> tuple[Any, list[str]]:
    """A page at laptop width, and the list its Content-Security-Policy violations, failed
    integrity checks and script errors are collected in (an error status of a page is not
    one: the portal answers refusals with 4xx pages)."""
    context = browser.new_context(ignore_https_errors=True, bypass_csp=bypass_csp,
                                  viewport={"width": 1366, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_script() -> Path:
    """``axe.min.js`` of the pinned axe-core, installed from the npm registry when missing."""
    target = ROOT / ".cache" / f"axe-core-{AXE_VERSION}"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        require_or_skip("npm is not installed: it fetches axe-core for the accessibility check")
    try:
        subprocess.run([str(npm), "install", "--prefix", str(target), "--no-audit", "--no-fund",
                        "--loglevel=error", f"axe-core@{AXE_VERSION}"],
                       check=True, capture_output=True, text=True, timeout=180)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        require_or_skip(f"npm could not install axe-core@{AXE_VERSION}: {exc}")
    if not script.exists():
        require_or_skip(f"axe-core@{AXE_VERSION} installed without {script.name}")
    return script


def serious_violations(page: Any, script: Path) -> list[str]:
    """axe-core's serious and critical violations of the page (WCAG 2.1 A and AA rules and
    best practices). The script is evaluated through the DevTools protocol, which the
    page's Content-Security-Policy does not govern, so the page is checked as served."""
    page.evaluate(script.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(str(n["target"][0]) for n in v["nodes"][:3])
            for v in found if v.get("impact") in SERIOUS]

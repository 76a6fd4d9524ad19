"""The repository explains itself: nothing cites a file outside it, and every doc link resolves.

Sources, tests, docs and examples may cite RFCs and files of this repository (``docs/``
first), never the design notes the project started from. Every relative link of the
Markdown documentation names a file that exists and, with a ``#fragment``, a heading of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("src", "tests", "docs", "examples")
EXTERNAL = re.compile(
    r"ARCHITECTURE\.md|PROTOCOL\.md|STYLE\.md|entra-protocol-facts|real-clients"
    r"|workload-identity-facts|\.\./shared|shared/design"
    r"|(?<![0-9A-Fa-f]{2}[:\- ])\bD[1-7]\b(?![:\- ][0-9A-Fa-f]{2})")
"""Names of files outside the repository, and its decision labels ``D1`` … ``D7`` (hex
byte runs such as ``AB:D4:01`` are not labels)."""
DOCS = (*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "DEVELOPERS.md")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^ *(```|~~~).*?^ *\1", re.DOTALL | re.MULTILINE)
_CODE = re.compile(r"`[^`\n]*`")
_GENERATED = frozenset({"__pycache__", ".hypothesis", ".mypy_cache", ".pytest_cache"})


def text_files() -> Iterator[Path]:
    here = Path(__file__).resolve()
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*")):
            generated = any(part in _GENERATED or part.endswith(".egg-info")
                            for part in path.parts)
            if path.is_file() and not generated and path != here:
                yield path


def mentions(text: str) -> list[str]:
    return [m.group(0) for m in EXTERNAL.finditer(text)]


def test_nothing_cites_a_file_outside_the_repository() -> None:
    found = []
    for path in text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary test data
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {m}" for m in mentions(line)]
    assert found == []


@pytest.mark.parametrize(("line", "found"), [
    ("see ARCHITECTURE.md §3", ["ARCHITECTURE.md"]),
    ("(PROTOCOL.md §Errors)", ["PROTOCOL.md"]),
    ("False (STYLE.md rule 8)", ["STYLE.md"]),
    ("(entra-protocol-facts §1.3)", ["entra-protocol-facts"]),
    ("as real-clients.md §1 says", ["real-clients"]),
    ("`../shared/design/`", ["../shared"]),
    ("reads (D7).", ["D7"]),
    ("# D3: no assignment", ["D3"]),
    ("ARCHITECTURE D3", ["D3"]),
    ("thumbprint AB:D4:01:FF", []),
    ("ids D8, 3D4, DD4, D42", []),
    ("docs/architecture.md, RFC 7523 §3", []),
])
def test_the_checker_sees_each_name(line: str, found: list[str]) -> None:
    assert mentions(line) == found


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to ``-``."""
    text = _CODE.sub(lambda m: m.group(0).strip("`"), heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def links(path: Path) -> Iterator[str]:
    text = _CODE.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))
    for match in _LINK.finditer(text):
        target = match.group(1)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: …
            yield target


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = []
    for target in links(doc):
        name, _, fragment = target.partition("#")
        file = (doc.parent / name).resolve() if name else doc
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target}: no heading #{fragment} in {file.name}")
    assert broken == []


def test_the_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Top heading\n\n## The `x` part, explained\n")
    doc = tmp_path / "b.md"
    doc.write_text("[ok](a.md#the-x-part-explained) [file](gone.md) [anchor](a.md#nope) "
                   "[web](https://example.com/x.md) `[code](ignored.md)`\n"
                   "```\n[fenced](ignored.md)\n```\n")
    assert list(links(doc)) == ["a.md#the-x-part-explained", "gone.md", "a.md#nope"]
    assert anchors(tmp_path / "a.md") == {"top-heading", "the-x-part-explained"}

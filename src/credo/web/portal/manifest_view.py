"""A manifest shown line by line with each problem beside the member it is about.

The management API names every bad member by its JSON path (``appRoles[1].value``,
``keyCredentials[0].key``, ``$`` for the whole document; ``manifest/_reader.at``). The
document is printed as ``json.dumps(indent=2)`` prints it, each line knowing the path of
the member it starts, and each message goes under the first line of its path, or of the
nearest enclosing member that exists (a missing member's message sits on its parent).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")


@dataclass
class Line:
    number: int
    text: str
    path: str
    errors: list[str] = field(default_factory=list)


def annotate(doc: Any, problems: list[tuple[str, str]]) -> list[Line]:
    lines = [Line(n, text, path) for n, (text, path) in enumerate(_lines(doc, "", 0, "", False),
                                                                  start=1)]
    first: dict[str, Line] = {}
    for line in lines:
        first.setdefault(line.path, line)
    for target, message in problems:
        path = "" if target in ("$", "") else target
        while path not in first and path:
            path = _STEP.sub("", path) if _STEP.search(path) else ""
        first.get(path, lines[0]).errors.append(f"{target}: {message}")
    return lines


def annotate_text(text: str, line: int, column: int, message: str) -> list[Line]:
    """Text that is not JSON: the parser's message under the line it stopped at."""
    lines = [Line(n, t, "") for n, t in enumerate(text.splitlines() or [""], start=1)]
    lines[min(max(line, 1), len(lines)) - 1].errors.append(
        f"Line {line}, column {column}: {message}")
    return lines


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _lines(value: Any, path: str, depth: int, prefix: str, comma: bool
           ) -> Iterator[tuple[str, str]]:
    pad, tail = "  " * depth, "," if comma else ""
    if isinstance(value, dict) and value:
        yield f"{pad}{prefix}{{", path
        items = list(value.items())
        for i, (key, item) in enumerate(items):
            yield from _lines(item, _at(path, str(key)), depth + 1,
                              f"{json.dumps(str(key))}: ", i < len(items) - 1)
        yield f"{pad}}}{tail}", path
    elif isinstance(value, list) and value:
        yield f"{pad}{prefix}[", path
        for i, item in enumerate(value):
            yield from _lines(item, _at(path, i), depth + 1, "", i < len(value) - 1)
        yield f"{pad}]{tail}", path
    else:
        yield f"{pad}{prefix}{json.dumps(value, ensure_ascii=False)}{tail}", path

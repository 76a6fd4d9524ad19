"""What commands print: exactly the JSON with ``--json``, otherwise tables and fields.

Piped output is as wide as it needs to be (grep and cut see whole values); on a terminal
JSON is pretty-printed and long values are folded, never cut.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

_PIPE_WIDTH = 1000


def emit_json(data: Any) -> None:
    """Exactly the JSON, indented; pretty on a terminal."""
    if sys.stdout.isatty():
        Console(soft_wrap=True).print_json(data=data)
    else:
        typer.echo(json.dumps(data, indent=2))


def text(value: Any) -> str:
    """A cell or field value: lists joined by commas, null as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_fields(fields: Mapping[str, object]) -> None:
    """Print ``label  value`` lines, labels in bold, values never wrapped or marked up."""
    console = Console(soft_wrap=True, highlight=False)
    width = max((len(label) for label in fields), default=0)
    for label, value in fields.items():
        console.print(Text.assemble((label.ljust(width), "bold"), "  ", text(value)))


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]],
               *, empty: str = "nothing to show") -> None:
    """A Rich table of ``rows`` with ``(header, key)`` columns; ``empty`` when there are none."""
    if not rows:
        typer.echo(empty)
        return
    table = Table(highlight=False)
    for header, _ in columns:
        table.add_column(header, overflow="fold")  # ids are folded, never cut short
    for row in rows:
        table.add_row(*(text(row.get(key)) for _, key in columns))
    Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH).print(table)


def emit(data: Any, as_json: bool, render: Callable[[], None]) -> None:
    """``--json``: the JSON; otherwise ``render()`` (a table, fields or a sentence)."""
    if as_json:
        emit_json(data)
    else:
        render()


def say(data: Any, as_json: bool, sentence: str) -> None:
    """``--json``: the JSON; otherwise one sentence on stdout."""
    emit(data, as_json, lambda: typer.echo(sentence))

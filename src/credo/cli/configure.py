"""``credo config``: the settings in effect and where each comes from; change ``credo.toml``.

Values are checked against the settings table (``credo.config``) before they are written, so
the file never holds a value that would stop ``credo serve``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli.common import (
    DataDirOption,
    JsonOption,
    command_group,
    default_data_dir,
    handle_errors,
)
from credo.cli.output import emit, emit_table, text
from credo.config import CONFIG_FILE, ROWS, Row, load_settings, write_settings

app = command_group("Show the settings in effect; set or unset them in credo.toml.")

KeyArgument = Annotated[str, typer.Argument(
    metavar="KEY", help="A setting's name, e.g. port (docs/configuration.md).",
    show_default=False)]
_COLUMNS = (("setting", "name"), ("value", "shown"), ("from", "source"))


def _data_dir_source(data_dir: Path) -> str:
    if os.environ.get("CREDO_DATA_DIR"):
        return "CREDO_DATA_DIR"
    return "default" if data_dir == default_data_dir() else "--data-dir"


def _rows(data_dir: Path) -> list[dict[str, Any]]:
    settings = load_settings(data_dir)
    rows = []
    for name, row in ROWS.items():
        value = getattr(settings, name)
        shown = ("(set)" if value else "") if row.rule.secret else text(value)
        plain = str(value) if isinstance(value, Path) else value
        source = _data_dir_source(data_dir) if name == "data_dir" else settings.source(name)
        rows.append({"name": name, "value": None if row.rule.secret else plain,
                     "shown": shown, "source": source, "variable": row.env})
    return rows


@app.command("show")
@handle_errors
def show(data_dir: DataDirOption, as_json: JsonOption = False) -> None:
    """Every setting: its value and where it comes from (option, CREDO_*, file, default)."""
    rows = _rows(data_dir)
    emit([{k: r[k] for k in ("name", "value", "source", "variable")} for r in rows], as_json,
         lambda: emit_table(rows, _COLUMNS))


@app.command("set")
@handle_errors
def set_value(key: KeyArgument,
              value: Annotated[str, typer.Argument(metavar="VALUE", show_default=False)],
              data_dir: DataDirOption, as_json: JsonOption = False) -> None:
    """Write a setting to credo.toml (checked first); restart the server to apply it."""
    settings = load_settings(data_dir)
    write_settings(settings, **{key: value})
    stored = getattr(load_settings(data_dir), key)
    emit({"name": key, "value": stored}, as_json, lambda: typer.echo(
        f"{key} = {text(stored)} in {settings.config_path}; restart `credo serve` to apply"))


@app.command("unset")
@handle_errors
def unset(key: KeyArgument, data_dir: DataDirOption, as_json: JsonOption = False) -> None:
    """Remove a setting from credo.toml: its default (or CREDO_* variable) applies again."""
    settings = load_settings(data_dir)
    write_settings(settings, **{key: None})
    now = load_settings(data_dir)
    emit({"name": key, "value": getattr(now, key)}, as_json, lambda: typer.echo(
        f"{key} removed from {CONFIG_FILE}; it is now {text(getattr(now, key))} "
        f"({now.source(key)})"))


def _kind(row: Row) -> str:
    if row.rule.choices:
        return " \\| ".join(row.rule.choices)
    if row.rule.check is not None:
        return "base64 key" if row.rule.secret else "URL"
    name = {bool: "boolean", int: "integer", float: "number", str: "text", Path: "path"}
    low, high = row.rule.low, row.rule.high
    return name[row.kind] + (f" {low:g} to {high:g}" if low is not None and high is not None
                             else "")


def markdown_table() -> str:
    """The table of docs/configuration.md, one row per setting."""
    lines = ["| setting | variable | type | default | meaning |", "|---|---|---|---|---|"]
    for row in ROWS.values():
        default = row.rule.shown_default or str(row.default).lower() or "unset"
        where = "" if row.in_file else " Not in `credo.toml`."
        lines.append(f"| `{row.name}` | `{row.env}` | {_kind(row)} | `{default}` | "
                     f"{row.rule.meaning}{where} |")
    return "\n".join(lines) + "\n"

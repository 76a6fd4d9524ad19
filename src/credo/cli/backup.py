"""``credo backup --out FILE`` and ``credo restore FILE --data-dir NEW`` (docs/deploy.md).

The archive is secret (the master key, the client-secret pepper, private keys): it is made
0600 and both commands say so. With PostgreSQL the database is not in it; ``pg_dump`` is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from credo.cli.common import (
    EXIT_USAGE,
    CliError,
    DataDirOption,
    JsonOption,
    check_readable,
    handle_errors,
)
from credo.cli.output import emit, print_fields
from credo.config import load_settings

SECRET_NOTE = ("SECRET: this archive holds the master key, the client-secret pepper and "
               "private keys. Store it encrypted, readable only by the operators.")
PG_NOTE = ("The database is PostgreSQL: it is not in this archive. Back it up with pg_dump "
           "(docs/deploy.md, Backups).")


@handle_errors
def backup(
    data_dir: DataDirOption,
    out: Annotated[Path, typer.Option(
        "--out", help="The archive to write (tar.gz, mode 0600; never overwritten).",
        show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Back up the data dir while it serves: a SQLite snapshot, settings and key files."""
    from credo.cli.main import version
    from credo.service.backup import create_backup
    from credo.service.setup import is_initialized

    settings = load_settings(data_dir)
    if not is_initialized(settings):
        raise CliError(f"{settings.data_dir} is not initialized: nothing to back up",
                       exit_code=EXIT_USAGE)
    made = create_backup(settings, out, version=version())
    summary = {"file": str(out), "mode": "0600", **made.manifest}
    emit(summary, as_json, lambda: _print_backup(summary, made.database_included))


def _print_backup(summary: dict[str, Any], database_included: bool) -> None:
    database = summary["database"]
    typer.echo(f"Wrote {summary['file']} (mode 0600).")
    print_fields({
        "Database": f"SQLite snapshot, schema {database['schemaRevision']}"
        if database_included else "PostgreSQL: not included (pg_dump)",
        "Files": ", ".join(k for k in summary["files"] if k != "credo.db"),
        "Not included": "; ".join(summary["notIncluded"]) or "-"})
    if not database_included:
        typer.echo(PG_NOTE)
    typer.echo(SECRET_NOTE)


@handle_errors
def restore(
    archive: Annotated[Path, typer.Argument(metavar="FILE", help="An archive of credo backup.")],
    data_dir: DataDirOption,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into a new data dir (it must not exist or be empty)."""
    from credo.service.backup import restore_backup

    check_readable(archive)
    done = restore_backup(archive, data_dir)
    summary = {"dataDir": str(done.data_dir), "serverUrl": done.base_url,
               "tenants": done.tenants, "signingKeys": list(done.signing_keys),
               "database": done.manifest["database"], "notIncluded": done.manifest["notIncluded"]}
    emit(summary, as_json, lambda: _print_restore(summary))


def _print_restore(summary: dict[str, Any]) -> None:
    typer.echo(f"Restored into {summary['dataDir']} (mode 0700: it holds the keys).")
    print_fields({"Server URL": summary["serverUrl"], "Tenants": summary["tenants"],
                  "Signing keys": summary["signingKeys"],
                  "Still needed": "; ".join(summary["notIncluded"]) or "-"})
    typer.echo(f"Start it with `credo serve --data-dir {summary['dataDir']}`.")

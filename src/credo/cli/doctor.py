"""``credo doctor``: check a data dir and its running server as a user would, say what to fix.

Settings, files and their modes, certificates, the schema; then the server: reachable over
TLS the client trusts, publishing the issuer the data dir names, on time, with signing keys,
accepting the operator. Exit 1 when a check fails (warnings alone exit 0).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from credo.cli import doctor_files, doctor_server
from credo.cli.common import (
    EXIT_FAILURE,
    CaOption,
    DataDirOption,
    JsonOption,
    ServerOption,
    handle_errors,
)
from credo.cli.connection import server_url
from credo.cli.diagnosis import Finding, fail, ok
from credo.cli.output import emit
from credo.config import ConfigError, Settings, load_settings

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "--  "}


def _local(settings: Settings) -> list[Finding]:
    return [doctor_files.files(settings), doctor_files.permissions(settings),
            doctor_files.tls_certificate(settings), doctor_files.operator_certificate(settings),
            doctor_files.migrations(settings)]


def _render(findings: list[Finding]) -> None:
    width = max(len(f.check) for f in findings)
    for finding in findings:
        typer.echo(f"{_MARK[finding.status]}  {finding.check.ljust(width)}  {finding.message}")
        if finding.fix and finding.status in ("warn", "fail"):
            typer.echo(f"{'':4}  {'':{width}}  fix: {finding.fix}")


def diagnose(data_dir: Path, server: str | None, ca: Path | None) -> list[Finding]:
    """Every check, in the order a user would look."""
    from credo.service.setup import is_initialized

    try:
        settings = load_settings(data_dir)
    except ConfigError as exc:
        return [fail("settings", str(exc), "correct or remove it (docs/configuration.md)")]
    found = [ok("settings", f"{settings.config_path.name} and CREDO_* variables are valid")]
    if not is_initialized(settings):
        return [*found, fail("initialized", f"{settings.data_dir} is not initialized",
                             f"credo init --data-dir {settings.data_dir}")]
    found += _local(settings)
    named_by = "--server" if server else "the server setting" if settings.server else None
    target = server_url(server) if server else server_url(settings.server or settings.base_url,
                                                          "the server setting")
    found.append(doctor_server.client_trust(settings, os.environ))
    return found + doctor_server.server_checks(settings, target, ca, named_by)


@handle_errors
def doctor(data_dir: DataDirOption, server: ServerOption = None, ca: CaOption = None,
           as_json: JsonOption = False) -> None:
    """Check the data dir and its running server; print what to fix."""
    findings = diagnose(data_dir, server, ca)
    healthy = all(f.status != "fail" for f in findings)
    emit({"healthy": healthy, "checks": [f.as_json() for f in findings]}, as_json,
         lambda: _render(findings))
    if not healthy:
        raise typer.Exit(EXIT_FAILURE)

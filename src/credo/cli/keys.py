"""``credo keys``: the token-signing keys every tenant's JWKS publishes, and rotation.

Operator only: the calls run with the operator's token for the bootstrap tenant.
Rotation makes the published ``next`` key active (clients that refreshed their JWKS already
know it), retires the active one and publishes a new ``next``.
"""

from __future__ import annotations

import typer

from credo.cli.api import Management
from credo.cli.common import (
    CaOption,
    DataDirOption,
    JsonOption,
    ServerOption,
    command_group,
    handle_errors,
)
from credo.cli.output import emit, emit_table

app = command_group("Token-signing keys (operator).")

_COLUMNS = (("kid", "kid"), ("state", "state"), ("created", "createdDateTime"),
            ("activated", "activatedDateTime"), ("retired", "retiredDateTime"))


@app.command("list")
@handle_errors
def list_keys(data_dir: DataDirOption, server: ServerOption = None, ca: CaOption = None,
              as_json: JsonOption = False) -> None:
    """List the signing keys: active, next and recently retired."""
    with Management(data_dir, server, ca=ca) as api:
        answer = api.get(api.bootstrap_tenant, "/keys")
    keys = [k for k in answer.get("value") or [] if isinstance(k, dict)]
    emit(answer, as_json, lambda: emit_table(keys, _COLUMNS, empty="no signing keys"))


@app.command("rotate")
@handle_errors
def rotate(data_dir: DataDirOption, server: ServerOption = None, ca: CaOption = None,
           as_json: JsonOption = False) -> None:
    """Rotate now: the next key becomes active; tokens already issued stay valid."""
    with Management(data_dir, server, ca=ca) as api:
        answer = api.post(api.bootstrap_tenant, "/keys/rotate", {})
    emit(answer, as_json, lambda: typer.echo(f"active signing key: {answer.get('activeKid')}"))

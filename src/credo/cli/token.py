"""``credo token get``: an app-only token with Credo's client library, as a daemon gets it.

v2 (default): ``ConfidentialClient.acquire_token_for_client`` (MSAL's wire format; a
certificate signs PS256 with ``x5t#S256``). ``--v1``: the ADAL-shaped
``AuthenticationContext.acquire_token`` at ``{authority}/oauth2/token`` with ``resource``
(RS256 with ``x5t``, as ADAL signs). ``--decode`` shows the header and claims, decoded
*without* verifying the signature: for reading, never for trusting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from credo.cli.api import Unreachable, emit_json, management_errors
from credo.cli.common import (
    CliError,
    DataDirOption,
    JsonOption,
    PasswordFileOption,
    read_file,
    read_password_file,
)
from credo.client import CertificateCredential, ClientSecret, ConfidentialClient, Credential
from credo.client.adal import AuthenticationContext, ClientAssertionCertificate, ClientCredential
from credo.config import load_settings
from credo.errors import TemporarilyUnavailable
from credo.jose import parse_compact

app = typer.Typer(no_args_is_help=True, help="Get tokens as a client application would.")

_DEFAULT_SUFFIX = "/.default"


def _secret(secret: str | None, secret_file: Path | None) -> str | None:
    if secret_file is not None:
        text = read_file(secret_file).decode("utf-8", "replace").strip()
        if not text:
            raise CliError(f"the secret file {secret_file} is empty")
        return text
    return secret


def _certificate(cert: Path, key: Path | None, password_file: Path | None,
                 *, v1: bool) -> CertificateCredential:
    return CertificateCredential.from_files(
        cert, key, password=read_password_file(password_file),
        algorithm="RS256" if v1 else "PS256")


def _verify(ca: Path | None, data_dir: Path) -> str | bool:
    """The CA bundle to trust: ``--ca``, else the data dir's local CA when present."""
    if ca is not None:
        if not ca.exists():
            raise CliError(f"--ca: {ca} does not exist")
        return str(ca)
    local = load_settings(data_dir).ca_path
    return str(local) if local.exists() else True


def _targets(scopes: list[str], resource: str | None, v1: bool) -> tuple[list[str], str | None]:
    """v2 scopes and the v1 resource: each may be derived from the other's ``/.default``."""
    if v1 and resource is None:
        defaults = [s for s in scopes if s.endswith(_DEFAULT_SUFFIX)]
        if len(defaults) != 1:
            raise CliError("--v1 needs --resource (or one --scope ending in /.default)")
        resource = defaults[0].removesuffix(_DEFAULT_SUFFIX)
    if not v1 and not scopes:
        if resource is None:
            raise CliError("give --scope, e.g. --scope api://mail/.default")
        scopes = [resource.rstrip("/") + _DEFAULT_SUFFIX]
    return scopes, resource


def _acquire_v2(authority: str, client_id: str, credential: Credential, scopes: list[str],
                verify: str | bool) -> dict[str, Any]:
    with ConfidentialClient(authority, client_id, credential=credential, verify=verify) as cc:
        token = cc.acquire_token_for_client(scopes)
    return {"token_type": token.token_type, "access_token": token.access_token,
            "expires_on": int(token.expires_on), "scope": " ".join(token.scopes)}


def _acquire_v1(authority: str, client_id: str, credential: CertificateCredential | str,
                resource: str, verify: str | bool) -> dict[str, Any]:
    adal_credential = (ClientCredential(client_id, credential) if isinstance(credential, str)
                       else ClientAssertionCertificate(client_id, credential))
    context = AuthenticationContext(authority, verify=verify)
    try:
        result = context.acquire_token(resource, adal_credential)
    finally:
        context.close()
    return {"token_type": result["tokenType"], "access_token": result["accessToken"],
            "expires_in": result["expiresIn"], "resource": result["resource"]}


def _decoded(access_token: str) -> dict[str, Any]:
    jws = parse_compact(access_token)
    return {"signatureVerified": False, "header": jws.header, "claims": jws.claims}


def _print(token: dict[str, Any], *, decode: bool, as_json: bool) -> None:
    if not decode:
        if as_json:
            emit_json(token)
        else:
            typer.echo(token["access_token"])
        return
    decoded = _decoded(token["access_token"])
    if as_json:
        emit_json(decoded)
        return
    typer.echo("Decoded WITHOUT verifying the signature (for reading, not for trusting).",
               err=True)
    typer.echo("Header:")
    emit_json(decoded["header"])
    typer.echo("Claims:")
    emit_json(decoded["claims"])


@app.command("get")
@management_errors
def get(
    authority: Annotated[str, typer.Option(
        help="https://HOST:PORT/<tenant id or domain>.", show_default=False)],
    client_id: Annotated[str, typer.Option(help="The app's appId.", show_default=False)],
    data_dir: DataDirOption,
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="e.g. api://mail/.default (v2; repeatable).")] = None,
    cert: Annotated[Path | None, typer.Option(help="Certificate (PEM, or .pfx).")] = None,
    key: Annotated[Path | None, typer.Option(help="Its private key (PEM).")] = None,
    password_file: PasswordFileOption = None,
    secret_file: Annotated[Path | None, typer.Option(help="File holding a client secret.")] = None,
    secret: Annotated[str | None, typer.Option(
        help="A client secret (visible to other users in the process list: prefer "
             "--secret-file).")] = None,
    v1: Annotated[bool, typer.Option("--v1", help="Use the v1 endpoint (ADAL).")] = False,
    resource: Annotated[str | None, typer.Option(help="v1 resource, e.g. api://mail.")] = None,
    decode: Annotated[bool, typer.Option(
        "--decode", help="Print the header and claims (not verified).")] = False,
    ca: Annotated[Path | None, typer.Option(
        help="CA bundle to trust. [default: the data dir's local CA, if present]")] = None,
    as_json: JsonOption = False,
) -> None:
    """Get an app-only token (client credentials) and print it."""
    client_secret = _secret(secret, secret_file)
    if (cert is None) == (client_secret is None):
        raise CliError("give exactly one credential: --cert (with --key), --secret-file or "
                       "--secret")
    scopes, v1_resource = _targets(list(scope or []), resource, v1)
    verify = _verify(ca, data_dir)
    credential: CertificateCredential | str = (
        _certificate(cert, key, password_file, v1=v1) if cert is not None else str(client_secret))
    try:
        if v1 and v1_resource is not None:
            token = _acquire_v1(authority, client_id, credential, v1_resource, verify)
        else:
            v2_credential = ClientSecret(credential) if isinstance(credential, str) else credential
            token = _acquire_v2(authority, client_id, v2_credential, scopes, verify)
    except TemporarilyUnavailable as exc:
        if isinstance(exc.__cause__, httpx.TransportError):
            raise Unreachable(authority, str(exc.__cause__) or "") from exc
        raise
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    _print(token, decode=decode, as_json=as_json)

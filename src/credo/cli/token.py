"""``credo token get``: an app-only token, exactly as a daemon would get it.

v2 (default): ``ConfidentialClient.acquire_token_for_client`` at
``{server}/{tenant}/oauth2/v2.0/token`` with ``scope``. ``--v1``: the ADAL-shaped
``AuthenticationContext.acquire_token`` at ``{server}/{tenant}/oauth2/token`` with
``resource`` (RS256 with ``x5t``, as ADAL signs). APP may be a display name and the tenant
may be left out when the data dir's operator can look them up. ``--decode`` shows the
header and claims, decoded *without* verifying the signature: for reading, never for trusting.

A certificate or key file that cannot be read or used is named with the option that gave it
(exit 1); a refusal the CLI can help with is followed by the command to run next.
"""

from __future__ import annotations

import shlex
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from credo import certs
from credo.cli import lookup
from credo.cli.api import TENANT_NOT_FOUND, Management, segment, unknown_tenant
from credo.cli.common import (
    EXIT_USAGE,
    CaOption,
    CliError,
    DataDirOption,
    JsonOption,
    PasswordFileOption,
    ServerOption,
    TenantOption,
    command_group,
    handle_errors,
    oauth_message,
    read_file,
    read_password_file,
)
from credo.cli.connection import ca_hint, explain, server_url, trust
from credo.cli.output import emit_json
from credo.client import CertificateCredential, ClientSecret, ConfidentialClient, Credential
from credo.client.adal import AuthenticationContext, ClientAssertionCertificate, ClientCredential
from credo.config import load_settings
from credo.errors import CertificateError, OAuthError, TemporarilyUnavailable, TlsTrustError
from credo.jose import parse_compact
from credo.model import is_guid

app = command_group("Get tokens as a client application would.")

_DEFAULT_SUFFIX = "/.default"
_PFX_SUFFIXES = (".pfx", ".p12")
KEY_NOT_REGISTERED = 700027
"""The assertion's certificate is not one of the app's (or its signature does not verify)."""
APP_DISABLED = 7000112


def _secret(secret: str | None, secret_file: Path | None) -> str | None:
    if secret_file is not None:
        text = read_file(secret_file).decode("utf-8", "replace").strip()
        if not text:
            raise CliError(f"the secret file {secret_file} is empty")
        return text
    return secret


@contextmanager
def _about(what: str) -> Iterator[None]:
    """A ``CertificateError`` becomes ``<what>: <why>`` (exit 1: the file is unusable)."""
    try:
        yield
    except CertificateError as exc:
        raise CliError(f"{what}: {exc.description}") from exc


def _key_and_certificate(cert: Path, key: Path | None, password: bytes | None,
                         ) -> certs.KeyAndCert:
    """The key and certificate of ``--cert`` (a PFX, or PEM with ``--key`` or the key inside);
    each problem is named by the file it is in."""
    data = read_file(cert)
    if cert.suffix.lower() in _PFX_SUFFIXES:
        with _about(str(cert)):
            return certs.load_pkcs12(data, password)
    with _about(str(cert)):
        certificate = certs.load_certificate(data)
    if key is None and b"PRIVATE KEY-----" not in data:
        raise CliError(f"{cert} holds no private key: give its key file with --key (`credo cert "
                       f"create` writes it as {cert.with_suffix('.key.pem').name}), or give the "
                       ".pfx holding both as --cert")
    key_data = data if key is None else read_file(key)
    with _about(str(key or cert)):
        return certs.load_private_key(key_data, password), certificate


def _certificate(cert: Path, key: Path | None, password_file: Path | None,
                 *, v1: bool) -> CertificateCredential:
    private, certificate = _key_and_certificate(cert, key, read_password_file(password_file))
    with _about(f"--cert {cert} and --key {key}" if key is not None else str(cert)):
        return CertificateCredential(private, certificate, algorithm="RS256" if v1 else "PS256")


def _targets(scopes: list[str], resource: str | None, v1: bool) -> tuple[list[str], str | None]:
    """v2 scopes and the v1 resource: each may be derived from the other's ``/.default``."""
    if v1 and resource is None:
        defaults = [s for s in scopes if s.endswith(_DEFAULT_SUFFIX)]
        if len(defaults) != 1:
            raise CliError("--v1 needs --resource (or one --scope ending in /.default)",
                           exit_code=EXIT_USAGE)
        resource = defaults[0].removesuffix(_DEFAULT_SUFFIX)
    if not v1 and not scopes:
        if resource is None:
            raise CliError("give --scope, e.g. --scope api://mail/.default", exit_code=EXIT_USAGE)
        scopes = [resource.rstrip("/") + _DEFAULT_SUFFIX]
    return scopes, resource


def _client_and_tenant(app_ref: str, tenant: str | None, data_dir: Path, server: str | None,
                       ca: Path | None) -> tuple[str, str]:
    """``(appId, tenant)``; names and a missing tenant are looked up as the operator."""
    if is_guid(app_ref) and tenant is not None:
        return app_ref, tenant
    if not load_settings(data_dir).operator_app_id:
        raise CliError(f"give the app's appId and --tenant: {data_dir} has no operator to look "
                       f"up {app_ref!r}", exit_code=EXIT_USAGE)
    with Management(data_dir, server, ca=ca) as api:
        home, found = lookup.locate(api, app_ref, None)
    return str(found["appId"]), tenant or home


def _acquire_v2(authority: str, client_id: str, credential: Credential, scopes: list[str],
                verify: ssl.SSLContext) -> dict[str, Any]:
    with ConfidentialClient(authority, client_id, credential=credential, verify=verify,
                            allow_insecure_http=authority.startswith("http:")) as cc:
        token = cc.acquire_token_for_client(scopes)
    return {"token_type": token.token_type, "access_token": token.access_token,
            "expires_on": int(token.expires_on), "scope": " ".join(token.scopes)}


def _acquire_v1(authority: str, client_id: str, credential: CertificateCredential | str,
                resource: str, verify: ssl.SSLContext) -> dict[str, Any]:
    adal_credential = (ClientCredential(client_id, credential) if isinstance(credential, str)
                       else ClientAssertionCertificate(client_id, credential))
    context = AuthenticationContext(authority, verify=verify)
    try:
        result = context.acquire_token(resource, adal_credential)
    finally:
        context.close()
    return {"token_type": result["tokenType"], "access_token": result["accessToken"],
            "expires_in": result["expiresIn"], "resource": result["resource"]}


def _refused(exc: OAuthError, app_ref: str, tenant: str | None, where: str,
             cert: Path | None) -> CliError:
    """The token endpoint's refusal, with the command that helps when there is one."""
    app = shlex.quote(app_ref)
    if exc.code in TENANT_NOT_FOUND:
        return unknown_tenant(where)
    if exc.code == KEY_NOT_REGISTERED:
        upload = (f"`credo app cert add {app} {shlex.quote(str(cert))}`"
                  if cert is not None and cert.suffix.lower() not in _PFX_SUFFIXES
                  else f"`credo app cert add {app} FILE` (its .pem or .cer, never the .pfx)")
        return CliError(oauth_message(exc), hints=[
            f"`credo app cert list {app}` shows the app's certificates and their thumbprints; "
            f"{upload} uploads this one"])
    if exc.code == APP_DISABLED:
        in_tenant = f" --tenant {shlex.quote(tenant)}" if tenant is not None else ""
        return CliError(oauth_message(exc), hints=[
            f"`credo app enable {app}{in_tenant}` enables it"])
    return CliError(oauth_message(exc))


def _print(token: dict[str, Any], *, decode: bool, as_json: bool) -> None:
    if not decode:
        if as_json:
            emit_json(token)
        else:
            typer.echo(token["access_token"])
        return
    jws = parse_compact(token["access_token"])
    decoded = {"signatureVerified": False, "header": jws.header, "claims": jws.claims}
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
@handle_errors
def get(
    app_ref: Annotated[str, typer.Argument(
        metavar="APP", help="The client app: its appId, or a name the data dir's operator can "
        "look up.", show_default=False)],
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
    tenant: TenantOption = None, server: ServerOption = None, ca: CaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Get an app-only token (client credentials) and print it."""
    client_secret = _secret(secret, secret_file)
    if (cert is None) == (client_secret is None):
        raise CliError("give exactly one credential: --cert (with --key), --secret-file or "
                       "--secret", exit_code=EXIT_USAGE)
    scopes, v1_resource = _targets(list(scope or []), resource, v1)
    settings = load_settings(data_dir)
    base = server_url(server) if server else server_url(settings.server or settings.base_url,
                                                        "the server setting")
    verify = trust(ca, settings)
    credential: CertificateCredential | str = (
        _certificate(cert, key, password_file, v1=v1) if cert is not None else str(client_secret))
    client_id, where = _client_and_tenant(app_ref, tenant, data_dir, server, ca)
    authority = f"{base}/{segment(where)}"
    try:
        if v1 and v1_resource is not None:
            token = _acquire_v1(authority, client_id, credential, v1_resource, verify)
        else:
            v2_credential = ClientSecret(credential) if isinstance(credential, str) else credential
            token = _acquire_v2(authority, client_id, v2_credential, scopes, verify)
    except TlsTrustError as exc:
        raise explain(base, exc, ca_hint(settings)) from exc
    except TemporarilyUnavailable as exc:
        if isinstance(exc.__cause__, httpx.TransportError):
            raise explain(base, exc.__cause__, ca_hint(settings)) from exc
        raise
    except OAuthError as exc:
        raise _refused(exc, app_ref, tenant, where, cert) from exc
    except ValueError as exc:
        raise CliError(str(exc), exit_code=EXIT_USAGE) from exc
    _print(token, decode=decode, as_json=as_json)

"""Reaching the server: which URL, which CA, and what a failed connection means.

A failure is named for what it is, with the fix: nothing listens (start ``credo serve``), the
TLS certificate is not trusted (``--ca``, ``REQUESTS_CA_BUNDLE``), plain HTTP sent to the
HTTPS port or TLS to a plain-HTTP one (the scheme), no answer in time.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from credo.cli.common import EXIT_USAGE, CliError
from credo.config import Settings
from credo.errors import TlsTrustError
from credo.httpflow import UNKNOWN_ISSUER, certificate_failure


def server_url(value: str, option: str = "--server") -> str:
    """``value`` as a base URL (``https://host[:port]``), or a usage error that shows one."""
    parts = urlsplit(value.strip())
    if parts.scheme in ("http", "https") and parts.hostname:
        return value.strip().rstrip("/")
    rest = value.strip().split("://")[-1].strip("/")
    hint = f"did you mean https://{rest}?" if rest else "e.g. https://127.0.0.1:8443"
    raise CliError(f"{option}: {value!r} is not a URL; {hint}", exit_code=EXIT_USAGE)


def trust(ca: Path | None, settings: Settings) -> ssl.SSLContext:
    """``--ca`` alone when given; else the system's CAs plus the data dir's local CA."""
    if ca is not None:
        try:
            return ssl.create_default_context(cafile=str(ca))
        except (OSError, ssl.SSLError) as exc:
            raise CliError(f"--ca: cannot load {ca} as PEM CA certificates ({exc})") from exc
    context = ssl.create_default_context()
    if settings.ca_path.exists():
        context.load_verify_locations(cafile=str(settings.ca_path))
    return context


def ca_hint(settings: Settings) -> Path | None:
    """The CA file to name in a trust error: the data dir's local CA, when there is one."""
    return settings.ca_path if settings.ca_path.exists() else None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1][:160] if text else type(exc).__name__


def untrusted_reason(exc: BaseException) -> str | None:
    """Why the server's TLS certificate did not verify; None when something else failed."""
    failure = certificate_failure(exc)  # the TLS library's own reason first, however wrapped
    if failure is not None:
        return failure.verify_message or _reason(failure)
    return next((c.description for c in _chain(exc) if isinstance(c, TlsTrustError)), None)


def foreign_certificate(exc: BaseException) -> bool:
    """The server's certificate chains to none of the CAs the client trusts (rather than
    naming another host or being out of date): another CA made it."""
    failure = certificate_failure(exc)
    return failure is not None and failure.verify_code in UNKNOWN_ISSUER


def refused(exc: BaseException) -> bool:
    """Nothing listens there: the connection was refused."""
    return any(isinstance(c, ConnectionRefusedError) for c in _chain(exc))


def something_else_answers(exc: BaseException) -> bool:
    """A program listens there but is not an HTTPS server that answers in time: it speaks no
    TLS (or another TLS), drops the request, or accepts it and never answers."""
    odd = (ssl.SSLError, httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError,
           httpx.WriteError)
    return any(isinstance(c, odd) for c in _chain(exc))


def untrusted(url: str, reason: str, ca_file: Path | None) -> CliError:
    """The server's certificate did not verify: a setup problem, and how to fix it."""
    ca = str(ca_file) if ca_file is not None else "Credo's tls/ca.pem (in its data dir)"
    return CliError(
        f"the TLS certificate of {url} is not trusted ({reason}). This is a trust setting, "
        f"not an outage: give the CLI the server's CA with --ca {ca} (or that server's "
        "--data-dir); for MSAL and other requests-based clients export "
        f"REQUESTS_CA_BUNDLE={ca}; Credo's client takes verify=\"{ca}\"")


def explain(url: str, exc: BaseException, ca_file: Path | None = None, *,
            suggest_doctor: bool = True) -> CliError:
    """The CLI message for a request to ``url`` that got no HTTP answer (``credo doctor``
    itself does not suggest running ``credo doctor``)."""
    reason = untrusted_reason(exc)
    if reason is not None:
        return untrusted(url, reason, ca_file)
    scheme = urlsplit(url).scheme
    dropped = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
    if scheme == "http" and any(isinstance(c, dropped) for c in _chain(exc)):
        return CliError(f"{url} closed the connection without answering plain HTTP: Credo "
                        f"serves HTTPS unless started with --insecure-http; use "
                        f"https://{url.split('://', 1)[1]}")
    if scheme == "https" and any(isinstance(c, ssl.SSLError) for c in _chain(exc)):
        return CliError(f"{url} does not speak TLS ({_reason(exc)}): a server started with "
                        f"--insecure-http is reached through its TLS proxy, or as "
                        f"http://{url.split('://', 1)[1]}")
    if any(isinstance(c, httpx.TimeoutException) for c in _chain(exc)):
        return CliError(f"{url} did not answer in time ({_reason(exc)})")
    doctor = " `credo doctor` checks the data dir and the server" if suggest_doctor else ""
    return CliError(f"cannot reach Credo at {url} ({_reason(exc)}) — is `credo serve` "
                    f"running?{doctor}")

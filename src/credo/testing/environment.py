"""Process environment changes that are always undone: CA trust and ``AZURE_*`` settings.

``requests`` (MSAL, azure-identity) reads ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` and
prefers them over a session's ``verify=``; OpenSSL's default paths (``ssl``,
``urllib``, aiohttp) and httpx read ``SSL_CERT_FILE``. All three point at one bundle:
Credo's local CA followed by whatever the process trusted before, so other HTTPS services
a test talks to stay trusted.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
AZURE_CREDENTIAL_VARIABLES = (
    "AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_USERNAME", "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE", "AZURE_REGIONAL_AUTHORITY_NAME",
)
"""Everything ``EnvironmentCredential`` / ``DefaultAzureCredential`` read to pick a credential."""


@contextmanager
def patched_environ(values: Mapping[str, str], *, unset: tuple[str, ...] = ()
                    ) -> Iterator[None]:
    """Set ``values`` and remove ``unset`` in ``os.environ``; restore every one afterwards."""
    names = {*values, *unset}
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in unset:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def previously_trusted() -> list[Path]:
    """The CA files this process trusts now: the variables' targets and OpenSSL's default."""
    candidates = [os.environ.get(name) for name in CA_VARIABLES]
    candidates.append(ssl.get_default_verify_paths().cafile)
    found: list[Path] = []
    for candidate in candidates:
        path = Path(candidate).resolve() if candidate else None
        if path is not None and path.is_file() and path not in found:
            found.append(path)
    return found


def write_bundle(ca_path: Path, target: Path) -> Path:
    """``target``: Credo's CA first, then every previously trusted CA file."""
    parts = [ca_path.read_text()]
    parts.extend(path.read_text(errors="replace") for path in previously_trusted())
    target.write_text("\n".join(part.strip() for part in parts) + "\n")
    return target


@contextmanager
def trusted_ca(ca_path: Path, bundle_path: Path) -> Iterator[Path]:
    """Point ``CA_VARIABLES`` at a bundle that adds ``ca_path``; the bundle's path."""
    bundle = write_bundle(ca_path, bundle_path)
    with patched_environ(dict.fromkeys(CA_VARIABLES, str(bundle))):
        yield bundle

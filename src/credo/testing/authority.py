"""The running test authority and ``serve()``, which starts it and undoes everything after.

``serve()`` starts ``credo serve`` (``server.py``), makes its CA trusted for this process
(``environment.trusted_ca``), makes its host known to MSAL (``known_authority``), and
yields an ``Authority``; on exit it closes the helpers' connections, restores MSAL and the
environment, stops the server (bounded) and removes the temporary directory it made.
"""

from __future__ import annotations

import gc
import ssl
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Self

from credo.testing.environment import trusted_ca
from credo.testing.graph import Graph
from credo.testing.known_authority import known_to_msal
from credo.testing.server import ServerProcess, start
from credo.testing.tenant import Tenant, unique_domain


class Authority:
    """A real Credo on ``https://127.0.0.1:<port>``; ``tenant()`` makes a fresh tenant."""

    def __init__(self, server: ServerProcess, directory: Path, ca_bundle: Path,
                 startup_seconds: float) -> None:
        self.url = server.info.url
        self.ca_path = server.info.ca_path
        self.ca_bundle = ca_bundle
        self.directory = directory
        self.data_dir = server.info.data_dir
        self.log_path = server.log_path
        self.pid = server.pid
        self.startup_seconds = startup_seconds
        self.graph = Graph(server.info, self.ssl_context())
        self._directory_roles: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"Authority(url={self.url!r})"

    def ssl_context(self) -> ssl.SSLContext:
        """A new client ``SSLContext`` trusting (only) Credo's CA, for code that takes one."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def tenant(self, domain: str | None = None, *, profile: str = "entra") -> Tenant:
        """Create a tenant (``<random>.test`` when no domain is given); ``profile`` is
        ``entra`` (what Entra ID accepts) or ``strict``."""
        domain = domain or unique_domain()
        created = self.graph.call("POST", self.graph.bootstrap_tenant, "/tenants",
                                  {"domain": domain, "displayName": domain, "profile": profile})
        return Tenant(self, str(created["id"]), domain)

    def directory_role_id(self, tenant_id: str, name: str) -> str:
        """The id of a directory role by display name (``Global Administrator``) or id."""
        if self._directory_roles is None:
            roles = self.graph.collection(tenant_id, "/directoryRoles")
            self._directory_roles = {str(r["displayName"]).lower(): str(r["id"]) for r in roles}
        wanted = name.strip().lower()
        if wanted in self._directory_roles.values():
            return wanted
        try:
            return self._directory_roles[wanted]
        except KeyError:
            raise ValueError(f"unknown directory role {name!r}; known: "
                             f"{', '.join(sorted(self._directory_roles))}") from None

    def close(self) -> None:
        self.graph.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def serve(directory: Path | None = None, *, timeout: float = 60.0,
          settings: Mapping[str, object] | None = None) -> Iterator[Authority]:
    """Start a test authority under ``directory`` (a new temporary one by default), with
    ``settings`` of docs/configuration.md (``{"federation_ca_file": …}``) when given.

    For unittest: ``cls.credo = cls.enterClassContext(credo.testing.serve())``."""
    with ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="credo-")))
        began = time.monotonic()
        server = start(directory, timeout=timeout, settings=settings)
        stack.callback(server.stop)
        stack.callback(gc.collect)  # clients out of scope close their idle connections first
        bundle = stack.enter_context(trusted_ca(server.info.ca_path, directory / "ca-bundle.pem"))
        stack.enter_context(known_to_msal(server.info.url))
        yield stack.enter_context(
            Authority(server, directory, bundle, time.monotonic() - began))

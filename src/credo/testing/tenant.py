"""A tenant of the test authority and the helpers that fill it, named as Microsoft Graph names.

``api`` registers a protected API, ``daemon`` / ``web_app`` / ``native_app`` client apps
with their credentials, ``grant`` / ``revoke`` application permissions (admin consent:
``appRoleAssignedTo``), ``user`` a user with directory roles, and ``sign_in`` walks Credo's
own pages to produce an authorization response. Every change goes through the management
API, so each helper is one to four HTTPS requests on loopback. Used as a context manager
(the ``credo_tenant`` fixture does), a tenant deletes its applications at the end.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from credo.testing import credentials
from credo.testing.environment import AZURE_CREDENTIAL_VARIABLES, patched_environ
from credo.testing.graph import ManagementError
from credo.testing.registrations import Api, App, Registration, User, api_manifest
from credo.testing.signin import SignIn

if TYPE_CHECKING:
    from credo.testing.authority import Authority


class Tenant:
    """One tenant: ``id`` (GUID), ``domain`` and ``authority_url`` for MSAL."""

    def __init__(self, authority: Authority, tenant_id: str, domain: str) -> None:
        self.authority = authority
        self.id = tenant_id
        self.domain = domain
        self._registered: list[str] = []

    def __repr__(self) -> str:
        return f"Tenant(id={self.id!r}, domain={self.domain!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.delete_applications()

    def delete_applications(self) -> None:
        """Delete the applications the helpers registered here (with their service
        principals, credentials and grants). Identifier URIs are unique across the whole
        authority, so the next test may then register ``api://mail`` again."""
        while self._registered:
            object_id = self._registered.pop()
            try:
                self.call("DELETE", f"/applications/{object_id}")
            except ManagementError as error:
                if error.status != 404:  # the test deleted it itself
                    raise

    @property
    def authority_url(self) -> str:
        """``https://127.0.0.1:<port>/<domain>``: MSAL's ``authority``."""
        return f"{self.authority.url}/{self.domain}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        """Any management-API call in this tenant as the operator: ``call("GET", "/users")``."""
        return self.authority.graph.call(method, self.id, path, body)

    def _register(self, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        app = self.call("POST", "/applications", body)
        self._registered.append(str(app["id"]))
        sp = self.call("GET", f"/servicePrincipals(appId='{app['appId']}')")
        return app, str(sp["id"])

    def api(self, identifier_uri: str, *, app_roles: Iterable[str] = (),
            scopes: Iterable[str] = (), name: str | None = None,
            access_token_version: int | None = None) -> Api:
        """Register an API offering ``app_roles`` (application permissions) and ``scopes``
        (delegated permissions users may consent to)."""
        body = api_manifest(name or identifier_uri, identifier_uri, app_roles, scopes,
                            access_token_version)
        app, sp_id = self._register(body)
        return Api(app["displayName"], app["appId"], app["id"], sp_id, self,
                   identifier_uri=identifier_uri,
                   role_ids={r["value"]: r["id"] for r in app.get("appRoles") or []},
                   scope_ids={s["value"]: s["id"] for s in
                              (app.get("api") or {}).get("oauth2PermissionScopes") or []})

    def daemon(self, name: str, *, certificate: bool = False, secret: bool = False) -> App:
        """Register an app that acts as itself, with a new certificate and/or secret (or
        neither, for an app whose credential is a federated one: ``app.federated(…)``)."""
        return self._client(name, {}, (), certificate=certificate, secret=secret)

    def web_app(self, name: str, redirect_uri: str, *, secret: bool = True,
                certificate: bool = False) -> App:
        """Register a confidential web app signing users in at ``redirect_uri``."""
        return self._client(name, {"web": {"redirectUris": [redirect_uri]}}, (redirect_uri,),
                            certificate=certificate, secret=secret)

    def native_app(self, name: str, redirect_uri: str = "http://localhost") -> App:
        """Register a public client (desktop, CLI) signing users in at ``redirect_uri``."""
        return self._client(name, {"publicClient": {"redirectUris": [redirect_uri]}},
                            (redirect_uri,), certificate=False, secret=False)

    def _client(self, name: str, body: dict[str, Any], redirect_uris: tuple[str, ...], *,
                certificate: bool, secret: bool) -> App:
        app, sp_id = self._register({"displayName": name, **body})
        files = None
        if certificate:
            directory = self.authority.directory / "apps" / app["appId"]
            files, key_credential = credentials.create(directory, name)
            self.call("POST", f"/applications/{app['id']}/addKey",
                      {"keyCredential": key_credential, "passwordCredential": None})
        secret_text = None
        if secret:
            secret_text = str(self.call("POST", f"/applications/{app['id']}/addPassword",
                                        {"passwordCredential": {"displayName": "test"}}
                                        )["secretText"])
        return App(name, app["appId"], app["id"], sp_id, self, certificate=files,
                   secret=secret_text, redirect_uris=redirect_uris)

    def grant(self, client: Registration, api: Api, roles: str | Iterable[str]) -> list[str]:
        """Admin consent: grant ``client`` the application permissions ``roles`` on ``api``;
        the ids of the new ``appRoleAssignment`` objects."""
        wanted = [roles] if isinstance(roles, str) else list(roles)
        if not wanted:
            raise ValueError("name at least one app role to grant")
        return [str(self.call("POST", f"/servicePrincipals/{api.sp_id}/appRoleAssignedTo",
                              {"principalId": client.sp_id, "resourceId": api.sp_id,
                               "appRoleId": api.role_id(value)})["id"])
                for value in wanted]

    def revoke(self, client: Registration, api: Api, roles: str | Iterable[str] | None = None
               ) -> None:
        """Revoke ``roles`` (all, when None) that ``client`` holds on ``api``."""
        wanted = None if roles is None else {api.role_id(r) for r in
                                             ([roles] if isinstance(roles, str) else roles)}
        held = self.authority.graph.collection(
            self.id, f"/servicePrincipals/{client.sp_id}/appRoleAssignments")
        found = [a for a in held if a.get("resourceId") == api.sp_id
                 and (wanted is None or a.get("appRoleId") in wanted)]
        if not found or (wanted is not None and len(found) < len(wanted)):
            raise LookupError(f"{client.name} does not hold every role asked for on {api.name}")
        for assignment in found:
            self.call("DELETE",
                      f"/servicePrincipals/{api.sp_id}/appRoleAssignedTo/{assignment['id']}")

    def user(self, upn: str, password: str | None = None, *, roles: Iterable[str] = (),
             display_name: str | None = None) -> User:
        """Create a user (``alice`` becomes ``alice@<domain>``) holding directory ``roles``
        such as ``"Global Administrator"``; a strong password is drawn when none is given."""
        upn = upn if "@" in upn else f"{upn}@{self.domain}"
        password = password if password is not None else secrets.token_urlsafe(18)
        name = display_name or upn.split("@")[0]
        role_names = tuple(roles)
        role_ids = [self.authority.directory_role_id(self.id, r) for r in role_names]
        created = self.call("POST", "/users", {
            "accountEnabled": True, "displayName": name, "userPrincipalName": upn,
            "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False}})
        for role_id in role_ids:
            self.call("POST", f"/directoryRoles/{role_id}/members/$ref",
                      {"@odata.id": f"{self.authority.url}/v1.0/directoryObjects/"
                                    f"{created['id']}"})
        return User(str(created["id"]), str(created["userPrincipalName"]), password, name,
                    role_names)

    def sign_in(self, flow_or_url: Mapping[str, Any] | str, user: User, *,
                consent: bool = True, for_organization: bool = False) -> dict[str, str]:
        """Sign ``user`` in on Credo's pages and accept (or cancel) consent; the authorization
        response for MSAL's ``acquire_token_by_auth_code_flow(flow, response)``.

        ``flow_or_url``: MSAL's flow (its ``auth_uri`` is used) or any authorize or
        admin-consent URL on this authority. ``SignInError`` when Credo stops on a page."""
        url = flow_or_url if isinstance(flow_or_url, str) else str(flow_or_url["auth_uri"])
        walk = SignIn(self.authority.url, self.authority.ssl_context(), user.upn, user.password,
                      consent=consent, for_organization=for_organization)
        return walk.run(url)

    def azure_variables(self, app: App, *, use_secret: bool = False) -> dict[str, str]:
        """``AZURE_*`` for ``EnvironmentCredential`` / ``DefaultAzureCredential`` as ``app``:
        its certificate PEM (key and certificate) unless ``use_secret`` or it has none."""
        variables = {"AZURE_AUTHORITY_HOST": self.authority.url, "AZURE_TENANT_ID": self.id,
                     "AZURE_CLIENT_ID": app.client_id}
        if app.certificate is not None and not use_secret:
            variables["AZURE_CLIENT_CERTIFICATE_PATH"] = str(app.certificate.pem_path)
        elif app.secret is not None:
            variables["AZURE_CLIENT_SECRET"] = app.secret
        else:
            raise ValueError(f"{app.name} has no {'secret' if use_secret else 'credential'}")
        return variables

    @contextmanager
    def azure_environment(self, app: App, *, use_secret: bool = False) -> Iterator[None]:
        """Set ``azure_variables(app)`` (and unset every other credential variable) while
        active; the previous environment comes back afterwards."""
        with patched_environ(self.azure_variables(app, use_secret=use_secret),
                             unset=AZURE_CREDENTIAL_VARIABLES):
            yield


def unique_domain(prefix: str = "test") -> str:
    """``<prefix>-<random>.test``: a domain no other tenant of the session uses."""
    label = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")[:40] or "test"
    return f"{label}-{secrets.token_hex(4)}.test"

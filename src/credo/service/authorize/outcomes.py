"""What the authorization endpoint's pipeline decides (``service/authorize/flow.py``): one value per
outcome, which the web layer renders (RFC 6749 §4.1.2, §4.1.2.1; OIDC Core §3.1.2.5-6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import quote

from credo.errors import OAuthError
from credo.model import Application, RedirectKind, ServicePrincipal, Tenant, User
from credo.protocol.authorize import AuthorizeRequest, ResponseMode
from credo.protocol.user_consent import ConsentState


class SignedIn(Protocol):
    """The browser's signed-in user (``web.session.SignedInUser`` has this shape)."""

    @property
    def user(self) -> User: ...
    @property
    def auth_time(self) -> int: ...
    @property
    def session_id(self) -> str: ...


@dataclass(frozen=True)
class Prepared:
    """A request whose tenant, client and redirect URI are valid: errors may redirect."""

    tenant: Tenant
    segment: str
    version: Literal[1, 2]
    params: Mapping[str, str]
    client: Application
    client_sp: ServicePrincipal | None
    redirect: tuple[str, RedirectKind]

    def path(self, suffix: str = "authorize") -> str:
        middle = "/v2.0" if self.version == 2 else ""
        return f"/{quote(self.segment, safe='')}/oauth2{middle}/{suffix}"


@dataclass(frozen=True)
class ErrorPage:
    error: OAuthError


@dataclass(frozen=True)
class SignIn:
    return_to: str


@dataclass(frozen=True)
class Respond:
    """Parameters for the client, delivered to ``redirect_uri`` in ``mode``."""

    redirect_uri: str
    mode: ResponseMode
    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ConsentPrompt:
    prepared: Prepared
    request: AuthorizeRequest
    resource: Application | None
    state: ConsentState | None
    is_admin: bool


Outcome = ErrorPage | SignIn | Respond | ConsentPrompt
Decision = Literal["accept", "cancel"]

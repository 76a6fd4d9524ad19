"""What a delegated (user) request asks for: OIDC scopes plus one resource's scopes.

RFC 6749 §3.3 scope tokens; OIDC Core §5.4 (``profile``, ``email``) and §11
(``offline_access``). v2 (Entra's dynamic consent): ``<resource>/<value>``, where the
resource is everything before the *last* ``/``, or ``<resource>/.default`` for every scope
consented or registered statically. A token is for one resource, so one request names at
most one. A request with OIDC scopes only gets an access token for the client itself (Entra
would answer with a Microsoft Graph token; Credo has no Graph). v1: the ``resource``
parameter, which means the resource's static (``.default``) scopes.
"""

from __future__ import annotations

from dataclasses import dataclass

from credo.aadsts import grant, request
from credo.errors import OAuthError

OPENID = "openid"
OFFLINE_ACCESS = "offline_access"
OIDC_SCOPES = (OPENID, "profile", "email", OFFLINE_ACCESS)
"""The OIDC scopes, in the order Entra lists them in discovery."""
DEFAULT = ".default"


@dataclass(frozen=True)
class ScopeRequest:
    """A parsed delegated scope request.

    ``resource`` is the resource identifier as written (``api://mail``, an app id GUID) or
    ``None`` for an OIDC-only request; ``values`` are the scope values on it in request
    order; ``default`` means ``<resource>/.default`` (or a v1 ``resource``).
    """

    oidc: tuple[str, ...]
    resource: str | None
    values: tuple[str, ...]
    default: bool

    @property
    def openid(self) -> bool:
        return OPENID in self.oidc

    @property
    def offline_access(self) -> bool:
        return OFFLINE_ACCESS in self.oidc

    def tokens(self) -> tuple[str, ...]:
        """The scope tokens, written back (``<resource>/<value>`` first, then OIDC)."""
        if self.resource is None:
            named: tuple[str, ...] = ()
        elif self.default:
            named = (f"{self.resource}/{DEFAULT}",)
        else:
            named = tuple(f"{self.resource}/{v}" for v in self.values)
        return (*named, *self.oidc)

    def text(self) -> str:
        return " ".join(self.tokens())


def _invalid(scope: str, why: str) -> OAuthError:
    return grant.INVALID_SCOPE(reason=why, scope=scope[:200])


def _split(token: str, scope: str) -> tuple[str, str]:
    resource, _, value = token.rpartition("/")
    if not resource or not value:
        raise _invalid(scope, f"The scope '{token[:100]}' must be '<resource>/<scope>', an OIDC "
                       "scope, or '<resource>/.default'.")
    return resource, value


def parse_scope(scope: str | None) -> ScopeRequest:
    """The v2 ``scope`` parameter (RFC 6749 §3.3): OIDC scopes and one resource's scopes."""
    if scope is None or not scope.split():
        raise request.MISSING_PARAMETER(name="scope")
    oidc: list[str] = []
    resource: str | None = None
    values: list[str] = []
    for token in scope.split():
        if token.lower() in OIDC_SCOPES:
            if token.lower() not in oidc:
                oidc.append(token.lower())
            continue
        named, value = _split(token, scope)
        if resource is not None and named != resource:
            raise grant.MULTIPLE_DELEGATED_RESOURCES(scope=scope[:200])
        resource = named
        if value not in values:
            values.append(value)
    default = DEFAULT in values
    if default and len(values) > 1:
        raise _invalid(scope, "'.default' cannot be combined with other scopes of the same "
                       "resource.")
    ordered = tuple(s for s in OIDC_SCOPES if s in oidc)
    return ScopeRequest(ordered, resource, () if default else tuple(values), default)


def parse_v1(resource: str | None, scope: str | None) -> ScopeRequest:
    """v1: ``resource`` (static consent, like ``.default``) and ``openid`` from ``scope``.

    v1 always issues a refresh token with a code, so ``offline_access`` is implied.
    """
    words = {w.lower() for w in (scope or "").split()}
    oidc = tuple(s for s in OIDC_SCOPES if s in words or s == OFFLINE_ACCESS)
    return ScopeRequest(oidc, resource, (), resource is not None)

"""Discovery documents, issuers and assertion audiences (OIDC Discovery 1.0 §3; RFC 8414 §2).

Shaped like Entra's documents, member for member and in Entra's order; the v1.0 and v2.0
documents differ only in the data of ``EDITIONS``. Endpoints Credo does not serve
(``kerberos_endpoint``, ``check_session_iframe``, ``rbac_url``, ``userinfo_endpoint``,
``device_authorization_endpoint``) are left out. Two members Entra does not send are added,
because clients may read them and Credo can state them exactly:
``token_endpoint_auth_signing_alg_values_supported`` and ``grant_types_supported``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from credo.model import Profile, Tenant
from credo.protocol.client_auth import METHODS

CLAIMS_V2 = ("sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
             "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
             "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email")
CLAIMS_V1 = ("sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
             "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
             "amr", "nonce", "email", "given_name", "family_name", "nickname")


def _base(base: str) -> str:
    return base.rstrip("/")


def issuer_v1(base: str, tenant_id: str) -> str:
    """The v1.0 issuer with its trailing slash, ``{base}/{tid}/`` (OIDC Discovery 1.0 §3)."""
    return f"{_base(base)}/{tenant_id}/"


def issuer_v2(base: str, tenant_id: str) -> str:
    """The v2.0 issuer, ``{base}/{tid}/v2.0`` (OIDC Discovery 1.0 §3)."""
    return f"{_base(base)}/{tenant_id}/v2.0"


@dataclass(frozen=True)
class Edition:
    """What one version's discovery document says differently from the other's."""

    oauth2: str
    """The endpoints' path under the tenant: ``oauth2`` or ``oauth2/v2.0``."""
    keys: str
    issuer: Callable[[str, str], str]
    response_types: tuple[str, ...]
    scopes: tuple[str, ...]
    after_issuer: Mapping[str, Any]
    claims: tuple[str, ...]


EDITIONS: dict[Literal[1, 2], Edition] = {
    2: Edition("oauth2/v2.0", "discovery/v2.0/keys", issuer_v2,
               ("code", "id_token", "code id_token", "id_token token"),
               ("openid", "profile", "email", "offline_access"),
               {"request_uri_parameter_supported": False}, CLAIMS_V2),
    1: Edition("oauth2", "discovery/keys", issuer_v1,
               ("code", "id_token", "code id_token", "token id_token", "token"),
               ("openid",), {"microsoft_multi_refresh_token": True}, CLAIMS_V1),
}


def discovery(base: str, tenant_id: str, version: Literal[1, 2], *,
              grant_types: Sequence[str],
              auth_signing_algs: Sequence[str] = ("RS256", "PS256")) -> dict[str, Any]:
    """``/{tenant}/v2.0/.well-known/openid-configuration`` (``version`` 2) or
    ``/{tenant}/.well-known/openid-configuration`` (1) (OpenID Connect Discovery 1.0 §3)."""
    e = EDITIONS[version]
    root = f"{_base(base)}/{tenant_id}"
    parts = urlsplit(_base(base))
    return {
        "token_endpoint": f"{root}/{e.oauth2}/token",
        "token_endpoint_auth_methods_supported": list(METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(auth_signing_algs),
        "jwks_uri": f"{root}/{e.keys}",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": list(e.response_types),
        "grant_types_supported": list(grant_types),
        "scopes_supported": list(e.scopes),
        "issuer": e.issuer(base, tenant_id),
        **e.after_issuer,
        "authorization_endpoint": f"{root}/{e.oauth2}/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/{e.oauth2}/logout",
        "claims_supported": list(e.claims),
        "cloud_instance_name": parts.hostname or "",
        "msgraph_host": parts.netloc,
    }


def token_endpoints(base: str, tenant: Tenant) -> frozenset[str]:
    """The v1 and v2 token URLs of ``tenant``, by GUID and by every domain (lower-cased)."""
    b = _base(base)
    segments = (tenant.id, *(d.lower() for d in tenant.domains))
    return frozenset(f"{b}/{s}/oauth2/{v}token" for s in segments for v in ("", "v2.0/"))


@functools.lru_cache(maxsize=4096)
def assertion_audiences(base: str, tenant: Tenant, profile: Profile) -> frozenset[str]:
    """The ``aud`` values a client assertion may carry (RFC 7523 §3 item 3), per profile.

    ``entra``: both issuers and every token URL of the tenant. ``strict`` (RFC 7523bis,
    FAPI 2.0): the tenant's issuers only; both the v2.0 and the v1.0 issuer of the GUID count,
    since Credo publishes both and each identifies this authorization server for the tenant.
    """
    issuers = frozenset({issuer_v1(base, tenant.id), issuer_v2(base, tenant.id)})
    if profile == "strict":
        return issuers
    return issuers | token_endpoints(base, tenant)

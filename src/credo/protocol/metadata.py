"""Discovery documents, issuers and assertion audiences (OIDC Discovery 1.0 §3; RFC 8414 §2).

Shaped like Entra's documents (entra-protocol-facts §1.4). Endpoints Credo does not serve
(``kerberos_endpoint``, ``check_session_iframe``, ``rbac_url``) are left out.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from credo.model import Profile, Tenant

AUTH_METHODS = ["client_secret_post", "private_key_jwt", "client_secret_basic"]
CLAIMS_V2 = ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
             "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
             "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"]
CLAIMS_V1 = ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
             "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
             "amr", "nonce", "email", "given_name", "family_name", "nickname"]


def _base(base: str) -> str:
    return base.rstrip("/")


def issuer_v1(base: str, tenant_id: str) -> str:
    """The v1.0 issuer with its trailing slash, ``{base}/{tid}/`` (OIDC Discovery 1.0 §3)."""
    return f"{_base(base)}/{tenant_id}/"


def issuer_v2(base: str, tenant_id: str) -> str:
    """The v2.0 issuer, ``{base}/{tid}/v2.0`` (OIDC Discovery 1.0 §3)."""
    return f"{_base(base)}/{tenant_id}/v2.0"


def _common(base: str, tenant_id: str, prefix: str) -> dict[str, Any]:
    """Endpoints shared in shape by both versions; ``prefix`` is ``oauth2`` or ``oauth2/v2.0``."""
    root = f"{_base(base)}/{tenant_id}/{prefix}"
    return {"authorization_endpoint": f"{root}/authorize",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/logout"}


def _cloud(base: str) -> dict[str, Any]:
    parts = urlsplit(_base(base))
    return {"cloud_instance_name": parts.hostname or "", "msgraph_host": parts.netloc}


def discovery_v2(base: str, tenant_id: str, *,
                 auth_signing_algs: Sequence[str] = ("RS256", "PS256")) -> dict[str, Any]:
    """``/{tenant}/v2.0/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §3)."""
    b = _base(base)
    return {
        "token_endpoint": f"{b}/{tenant_id}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(auth_signing_algs),
        "jwks_uri": f"{b}/{tenant_id}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer_v2(b, tenant_id),
        "request_uri_parameter_supported": False,
        **_common(b, tenant_id, "oauth2/v2.0"),
        "claims_supported": list(CLAIMS_V2),
        **_cloud(b),
    }


def discovery_v1(base: str, tenant_id: str, *,
                 auth_signing_algs: Sequence[str] = ("RS256", "PS256")) -> dict[str, Any]:
    """``/{tenant}/.well-known/openid-configuration``: v1.0 (issuer with a trailing slash)."""
    b = _base(base)
    return {
        "token_endpoint": f"{b}/{tenant_id}/oauth2/token",
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(auth_signing_algs),
        "jwks_uri": f"{b}/{tenant_id}/discovery/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token",
                                     "token"],
        "scopes_supported": ["openid"],
        "issuer": issuer_v1(b, tenant_id),
        "microsoft_multi_refresh_token": True,
        **_common(b, tenant_id, "oauth2"),
        "claims_supported": list(CLAIMS_V1),
        **_cloud(b),
    }


def token_endpoints(base: str, tenant: Tenant) -> frozenset[str]:
    """The v1 and v2 token URLs of ``tenant``, by GUID and by every domain (lower-cased)."""
    b = _base(base)
    segments = (tenant.id, *(d.lower() for d in tenant.domains))
    return frozenset(f"{b}/{s}/oauth2/{v}token" for s in segments for v in ("", "v2.0/"))


@functools.lru_cache(maxsize=4096)
def assertion_audiences(base: str, tenant: Tenant, profile: Profile) -> frozenset[str]:
    """The ``aud`` values a client assertion may carry (RFC 7523 §3 item 3; PROTOCOL.md §Profiles).

    ``entra``: both issuers and every token URL of the tenant. ``strict`` (RFC 7523bis,
    FAPI 2.0): the tenant's issuers only; both the v2.0 and the v1.0 issuer of the GUID count,
    since Credo publishes both and each identifies this authorization server for the tenant.
    """
    issuers = frozenset({issuer_v1(base, tenant.id), issuer_v2(base, tenant.id)})
    if profile == "strict":
        return issuers
    return issuers | token_endpoints(base, tenant)

"""Which resource a client-credentials request names (RFC 6749 §3.3, §4.4.2; RFC 8707 §2).

v2: ``scope`` = ``<resource>/.default`` for exactly one resource, where the resource is
everything before the *last* ``/`` (so ``https://x.example//.default`` names
``https://x.example/``). v1: the ``resource`` parameter; ``scope`` is ignored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from credo.aadsts import grant, request
from credo.protocol.forms import TokenRequest

DEFAULT_SUFFIX = "/.default"


@dataclass(frozen=True)
class ResourceRef:
    """The resource named by the request: ``identifier`` to look up, ``requested`` as written.

    A v1.0 token's ``aud`` echoes ``requested``.
    """

    identifier: str
    requested: str


def _from_scope(scope: str) -> ResourceRef:
    """RFC 6749 §3.3 scope tokens, each ``<resource>/.default``, all naming one resource."""
    resources: list[str] = []
    for item in scope.split():
        resource = item[: -len(DEFAULT_SUFFIX)] if item.endswith(DEFAULT_SUFFIX) else ""
        if not resource:
            raise grant.SCOPE_NOT_DEFAULT(scope=scope[:200])
        if resource not in resources:
            resources.append(resource)
    if len(resources) != 1:
        raise grant.MULTIPLE_RESOURCES(scope=scope[:200])
    return ResourceRef(identifier=resources[0], requested=resources[0])


def resource_from_request(req: TokenRequest, version: Literal[1, 2]) -> ResourceRef:
    """The one resource a client-credentials request targets (RFC 6749 §4.4.2; RFC 8707 §2)."""
    if version == 1:
        if req.resource is None:
            raise request.MISSING_BODY_PARAMETER(name="resource")
        return ResourceRef(identifier=req.resource, requested=req.resource)
    if req.resource is not None:
        raise grant.RESOURCE_PARAMETER_V2()
    if req.scope is None or not req.scope.split():
        raise request.MISSING_BODY_PARAMETER(name="scope")
    return _from_scope(req.scope)


def guid_identifier(identifier: str) -> str | None:
    """The app id a resource identifier names as a GUID (any case, a trailing ``/``
    tolerated), or ``None`` for an App ID URI, compared canonically by the store."""
    try:
        return str(uuid.UUID(identifier.rstrip("/")))
    except ValueError:
        return None

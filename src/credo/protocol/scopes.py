"""Which resource a client-credentials request names (RFC 6749 §3.3, §4.4.2; RFC 8707 §2).

v2: ``scope`` = ``<resource>/.default`` for exactly one resource, where the resource is
everything before the *last* ``/`` (so ``https://x.example//.default`` names
``https://x.example/``). v1: the ``resource`` parameter; ``scope`` is ignored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from credo.errors import InvalidRequest, InvalidScope
from credo.protocol.forms import MISSING_PARAMETER, TokenRequest

DEFAULT_SUFFIX = "/.default"
INVALID_SCOPE = 1002012
MULTIPLE_RESOURCES = 700022
RESOURCE_UNSUPPORTED = 901002


@dataclass(frozen=True)
class ResourceRef:
    """The resource named by the request: ``identifier`` to look up, ``requested`` as written.

    A v1.0 token's ``aud`` echoes ``requested``.
    """

    identifier: str
    requested: str


def _missing(name: str) -> InvalidRequest:
    return InvalidRequest(MISSING_PARAMETER, "The request body must contain the following "
                          f"parameter: '{name}'.")


def _from_scope(scope: str) -> ResourceRef:
    """RFC 6749 §3.3 scope tokens, each ``<resource>/.default``, all naming one resource."""
    resources: list[str] = []
    for item in scope.split():
        resource = item[: -len(DEFAULT_SUFFIX)] if item.endswith(DEFAULT_SUFFIX) else ""
        if not resource:
            raise InvalidScope(
                INVALID_SCOPE, f"The provided value for scope {scope[:200]} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).")
        if resource not in resources:
            resources.append(resource)
    if len(resources) != 1:
        raise InvalidScope(MULTIPLE_RESOURCES, "The provided value for the input parameter "
                           f"scope is not valid because it contains more than one resource. "
                           f"Scope {scope[:200]} is not valid.")
    return ResourceRef(identifier=resources[0], requested=resources[0])


def resource_from_request(req: TokenRequest, version: Literal[1, 2]) -> ResourceRef:
    """The one resource a client-credentials request targets (RFC 6749 §4.4.2; RFC 8707 §2)."""
    if version == 1:
        if req.resource is None:
            raise _missing("resource")
        return ResourceRef(identifier=req.resource, requested=req.resource)
    if req.resource is not None:
        raise InvalidRequest(RESOURCE_UNSUPPORTED, "The 'resource' request parameter is not "
                             "supported.")
    if req.scope is None or not req.scope.split():
        raise _missing("scope")
    return _from_scope(req.scope)


def candidate_identifiers(identifier: str) -> tuple[str, ...]:
    """The look-up keys for a resource identifier, in order of preference.

    The identifier as written first (an identifier URI, or an app id GUID), then the same
    with a trailing ``/`` removed or added; a GUID is also tried in canonical lower case.
    """
    found: list[str] = [identifier]
    if identifier.endswith("/"):
        if identifier.rstrip("/"):
            found.append(identifier[:-1])
    else:
        found.append(identifier + "/")
    try:
        canonical = str(uuid.UUID(identifier.rstrip("/")))
    except ValueError:
        canonical = ""
    if canonical and canonical not in found:
        found.insert(1, canonical)
    return tuple(found)

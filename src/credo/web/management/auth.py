"""The bearer token of a management request, verified by ``service.management`` (RFC 6750 §2.1).

Every route depends on ``current_caller``; what the caller may do is decided by the service
it calls (service/management/policy.py), never here.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from credo.errors import Unauthenticated
from credo.service.management import Caller, InvalidToken
from credo.service.runtime import Services

_bearer = HTTPBearer(auto_error=False, description="A Credo access token for `api://credo`.")


def services_of(request: Request) -> Services:
    return cast(Services, request.app.state.services)


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The authenticated caller, remembered for the audit log; Graph 401 otherwise."""
    services = services_of(request)
    token = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" \
        else None
    try:
        caller = await services.management.auth.authenticate(token, services.sources.clock())
    except InvalidToken as exc:
        raise Unauthenticated(exc.description, detail=exc.detail) from exc
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
ServicesDep = Annotated[Services, Depends(services_of)]

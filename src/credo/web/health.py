"""``GET /healthz`` (the process answers; no I/O) and ``GET /readyz`` (the node can serve).

Both are unauthenticated and answer JSON in the MicroProfile Health shape Keycloak uses
(``{"status": "UP", "checks": [...]}``), 200 when up and 503 when not; the checks are
``service/readiness.py``'s. Keycloak's ``/health/live`` and ``/health/ready`` and Ory Hydra's
``/health/alive`` and ``/health/ready`` are the same two questions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credo.service.readiness import Readiness
from credo.web import render

_HEADERS = [render.JSON_TYPE, (b"cache-control", b"no-store")]
_ALIVE = render.json_bytes({"status": "UP", "checks": []})


async def _alive(request: Request) -> Response:
    return render.raw_response(200, _HEADERS, _ALIVE)


def routes(readiness: Readiness) -> list[Route]:
    async def ready(request: Request) -> Response:
        report = await readiness.report()
        return render.raw_response(200 if report.ready else 503, _HEADERS,
                                   render.json_bytes(report.as_json()))

    return [Route("/healthz", _alive, methods=["GET"]), Route("/readyz", ready, methods=["GET"])]

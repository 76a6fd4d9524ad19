"""Success responses of the management API in the OData shapes Microsoft Graph uses.

``@odata.context`` (OData 4.01 JSON format §4.5.1) names what a response holds: an entity
set (``…/$metadata#applications``), one entity (``…#applications/$entity``) or a type
(``…#microsoft.graph.keyCredential``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from credo.protocol import odata_filter
from credo.service.runtime import Services
from credo.web import render

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(render.json_bytes(body), status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


def _context(services: Services, fragment: str) -> str:
    return f"{services.settings.base_url}/v1.0/$metadata#{fragment}"


CollectionFilter = Annotated[str, Query(alias="$filter", max_length=odata_filter.MAX_FILTER)]
"""``$filter`` on a directory collection (``protocol/odata_filter.py``); empty is none."""


def listing(services: Services, context: str, values: Iterable[dict[str, Any]]) -> Response:
    """A collection: ``{"@odata.context": …, "value": [...]}``."""
    return _json({"@odata.context": _context(services, context), "value": list(values)}, 200)


def filtered(services: Services, collection: str, values: Iterable[dict[str, Any]],
             filter_text: str) -> Response:
    """The collection ``/{collection}``, narrowed by its ``$filter`` (400 when unsupported)."""
    return listing(services, collection,
                   odata_filter.select(collection, filter_text or None, list(values)))


def entity(services: Services, context: str, value: dict[str, Any], *, status: int = 200,
           secret: bool = False) -> Response:
    """One object; ``secret`` marks a body that must not be cached (``addPassword``)."""
    return _json({"@odata.context": _context(services, context), **value}, status,
                 _NO_STORE if secret else None)


def plain(value: dict[str, Any]) -> Response:
    return _json(value, 200)


def no_content() -> Response:
    return Response(status_code=204)

"""The OpenAPI document says what the API answers: Microsoft Graph error bodies, never 422.

Every operation documents 400 (bad input, each bad field in ``details``), 401 (no or bad
token), 403, 404, 409 and 413 with the Graph error body (OpenAPI 3.1 §4.8.16, Responses
Object). FastAPI's own 422 (``HTTPValidationError``) is removed: a request that fails
validation is answered with a Graph 400 (``context.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid")


class GraphErrorDetail(BaseModel):
    model_config = _STRICT

    code: str
    target: str = Field(description="The bad field, as a JSON path (`$` for the whole body).")
    message: str


class GraphInnerError(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    date: str
    request_id: str = Field(alias="request-id")


class GraphErrorContent(BaseModel):
    model_config = _STRICT

    code: str = Field(description="Request_BadRequest, InvalidAuthenticationToken, "
                      "Authorization_RequestDenied, Request_ResourceNotFound, "
                      "Request_MultipleObjectsWithSameKeyValue or generalException.")
    message: str
    details: list[GraphErrorDetail] | None = None
    innerError: GraphInnerError


class GraphErrorBody(BaseModel):
    """``{"error": {"code", "message", "details"?, "innerError"}}``."""

    model_config = _STRICT

    error: GraphErrorContent


_REASONS = {
    400: "The request is not valid; `details` names each bad field.",
    401: "No access token, or one that does not validate.",
    403: "The caller's permissions do not allow this.",
    404: "No such object in the caller's tenant.",
    409: "The change clashes with an object that exists.",
    413: "The request body is larger than 1 MiB.",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": GraphErrorBody, "description": text} for status, text in _REASONS.items()}
"""``responses=`` for every router of the management API."""


def _without_422(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        document.get("components", {}).get("schemas", {}).pop(name, None)
    return document


def without_validation_errors(app: FastAPI) -> None:
    """Drop FastAPI's 422 from every operation and its schemas from the document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _without_422(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The catalogue of every AADSTS error Credo's protocol endpoints can answer.

Each entry knows its code, its RFC 6749 §5.2 ``error`` (through the ``OAuthError`` class),
its HTTP status, the public message template, when it happens and what the caller should
do. Code below ``web/`` raises ``ENTRY(**fields)``; nothing else constructs an
``OAuthError`` on the server (``tests/test_aadsts.py`` checks it), so the catalogue is
complete by construction and ``docs/errors.md`` is rendered from it.

Entries live in topic modules (``request``, ``client``, ``grant``, ``user``, ``service``);
one code may have several entries when Entra words the same failure differently.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from credo.errors import OAuthError, TemporarilyUnavailable

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Aadsts:
    """One catalogue entry: calling it builds the error to raise."""

    code: int
    error: type[OAuthError]
    template: str
    when: str
    fix: str
    status: int | None = None
    """The HTTP status when it differs from the error class's (404, 405, 413, 429)."""
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(n for _, n, _, _ in _FORMATTER.parse(self.template) if n)
        object.__setattr__(self, "fields", names)
        _REGISTRY.append(self)

    @property
    def http_status(self) -> int:
        return self.status if self.status is not None else self.error.status

    def __call__(self, *, detail: str = "", headers: dict[str, str] | None = None,
                 retry_after: int | None = None, **values: Any) -> OAuthError:
        """The error with the template filled in; missing or extra fields are a bug."""
        if set(values) != self.fields:
            raise TypeError(f"AADSTS{self.code} takes {sorted(self.fields)}, got {sorted(values)}")
        text = self.template.format(**values)
        if issubclass(self.error, TemporarilyUnavailable):
            return self.error(self.code, text, detail=detail, status=self.status,
                              retry_after=retry_after if retry_after is not None else 5)
        return self.error(self.code, text, detail=detail, headers=headers, status=self.status)


_REGISTRY: list[Aadsts] = []


def entries() -> Iterator[Aadsts]:
    """Every entry of every topic module, in code order."""
    from credo.aadsts import client, grant, request, service, user  # noqa: F401 (registers)

    yield from sorted(_REGISTRY, key=lambda e: (e.code, e.template))


__all__ = ["Aadsts", "entries"]


def markdown() -> str:
    """``docs/errors.md``: every entry, grouped by code (``python -m credo.aadsts``)."""
    lines = [
        "# Errors of the protocol endpoints",
        "",
        "Generated from `src/credo/aadsts/` by `python -m credo.aadsts > docs/errors.md`; a",
        "test fails when the two differ. Every body has Entra's shape: `error`,",
        "`error_description` (`AADSTSnnnn: message Trace ID: … Correlation ID: … Timestamp: …`),",
        "`error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`. Braces mark the",
        "parts filled in per request. The management API (`/v1.0`) answers Microsoft Graph's",
        "error shape instead (`Request_BadRequest`, `Authorization_RequestDenied`,",
        "`Request_ResourceNotFound`, `Request_MultipleObjectsWithSameKeyValue`).",
        "",
        "| code | error | status | message | when | what to do |",
        "|---:|---|---:|---|---|---|",
    ]
    for e in entries():
        cells = (f"AADSTS{e.code}", f"`{e.error.error}`", str(e.http_status), e.template,
                 e.when, e.fix)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"

"""Every error Credo raises, on the server and in the client libraries.

The hierarchy::

    CredoError
    ├── OAuthError                      RFC 6749 §5.2 error: wire name, status, AADSTS code
    │   ├── InvalidRequest              400 invalid_request
    │   ├── InvalidClient               401 invalid_client
    │   ├── InvalidGrant                400 invalid_grant
    │   ├── UnauthorizedClient          400 unauthorized_client
    │   ├── UnsupportedGrantType        400 unsupported_grant_type
    │   ├── InvalidScope                400 invalid_scope
    │   ├── InvalidResource             400 invalid_resource
    │   ├── InvalidTenant               400 invalid_tenant
    │   ├── AccessDenied                400 access_denied
    │   ├── ConsentRequired             400 consent_required
    │   ├── InteractionRequired         400 interaction_required
    │   ├── LoginRequired               400 login_required (OIDC Core §3.1.2.6)
    │   ├── UnsupportedResponseType     400 unsupported_response_type
    │   └── TemporarilyUnavailable      503 (or 429) temporarily_unavailable, with Retry-After
    ├── DirectoryError                  a directory rule refused a lookup or a change (below web/)
    │   ├── InvalidInput                bad fields (``details``)      → Graph 400
    │   ├── NotPermitted                the caller may not do this    → Graph 403
    │   ├── ObjectNotFound              no such object here           → Graph 404
    │   └── ObjectConflict              clashes with another object   → Graph 409
    ├── UnknownTenant                   the ``{tenant}`` path segment names no tenant
    ├── GraphError                      management API error (Microsoft Graph shape, web/ only)
    │   ├── BadRequest                  400 Request_BadRequest (field errors in ``details``)
    │   ├── Unauthenticated             401 InvalidAuthenticationToken
    │   ├── Forbidden                   403 Authorization_RequestDenied
    │   ├── NotFound                    404 Request_ResourceNotFound
    │   ├── Conflict                    409 Request_MultipleObjectsWithSameKeyValue
    │   └── ServiceUnavailable          503 serviceNotAvailable, with Retry-After
    ├── CertificateError (ValueError)   a certificate or key that cannot be used
    ├── JoseError (ValueError)          a malformed JWS, a refused alg, a failed verification
    ├── StoreUnavailable                the database or replay store cannot be reached
    ├── TlsTrustError                   client side: the server's TLS certificate is not trusted
    └── TokenValidationError            resource SDK: RFC 6750 §3.1 ``invalid_token``
        └── InsufficientScope           RFC 6750 §3.1 ``insufficient_scope`` (403)

Every error has a public ``description`` (what the client may see) and a private
``detail`` (what goes to the log only; fosite Hint/Debug).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

# RFC 6749 §5.2: error_description "MUST NOT include characters outside the set
# %x20-21 / %x23-5B / %x5D-7E".
_UNSAFE_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def safe_description(text: str) -> str:
    """Replace characters RFC 6749 §5.2 forbids in ``error_description`` by ``?``."""
    return _UNSAFE_DESCRIPTION.sub("?", text)


class CredoError(Exception):
    """Base of every Credo error."""

    def __init__(self, description: str, *, detail: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail


class OAuthError(CredoError):
    """An OAuth 2.0 error response (RFC 6749 §5.2) rendered the way Entra ID renders it."""

    error: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400

    def __init__(
        self,
        code: int,
        description: str,
        *,
        detail: str = "",
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(safe_description(description), detail=detail)
        self.code = code
        self.headers = dict(headers or {})
        self.http_status = status if status is not None else self.status
        # Filled in when parsed from a response (client side).
        self.codes: list[int] = [code]
        self.correlation_id: str | None = None
        self.trace_id: str | None = None

    @property
    def aadsts(self) -> str:
        return f"AADSTS{self.code}"

    def __str__(self) -> str:
        return f"{self.error}: {self.aadsts}: {self.description}"

    def body(self, *, timestamp: str, trace_id: str, correlation_id: str) -> dict[str, Any]:
        """The JSON error body; field order as Entra sends it."""
        return {
            "error": self.error,
            "error_description": f"{self.aadsts}: {self.description} "
            f"Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }

    @staticmethod
    def from_response(status: int, body: Any) -> OAuthError:
        """Rebuild the typed error from a token endpoint's error response (client side)."""
        if not isinstance(body, dict) or not isinstance(body.get("error"), str):
            return TemporarilyUnavailable(0, f"HTTP {status} without an OAuth error body",
                                          status=status)
        cls = _BY_WIRE_NAME.get(body["error"], OAuthError)
        codes = [c for c in body.get("error_codes") or [] if isinstance(c, int)]
        text = str(body.get("error_description") or "")
        match = re.match(r"AADSTS(\d+):\s*", text)
        if match:
            text = text[match.end():]
        err = cls(codes[0] if codes else 0, text, status=status)
        if cls is OAuthError:
            err.error = body["error"]  # type: ignore[misc]
        err.codes = codes or [err.code]
        err.correlation_id = body.get("correlation_id")
        err.trace_id = body.get("trace_id")
        return err


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidResource(OAuthError):
    error = "invalid_resource"


class InvalidTenant(OAuthError):
    error = "invalid_tenant"


class AccessDenied(OAuthError):
    error = "access_denied"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


class LoginRequired(OAuthError):
    error = "login_required"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class TemporarilyUnavailable(OAuthError):
    """503 (or 429 when throttled) with an integer ``Retry-After`` (RFC 9110 §10.2.3)."""

    error = "temporarily_unavailable"
    status = 503

    def __init__(self, code: int, description: str, *, retry_after: int = 5,
                 detail: str = "", status: int | None = None) -> None:
        super().__init__(code, description, detail=detail, status=status,
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


_BY_WIRE_NAME: dict[str, type[OAuthError]] = {
    c.error: c
    for c in (InvalidRequest, InvalidClient, InvalidGrant, UnauthorizedClient,
              UnsupportedGrantType, InvalidScope, InvalidResource, InvalidTenant,
              AccessDenied, ConsentRequired, InteractionRequired, LoginRequired,
              UnsupportedResponseType,
              TemporarilyUnavailable)
}


@dataclass
class FieldError:
    """One bad field of a management request or a manifest: ``target`` is a JSON path."""

    target: str
    message: str


class DirectoryError(CredoError):
    """A directory rule refused a lookup or a change; ``web/`` renders it as a Graph error."""

    def __init__(self, description: str, *, detail: str = "",
                 details: list[FieldError] | None = None) -> None:
        super().__init__(description, detail=detail)
        self.details = list(details or [])


class InvalidInput(DirectoryError):
    """Input that breaks a rule of the directory; ``details`` names each bad field."""


class NotPermitted(DirectoryError):
    """The caller may not make this change (a privilege or a built-in object is at stake)."""


class ObjectNotFound(DirectoryError):
    """No such object in the caller's tenant (objects of other tenants are never revealed)."""


class ObjectConflict(DirectoryError):
    """The change clashes with an object that exists (a unique name, id or URI)."""


class UnknownTenant(CredoError):
    """The ``{tenant}`` path segment is an alias, malformed, or names no tenant."""

    def __init__(self, segment: str, reason: Literal["alias", "malformed", "not_found"]) -> None:
        super().__init__(f"tenant {segment[:64]!r}: {reason}")
        self.segment = segment
        self.reason = reason


class GraphError(CredoError):
    """A management API error in the Microsoft Graph shape (``{"error": {"code", "message"}}``)."""

    code: ClassVar[str] = "Request_BadRequest"
    status: ClassVar[int] = 400

    def __init__(self, description: str, *, detail: str = "",
                 details: list[FieldError] | None = None) -> None:
        super().__init__(description, detail=detail)
        self.details = list(details or [])

    def body(self, *, request_id: str, date: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.description}
        if self.details:
            error["details"] = [
                {"code": self.code, "target": d.target, "message": d.message}
                for d in self.details
            ]
        error["innerError"] = {"date": date, "request-id": request_id}
        return {"error": error}


class BadRequest(GraphError):
    code = "Request_BadRequest"
    status = 400


class Unauthenticated(GraphError):
    code = "InvalidAuthenticationToken"
    status = 401


class Forbidden(GraphError):
    code = "Authorization_RequestDenied"
    status = 403


class NotFound(GraphError):
    code = "Request_ResourceNotFound"
    status = 404


class Conflict(GraphError):
    code = "Request_MultipleObjectsWithSameKeyValue"
    status = 409


class ServiceUnavailable(GraphError):
    """A dependency (the database) did not answer; the client retries after ``Retry-After``."""

    code = "serviceNotAvailable"
    status = 503


class CertificateError(CredoError, ValueError):
    """A certificate, key or PKCS#12 file that cannot be used (type, size, password)."""


class JoseError(CredoError, ValueError):
    """A compact JWS that cannot be parsed, names a refused algorithm, or does not verify."""


class StoreUnavailable(CredoError):
    """The database or the shared replay store did not answer; callers fail closed."""


class TlsTrustError(CredoError):
    """The server's TLS certificate did not verify against the CA this client trusts.

    A setup problem, not an outage: the description names the fix (``verify=`` or ``--ca``
    with Credo's ``tls/ca.pem``, or ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``).
    """


class TokenValidationError(CredoError):
    """RFC 6750 §3.1 ``invalid_token``: rendered as 401 with ``WWW-Authenticate: Bearer``."""

    error: ClassVar[str] = "invalid_token"
    status: ClassVar[int] = 401

    def www_authenticate(self, realm: str = "") -> str:
        parts = [f'realm="{realm}"'] if realm else []
        parts.append(f'error="{self.error}"')
        parts.append(f'error_description="{safe_description(self.description)}"')
        return "Bearer " + ", ".join(parts)


class InsufficientScope(TokenValidationError):
    """RFC 6750 §3.1 ``insufficient_scope``: the token lacks the role or scope required (403)."""

    error = "insufficient_scope"
    status = 403

"""The access token a client obtains, and the parsing of a successful token response.

RFC 6749 §5.1: ``access_token`` and ``token_type`` are required, ``expires_in`` is
recommended. Entra's v2 endpoint sends ``expires_in`` as a number, its v1 endpoint as a
string (``"3599"``); both are accepted, as MSAL and ADAL accept them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from credo import jose
from credo.errors import TemporarilyUnavailable


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it expires (``expires_on``: epoch seconds, local clock).

    ``expires_on`` is computed like MSAL and azure-identity do: the local time at which
    the request was sent plus ``expires_in``, so a skewed server clock does not matter.
    ``repr()`` never shows the token.
    """

    access_token: str = field(repr=False)
    token_type: str
    expires_on: float
    scopes: tuple[str, ...] = ()
    resource: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def claims(self) -> dict[str, Any]:
        """The token's JWT payload, decoded **without verifying anything**.

        For display and debugging only (``roles``, ``tid``, ``exp``): a client is not the
        token's audience and must not make security decisions from these claims. Raises
        ``JoseError`` when the token is not a compact JWS (opaque tokens exist).
        """
        return jose.parse_compact(self.access_token).claims

    def expires_in(self, now: float) -> float:
        """Seconds left at ``now``; negative once expired."""
        return self.expires_on - now


def as_int(value: Any) -> int | None:
    """An integer from a JSON number or a numeric string (v1 responses); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _malformed(reason: str) -> TemporarilyUnavailable:
    return TemporarilyUnavailable(0, f"the token endpoint sent a malformed success response: "
                                     f"{reason}", status=200)


def parse_token_response(body: dict[str, Any], *, requested_at: float,
                         scopes: Sequence[str] = (), resource: str | None = None) -> AccessToken:
    """Build the ``AccessToken`` of an RFC 6749 §5.1 success response.

    The lifetime comes from ``expires_in`` (number or numeric string), else from an
    absolute ``expires_on`` (v1); a response with neither is refused.
    """
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise _malformed("no access_token")
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token_type, str) or not token_type:
        raise _malformed("token_type is not a string")
    expires_in = as_int(body.get("expires_in"))
    if expires_in is not None:
        expires_on = requested_at + expires_in
    else:
        absolute = as_int(body.get("expires_on"))
        if absolute is None:
            raise _malformed("neither expires_in nor expires_on")
        expires_on = float(absolute)
    echoed = body.get("resource")
    return AccessToken(
        access_token=token,
        token_type=token_type,
        expires_on=float(expires_on),
        scopes=tuple(scopes),
        resource=echoed if isinstance(echoed, str) else resource,
        raw=dict(body),
    )

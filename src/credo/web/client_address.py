"""The address of the client that sent a request: the one function every handler uses.

The socket peer, unless it is one of the ``trusted_proxies``; then the rightmost address of
``X-Forwarded-For`` that is not a trusted proxy (``protocol/forwarded.py``). Nothing else
is read from forwarding headers: the issuer and every URL Credo makes come from
``base_url``, never from ``Host``, ``X-Forwarded-Host`` or ``Forwarded``.
"""

from __future__ import annotations

from starlette.types import Scope

from credo.config import Settings
from credo.protocol.forwarded import client_address as resolve
from credo.protocol.forwarded import parse_networks

_HEADER = b"x-forwarded-for"


def client_address(scope: Scope, settings: Settings) -> str:
    """The client's address as text (``unknown`` when the server was not told the peer)."""
    peer = scope.get("client")
    trusted = parse_networks(settings.trusted_proxies)
    forwarded = ([value.decode("latin-1") for name, value in scope["headers"] if name == _HEADER]
                 if trusted else [])
    return resolve(peer[0] if peer else None, forwarded, trusted)

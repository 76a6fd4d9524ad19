"""In-memory caches of the client: access tokens per target, like MSAL's default cache.

A token is served from the cache while more than ``refresh_before`` seconds of its
lifetime remain (MSAL and azure-identity use 300 s); after that the next call asks the
server again. Entries live in process memory only and are never written to disk.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from credo.client.token import AccessToken

K = TypeVar("K", bound=Hashable)

DEFAULT_REFRESH_BEFORE = 300.0
"""Seconds before expiry at which a cached token stops being served (MSAL's 5 minutes)."""


class TokenCache(Generic[K]):
    """Thread-safe map from a target key (sorted scopes, or a v1 resource) to a token."""

    def __init__(self, *, refresh_before: float = DEFAULT_REFRESH_BEFORE) -> None:
        if refresh_before < 0:
            raise ValueError("refresh_before must not be negative")
        self.refresh_before = refresh_before
        self._tokens: dict[K, AccessToken] = {}
        self._lock = threading.Lock()

    def get(self, key: K, now: float) -> AccessToken | None:
        """The cached token for ``key`` if more than ``refresh_before`` seconds remain."""
        with self._lock:
            token = self._tokens.get(key)
            if token is None:
                return None
            if token.expires_on - now <= self.refresh_before:
                del self._tokens[key]
                return None
            return token

    def put(self, key: K, token: AccessToken) -> None:
        """Remember ``token`` for ``key``, replacing any previous one."""
        with self._lock:
            self._tokens[key] = token

    def clear(self) -> None:
        """Forget every token (the next call for each target goes to the server)."""
        with self._lock:
            self._tokens.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)

"""Application ID URIs and redirect URIs: the rules Entra applies when they are registered.

* Identifier URIs: https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions
  ("The following API and HTTP scheme-based application ID URI formats are supported").
* Redirect URIs: https://learn.microsoft.com/entra/identity-platform/reply-url
  ("Redirect URIs must begin with the scheme https. There are some exceptions for localhost
  redirect URIs.", at most 256 characters each and 256 per application).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from credo.manifest._reader import Problems, as_strings, at

MAX_URI_LENGTH = 256
MAX_REDIRECT_URIS = 256
_IDENTIFIER_SCHEMES = frozenset({"api", "https"})
# Entra's exceptions to https; it does not accept the IPv6 loopback [::1].
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
# RFC 8252 §7.1 private-use schemes (public clients only); never one a browser runs itself.
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*", re.ASCII)
_UNSAFE_SCHEMES = frozenset({"http", "https", "javascript", "data", "file", "vbscript",
                             "blob", "about", "ftp", "ws", "wss"})
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f*]")


def _split(uri: str) -> SplitResult | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts


def identifier_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be an Application ID URI, or ``None`` when it can."""
    parts = _split(uri)
    if parts is None or _BAD_CHARS.search(uri) or not parts.netloc:
        return "Must be an absolute URI without spaces or wildcards, e.g. api://my-api."
    if parts.scheme.lower() not in _IDENTIFIER_SCHEMES:
        return "Must use the api:// or https:// scheme."
    if parts.fragment or uri.endswith("#"):
        return "Must not contain a fragment."
    if len(uri) > MAX_URI_LENGTH:
        return f"Must be at most {MAX_URI_LENGTH} characters long."
    return None


def redirect_uri_problem(uri: str, *, private_scheme: bool) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or ``None`` when it can.

    ``private_scheme`` admits RFC 8252 §7.1 schemes (``msal{appId}://auth``) for public clients.
    """
    parts = _split(uri)
    if parts is None or _BAD_CHARS.search(uri) or not parts.scheme:
        return "Must be an absolute URI without spaces or wildcards."
    if len(uri) > MAX_URI_LENGTH:
        return f"Must be at most {MAX_URI_LENGTH} characters long."
    if parts.fragment or uri.endswith("#"):
        return "Must not contain a fragment."
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return None
    if scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return None
    if private_scheme and _SCHEME.fullmatch(scheme) and scheme not in _UNSAFE_SCHEMES:
        return None
    return "Must use https, or http only for localhost or 127.0.0.1."


def read_identifier_uris(value: Any, target: str, p: Problems) -> tuple[str, ...]:
    """``identifierUris``: valid Application ID URIs, unique (compared case-insensitively)."""
    seen: set[str] = set()
    for i, uri in enumerate(uris := as_strings(value, target, p)):
        problem = identifier_uri_problem(uri)
        if problem is None and uri.casefold() in seen:
            problem = "Must be unique within identifierUris."
        if problem is not None:
            p.add(at(target, i), problem)
        seen.add(uri.casefold())
    return tuple(uris)


def read_redirect_uris(value: Any, target: str, p: Problems, *,
                       private_scheme: bool = False) -> tuple[str, ...]:
    """``web|spa|publicClient.redirectUris``: valid redirect URIs, each listed once."""
    uris = as_strings(value, target, p)
    if len(uris) > MAX_REDIRECT_URIS:
        p.add(target, f"At most {MAX_REDIRECT_URIS} redirect URIs are allowed.")
    seen: set[str] = set()
    for i, uri in enumerate(uris):
        problem = redirect_uri_problem(uri, private_scheme=private_scheme)
        if problem is None and uri in seen:
            problem = "Must be unique within the list."
        if problem is not None:
            p.add(at(target, i), problem)
        seen.add(uri)
    return tuple(uris)

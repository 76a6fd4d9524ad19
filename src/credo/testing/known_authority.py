"""Make the local Credo authority known to MSAL, so that it never asks Microsoft about it.

An MSAL app whose authority host is not one of Microsoft's (``msal.authority.
WELL_KNOWN_AUTHORITY_HOSTS``) first validates it at
``https://login.microsoftonline.com/common/discovery/instance`` (instance discovery) unless
the code passes ``instance_discovery=False`` or ``validate_authority=False``; azure-identity
builds its MSAL apps the same way (``disable_instance_discovery``). While active, this
module treats an authority on the running Credo's host and port as if the app had passed
``validate_authority=False``: MSAL marks it "known to the developer", skips instance
discovery and the authority-alias look-up of ``get_accounts`` / ``acquire_token_silent``,
and reads ``{authority}/v2.0/.well-known/openid-configuration`` directly.

Adding the host to ``WELL_KNOWN_AUTHORITY_HOSTS`` instead is not enough: MSAL then looks up
the host's aliases at ``https://<host>/common/discovery/instance`` without the port, and
``get_accounts()`` on an empty cache fails with a connection error.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

_known: list[tuple[str, int]] = []
_ORIGINAL = "__credo_testing_original__"


def _host_and_port(url: object) -> tuple[str, int] | None:
    try:
        parts = urlsplit(str(url))
        return (parts.hostname or "", parts.port or 443) if parts.scheme == "https" else None
    except ValueError:
        return None


def is_known(url: object) -> bool:
    """True when ``url`` is on the host and port of a running test authority."""
    return _host_and_port(url) in _known


def _wrap(original: Callable[..., None]) -> Callable[..., None]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind(*args, **kwargs)
        if is_known(bound.arguments.get("authority_url")):
            bound.arguments["validate_authority"] = False
        original(*bound.args, **bound.kwargs)

    setattr(__init__, _ORIGINAL, original)
    return __init__


def _install(authority_class: Any) -> bool:
    init = authority_class.__init__
    if hasattr(init, _ORIGINAL):
        return True
    parameters = inspect.signature(init).parameters
    if not {"authority_url", "validate_authority"} <= set(parameters):
        warnings.warn("credo.testing cannot mark the local authority as known to this MSAL "
                      "version; pass instance_discovery=False to MSAL (azure-identity: "
                      "disable_instance_discovery=True)", RuntimeWarning, stacklevel=3)
        return False
    authority_class.__init__ = _wrap(init)
    return True


def _uninstall(authority_class: Any) -> None:
    original = getattr(authority_class.__init__, _ORIGINAL, None)
    if original is not None:
        authority_class.__init__ = original


@contextmanager
def known_to_msal(url: str) -> Iterator[None]:
    """While active, MSAL (when installed) skips instance discovery for ``url``'s host."""
    key = _host_and_port(url)
    try:
        from msal.authority import Authority
    except ImportError:  # MSAL is optional: nothing to teach
        yield
        return
    if key is None or not _install(Authority):
        yield
        return
    _known.append(key)
    try:
        yield
    finally:
        _known.remove(key)
        if not _known:
            _uninstall(Authority)

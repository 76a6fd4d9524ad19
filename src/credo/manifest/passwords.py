"""Password credentials (client secrets) ⇄ JSON.

Graph resource: https://learn.microsoft.com/graph/api/resources/passwordcredential
("secretText ... returned only on creation ... always null" afterwards). A secret is created
only by ``addPassword``, where the server draws it; the manifest may only drop entries.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from credo.manifest._reader import (
    Problems,
    as_guid,
    as_time,
    at,
    check_keys,
    entries,
    format_time,
    pick,
)
from credo.model import PasswordCredential

_KEYS = frozenset({"customKeyIdentifier", "displayName", "endDateTime", "endDate", "hint",
                   "keyId", "secretText", "value", "startDateTime", "startDate"})
_NO_ADD = ("Password credentials cannot be added through the manifest; "
           "use addPassword, which generates the secret.")
_READ_ONLY = "Cannot be changed through the manifest."


def password_credential_to_json(pc: PasswordCredential, *,
                                secret_text: str | None = None) -> dict[str, Any]:
    """Graph ``passwordCredential``; ``secretText`` only in the response that creates it."""
    return {
        "customKeyIdentifier": None,
        "displayName": pc.display_name or None,
        "endDateTime": format_time(pc.end),
        "hint": pc.hint,
        "keyId": pc.key_id,
        "secretText": secret_text,
        "startDateTime": format_time(pc.start),
    }


def _unchanged(obj: Mapping[str, Any], stored: PasswordCredential, target: str,
               p: Problems) -> None:
    """Every member sent back must equal what :func:`password_credential_to_json` shows."""
    shown = password_credential_to_json(stored)
    for name in ("customKeyIdentifier", "displayName", "hint"):
        if obj.get(name) is not None and (obj[name] or None) != shown[name]:
            p.add(at(target, name), _READ_ONLY)
    secret_target, secret = pick(obj, ("secretText", "value"), target, p)
    if secret is not None:
        p.add(secret_target, "Secrets cannot be set through the manifest; use addPassword.")
    for names, when in ((("startDateTime", "startDate"), stored.start),
                        (("endDateTime", "endDate"), stored.end)):
        date_target, raw = pick(obj, names, target, p)
        moment = as_time(raw, date_target, p)
        if moment is not None and format_time(moment) != format_time(when):
            p.add(date_target, _READ_ONLY)


def read_password_credentials(value: Any, target: str, p: Problems, *,
                              current: Collection[PasswordCredential]
                              ) -> tuple[PasswordCredential, ...]:
    """``passwordCredentials``: a subset of ``current`` (entries may only be removed)."""
    existing = {pc.key_id: pc for pc in current}
    kept: list[PasswordCredential] = []
    for here, obj in entries(value, target, p):
        check_keys(obj, _KEYS, here, p)
        key_id = as_guid(obj.get("keyId"), at(here, "keyId"), p)
        stored = existing.get(key_id)
        if stored is None:
            if key_id:
                p.add(here, _NO_ADD)
            continue
        if stored in kept:
            p.add(at(here, "keyId"), "Must be unique within passwordCredentials.")
        _unchanged(obj, stored, here, p)
        kept.append(stored)
    return tuple(kept)

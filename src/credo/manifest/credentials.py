"""Key credentials (certificates) ⇄ model.

Graph resources: https://learn.microsoft.com/graph/api/resources/keycredential ("key: ... only
returned on $select for a single object ... otherwise, it is always null";
"displayName ... max 90 characters, longer values are truncated" per the portal). A credential's
dates must lie within the certificate's validity: AAD Graph answers "Key credential end date is
invalid." otherwise.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography import x509

from credo.certs import certificate_der, key_credential, load_certificate
from credo.errors import CertificateError, FieldError, InvalidInput
from credo.manifest._reader import (
    Problems,
    as_display_text,
    as_guid,
    as_time,
    at,
    check_keys,
    entries,
    format_time,
    parse_object,
    pick,
)
from credo.model import KeyCredential

DISPLAY_NAME_LIMIT = 90
_KEY_KEYS = frozenset({"customKeyIdentifier", "displayName", "endDateTime", "endDate", "key",
                       "value", "keyId", "startDateTime", "startDate", "type", "usage"})
_KEY_FORMAT = "Expected the base64 DER (or PEM) of an X.509 certificate."
_END_INVALID = "Key credential end date is invalid."
_START_INVALID = "Key credential start date is invalid."


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_credential_to_json(kc: KeyCredential, *, include_key: bool) -> dict[str, Any]:
    """Graph ``keyCredential``; ``key`` (base64 DER) only when ``include_key``, else null."""
    return {
        "customKeyIdentifier": _b64(kc.custom_key_identifier or kc.sha1),
        "displayName": kc.display_name or None,
        "endDateTime": format_time(kc.end),
        "key": _b64(kc.der) if include_key else None,
        "keyId": kc.key_id,
        "startDateTime": format_time(kc.start),
        "type": kc.type,
        "usage": kc.usage,
    }


@dataclass(frozen=True)
class _Entry:
    """The members of one ``keyCredentials`` entry, read but not yet tied to a certificate."""

    target: str
    key_id: str
    key: Any
    key_target: str
    custom_key_identifier: bytes | None
    start: datetime | None
    start_target: str
    end: datetime | None
    end_target: str
    display_name: str | None


def _literal(value: Any, expected: str, target: str, p: Problems) -> None:
    if value is not None and value != expected:
        p.add(target, f"Must be '{expected}'.")


def _bytes(value: Any, target: str, p: Problems) -> bytes | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        pass
    p.add(target, "Expected base64.")
    return None


def _read_entry(obj: Mapping[str, Any], target: str, p: Problems,
                new_id: Callable[[], str] | None) -> _Entry:
    check_keys(obj, _KEY_KEYS, target, p)
    _literal(obj.get("type"), "AsymmetricX509Cert", at(target, "type"), p)
    _literal(obj.get("usage"), "Verify", at(target, "usage"), p)
    key_target, key = pick(obj, ("key", "value"), target, p)
    start_target, start = pick(obj, ("startDateTime", "startDate"), target, p)
    end_target, end = pick(obj, ("endDateTime", "endDate"), target, p)
    name = obj.get("displayName")
    return _Entry(
        target=target,
        key_id=(new_id() if obj.get("keyId") is None and new_id is not None
                else as_guid(obj.get("keyId"), at(target, "keyId"), p)),
        key=key, key_target=key_target,
        custom_key_identifier=_bytes(obj.get("customKeyIdentifier"),
                                     at(target, "customKeyIdentifier"), p),
        start=as_time(start, start_target, p), start_target=start_target,
        end=as_time(end, end_target, p), end_target=end_target,
        display_name=None if name is None else as_display_text(
            name, at(target, "displayName"), p, max_len=0)[:DISPLAY_NAME_LIMIT],
    )


def _certificate(raw: Any, target: str, p: Problems) -> x509.Certificate | None:
    if not isinstance(raw, str) or not raw.strip():
        p.add(target, _KEY_FORMAT)
        return None
    try:
        if raw.lstrip().startswith("-----BEGIN"):
            return load_certificate(raw.encode("ascii"))
        return load_certificate(base64.b64decode("".join(raw.split()), validate=True))
    except CertificateError as exc:
        p.add(target, exc.description)
    except (ValueError, binascii.Error):
        p.add(target, _KEY_FORMAT)
    return None


def _window(e: _Entry, cert: x509.Certificate, now: datetime | None,
            p: Problems) -> tuple[datetime, datetime]:
    """The credential's dates: the certificate's validity unless narrowed within it."""
    valid_from, valid_to = cert.not_valid_before_utc, cert.not_valid_after_utc
    start, end = e.start or valid_from, e.end or valid_to
    validity = (f"The certificate is valid from {format_time(valid_from)} "
                f"to {format_time(valid_to)}.")
    if not valid_from <= start <= valid_to:
        p.add(e.start_target, f"{_START_INVALID} {validity}")
    if not valid_from <= end <= valid_to:
        p.add(e.end_target, f"{_END_INVALID} {validity}")
    elif end <= start:
        p.add(e.end_target, f"{_END_INVALID} It must be later than the start date.")
    elif now is not None and end <= now:
        p.add(e.end_target, f"{_END_INVALID} It must be in the future.")
    return start, end


def _new(e: _Entry, now: datetime | None, p: Problems) -> KeyCredential | None:
    """A credential for a certificate not registered before."""
    if e.key is None:
        p.add(e.key_target, f"A certificate is required for a new key credential. {_KEY_FORMAT}")
        return None
    cert = _certificate(e.key, e.key_target, p)
    if cert is None:
        return None
    kc = key_credential(cert, key_id=e.key_id, display_name=e.display_name or "")
    if e.custom_key_identifier not in (None, kc.sha1):
        p.add(at(e.target, "customKeyIdentifier"),
              "Must be the base64 SHA-1 thumbprint of the certificate.")
    start, end = _window(e, cert, now, p)
    return replace(kc, start=start, end=end, custom_key_identifier=kc.sha1)


def _echoed(e: _Entry, stored: KeyCredential, p: Problems) -> KeyCredential | None:
    """An existing credential sent back (``key`` null, or the same certificate): kept as is."""
    if e.key is not None:
        cert = _certificate(e.key, e.key_target, p)
        if cert is None:
            return None
        if certificate_der(cert) != stored.der:
            p.add(e.key_target, "Another certificate is already registered under this keyId.")
            return None
    fixed = "Cannot be changed on an existing key credential; remove it and add a new one."
    if e.custom_key_identifier not in (None, stored.custom_key_identifier or stored.sha1):
        p.add(at(e.target, "customKeyIdentifier"), fixed)
    if e.start is not None and format_time(e.start) != format_time(stored.start):
        p.add(e.start_target, fixed)
    if e.end is not None and format_time(e.end) != format_time(stored.end):
        p.add(e.end_target, fixed)
    if e.display_name is None:
        return stored
    return replace(stored, display_name=e.display_name)


def read_key_credential(obj: Mapping[str, Any], target: str, p: Problems, *,
                        existing: Mapping[str, KeyCredential] | None = None,
                        new_id: Callable[[], str] | None = None,
                        now: datetime | None = None) -> KeyCredential | None:
    """One ``keyCredentials`` entry: a new certificate, or one of ``existing`` echoed back."""
    e = _read_entry(obj, target, p, new_id)
    stored = (existing or {}).get(e.key_id)
    return _new(e, now, p) if stored is None else _echoed(e, stored, p)


def read_key_credentials(value: Any, target: str, p: Problems, *,
                         current: Collection[KeyCredential], taken: Collection[str],
                         new_id: Callable[[], str], now: datetime
                         ) -> tuple[KeyCredential, ...]:
    """``keyCredentials``: unique keyIds (also against ``taken``), each certificate once."""
    existing = {kc.key_id: kc for kc in current}
    out: list[KeyCredential] = []
    first_with: dict[bytes, str] = {}
    for here, obj in entries(value, target, p):
        kc = read_key_credential(obj, here, p, existing=existing, new_id=new_id, now=now)
        if kc is None:
            continue
        if kc.key_id in taken or any(o.key_id == kc.key_id for o in out):
            p.add(at(here, "keyId"), "Must be unique among the credentials.")
        if kc.sha1 in first_with:
            p.add(here, f"This certificate is already registered in {first_with[kc.sha1]}.")
        first_with.setdefault(kc.sha1, here)
        out.append(kc)
    return tuple(out)


def key_credential_from_json(entry: Any, *, target_prefix: str = "keyCredential",
                             new_id: Callable[[], str] | None = None,
                             now: datetime | None = None) -> KeyCredential:
    """A new Graph ``keyCredential`` (``addKey``, ``credo cert keycredential`` output).

    Raises :class:`~credo.errors.InvalidInput` listing every bad field. A missing ``keyId`` is
    drawn from ``new_id`` when given; with ``now``, a credential already ended is refused.
    """
    def read(obj: Mapping[str, Any], target: str, p: Problems) -> KeyCredential | None:
        return read_key_credential(obj, target, p, new_id=new_id, now=now)

    result = parse_object(read, entry, target_prefix)
    if result is None:  # unreachable: a None result always comes with a recorded problem
        raise InvalidInput("The request is not valid.",
                         details=[FieldError(target=target_prefix, message=_KEY_FORMAT)])
    return result

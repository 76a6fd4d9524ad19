"""What ``credo doctor`` reports: one finding per check, its status and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509

Status = Literal["ok", "warn", "fail", "skip"]
EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def ok(check: str, message: str) -> Finding:
    return Finding(check, "ok", message)


def warn(check: str, message: str, fix: str) -> Finding:
    return Finding(check, "warn", message, fix)


def fail(check: str, message: str, fix: str) -> Finding:
    return Finding(check, "fail", message, fix)


def skip(check: str, why: str) -> Finding:
    return Finding(check, "skip", why)


def validity(check: str, cert: x509.Certificate, what: str, renew: str,
             now: datetime | None = None) -> Finding:
    """Whether ``cert`` is valid now, and not about to expire."""
    moment = now or datetime.now(UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if moment < start:
        return fail(check, f"{what} is valid only from {start:%Y-%m-%d %H:%M} UTC "
                    "(is this machine's clock right?)", renew)
    if moment > end:
        return fail(check, f"{what} expired on {end:%Y-%m-%d}", renew)
    if end - moment < EXPIRY_WARNING:
        return warn(check, f"{what} expires on {end:%Y-%m-%d}", renew)
    return ok(check, f"{what} is valid until {end:%Y-%m-%d}")

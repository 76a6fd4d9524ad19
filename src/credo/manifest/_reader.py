"""Typed readers for untrusted JSON that record every problem instead of stopping at the first.

Each reader takes a value, its JSON path (``target``) and a :class:`Problems`; on a bad value
it records a :class:`~credo.errors.FieldError` and returns a harmless default, so one pass
over a document finds every bad field. Callers raise once at the end
(:meth:`Problems.raise_if_any`), so a partial result never escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from credo.display_names import display_name_problem
from credo.errors import FieldError, InvalidInput

_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# ISO 8601 with seconds and an explicit offset, as Microsoft Graph's Edm.DateTimeOffset.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_FRACTION = re.compile(r"(\.\d{6})\d+")
T = TypeVar("T")


class Problems:
    """The field errors found so far in one document; local to one parse, never shared."""

    def __init__(self) -> None:
        self._errors: list[FieldError] = []
        self._seen: set[tuple[str, str]] = set()
        self._count = 0

    def add(self, target: str, message: str) -> None:
        """Record a problem; the same message for the same target is kept once."""
        self._count += 1
        if (target, message) not in self._seen:
            self._seen.add((target, message))
            self._errors.append(FieldError(target=target, message=message))

    def found_at(self, target: str) -> bool:
        """Whether a problem was recorded for ``target`` (a derived one would repeat it)."""
        return any(t == target for t, _ in self._seen)

    def mark(self) -> int:
        """A position to pass to :meth:`clean_since`."""
        return self._count

    def clean_since(self, mark: int) -> bool:
        """Whether nothing was recorded after ``mark`` (cross-field checks run only then)."""
        return self._count == mark

    def raise_if_any(self, message: str) -> None:
        """Raise :class:`InvalidInput` carrying every recorded error, if there is one."""
        if self._errors:
            raise InvalidInput(message, details=list(self._errors))


def at(target: str, key: str | int) -> str:
    """The JSON path of a member (``a.b``) or an array element (``a[1]``)."""
    if isinstance(key, int):
        return f"{target}[{key}]"
    return f"{target}.{key}" if target else key


def format_time(value: datetime) -> str:
    """Graph's ``DateTimeOffset`` wire form at second precision: ``2026-01-01T00:00:00Z``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_second(a: datetime | None, b: datetime | None) -> bool:
    """Equality at the precision the wire form carries."""
    if a is None or b is None:
        return a is b
    return format_time(a) == format_time(b)


def check_keys(obj: Mapping[str, Any], allowed: Collection[str], target: str,
               p: Problems) -> None:
    """Record every member of ``obj`` not in ``allowed`` (typos must not pass silently)."""
    for key in obj:
        if key not in allowed:
            p.add(at(target, key), f"Unknown property '{key}'.")


def pick(obj: Mapping[str, Any], names: tuple[str, ...], target: str,
         p: Problems) -> tuple[str, Any]:
    """The first of ``names`` present in ``obj`` (a Graph name, then its AAD Graph aliases).

    Returns the member's path and raw value (``None`` when none is present); an alias that is
    present with a different value than the first is recorded as a conflict.
    """
    present = [name for name in names if name in obj]
    if not present:
        return at(target, names[0]), None
    first = present[0]
    for alias in present[1:]:
        if obj[alias] != obj[first]:
            p.add(at(target, alias), f"Conflicts with '{first}'.")
    return at(target, first), obj[first]


def as_object(value: Any, target: str, p: Problems) -> Mapping[str, Any]:
    """A JSON object; ``null`` reads as an empty one."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    p.add(target, "Expected an object.")
    return {}


def entries(value: Any, target: str, p: Problems) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The objects of an array (``null`` reads as empty) with their paths.

    An element that is not an object is recorded once and skipped, so its fields are not
    reported again one by one.
    """
    for i, item in enumerate(as_list(value, target, p)):
        if isinstance(item, Mapping):
            yield at(target, i), item
        else:
            p.add(at(target, i), "Expected an object.")


def as_list(value: Any, target: str, p: Problems) -> list[Any]:
    """A JSON array; ``null`` reads as an empty one."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    p.add(target, "Expected an array.")
    return []


def as_str(value: Any, target: str, p: Problems, *, max_len: int = 0) -> str:
    """A string; ``null`` reads as ``""``. ``max_len`` > 0 bounds its length."""
    if value is None:
        return ""
    if not isinstance(value, str):
        p.add(target, "Expected a string.")
        return ""
    if max_len and len(value) > max_len:
        p.add(target, f"Must be at most {max_len} characters long.")
    return value


def as_display_text(value: Any, target: str, p: Problems, *, max_len: int) -> str:
    """A display name or description: a string without control, bidirectional-formatting
    or invisible characters (``credo.display_names``); ``null`` reads as ``""``."""
    text = as_str(value, target, p, max_len=max_len)
    problem = display_name_problem(text)
    if problem is not None:
        p.add(target, problem)
    return text


def as_bool(value: Any, target: str, p: Problems, *, default: bool) -> bool:
    """A boolean; ``null`` reads as ``default``."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    p.add(target, "Expected true or false.")
    return default


def as_guid(value: Any, target: str, p: Problems) -> str:
    """A GUID, normalised to lower case; required."""
    if isinstance(value, str) and _GUID.fullmatch(value):
        return value.lower()
    p.add(target, "Expected a GUID such as 00000000-0000-0000-0000-000000000000.")
    return ""


def as_strings(value: Any, target: str, p: Problems) -> list[str]:
    """An array of strings (``null`` reads as empty); bad elements are recorded and dropped."""
    out: list[str] = []
    for i, item in enumerate(as_list(value, target, p)):
        if isinstance(item, str):
            out.append(item)
        else:
            p.add(at(target, i), "Expected a string.")
    return out


def as_time(value: Any, target: str, p: Problems) -> datetime | None:
    """An ISO 8601 date and time with an offset (``null`` reads as ``None``), in UTC."""
    if value is None:
        return None
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(_FRACTION.sub(r"\1", value)).astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    p.add(target, "Expected an ISO 8601 date and time such as 2026-01-01T00:00:00Z.")
    return None


def parse(read: Callable[[Any, str, Problems], T], value: Any, target: str,
          message: str = "The request is not valid.") -> T:
    """Run one reader over ``value`` and raise :class:`InvalidInput` with every problem found."""
    p = Problems()
    result = read(value, target, p)
    p.raise_if_any(message)
    return result


def parse_object(read: Callable[[Mapping[str, Any], str, Problems], T], value: Any,
                 target: str, message: str = "The request is not valid.") -> T:
    """As :func:`parse`, for a reader of one JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidInput(message, details=[FieldError(target=target,
                                                      message="Expected an object.")])
    return parse(read, value, target, message)

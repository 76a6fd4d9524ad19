"""``$filter`` on the directory's collections (``/applications``, ``/servicePrincipals``,
``/users``): the subset of OData 4.01 §5.1.1 that Graph clients send to find one object.

A filter is clauses joined by ``and``; a clause is ``<property> eq '<text>'`` or
``startswith(<property>, '<text>')`` (``''`` is a quote inside the text). Strings compare
without case, as Graph compares these properties. Anything else is refused (400): a filter
that was ignored would answer every object, and a script taking the first would act on the
wrong one (``GET /applications?$filter=appId eq '…'`` is how Azure CLI finds an app).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from credo.errors import InvalidInput

PROPERTIES: Mapping[str, frozenset[str]] = {
    "applications": frozenset({"id", "appId", "displayName"}),
    "servicePrincipals": frozenset({"id", "appId", "displayName"}),
    "users": frozenset({"id", "userPrincipalName", "displayName", "mail"}),
}
"""The properties each collection filters on."""
MAX_FILTER = 1000

_TEXT = r"'((?:[^']|'')*)'"
_EQ = re.compile(r"\s*([A-Za-z]+)\s+eq\s+" + _TEXT + r"\s*", re.IGNORECASE)
_STARTS = re.compile(r"\s*startswith\(\s*([A-Za-z]+)\s*,\s*" + _TEXT + r"\s*\)\s*",
                     re.IGNORECASE)
_AND = re.compile(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", re.IGNORECASE)
"""``and`` between clauses: outside quoted text (an even number of quotes follows it)."""

Test = Callable[[Mapping[str, Any]], bool]
Item = TypeVar("Item", bound=Mapping[str, Any])


def clauses(text: str) -> list[str]:
    """The clauses of a ``$filter`` joined by ``and`` (none for an empty one)."""
    return _AND.split(text.strip()) if text.strip() else []


def parse(collection: str, text: str) -> list[Test]:
    """The clauses of ``text`` as tests on a Graph object; ``InvalidInput`` otherwise."""
    allowed = PROPERTIES[collection]
    if len(text) > MAX_FILTER or not text.strip():
        raise _unsupported(collection, text)
    tests = []
    for clause in clauses(text):
        found = _EQ.fullmatch(clause) or _STARTS.fullmatch(clause)
        if found is None or found.group(1) not in allowed:
            raise _unsupported(collection, clause)
        name, wanted = found.group(1), found.group(2).replace("''", "'").casefold()
        tests.append(_equals(name, wanted) if found.re is _EQ else _starts(name, wanted))
    return tests


def select(collection: str, text: str | None, items: Sequence[Item]) -> list[Item]:
    """``items`` that pass every clause of ``text`` (all of them when there is none)."""
    if text is None:
        return list(items)
    tests = parse(collection, text)
    return [item for item in items if all(test(item) for test in tests)]


def _equals(name: str, wanted: str) -> Test:
    return lambda item: isinstance(item.get(name), str) and item[name].casefold() == wanted


def _starts(name: str, wanted: str) -> Test:
    return lambda item: isinstance(item.get(name), str) and item[name].casefold().startswith(
        wanted)


def _unsupported(collection: str, clause: str) -> InvalidInput:
    names = ", ".join(sorted(PROPERTIES[collection]))
    return InvalidInput(f"Unsupported or invalid query filter clause specified: "
                        f"'{clause.strip()[:100]}'. Supported on {collection}: <property> eq "
                        f"'text' and startswith(<property>, 'text') on {names}, joined by "
                        "'and'.")

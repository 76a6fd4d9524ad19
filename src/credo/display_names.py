"""What a display name may hold: text a person reads on the sign-in and consent pages.

Refused, wherever a display name or description is accepted (applications, app roles,
permission scopes, credentials, users, tenants): control characters (C0, DEL, C1), lone
surrogates, line and paragraph separators, and the invisible formatting characters that
reorder or hide text: bidirectional embeddings, overrides, isolates and marks, zero-width
spaces and joiners, word joiners, the byte-order mark (RFC 8264 §9.12 "Controls" and the
text-hiding part of §9.13 "Ignorable"; the reordering attack is CVE-2021-42574). An
application named ``"\\u202egnp.exe"`` would otherwise read as another name on the consent
page. Variation selectors and emoji tags stay: emoji need them.
"""

from __future__ import annotations

import re

from credo.errors import FieldError, InvalidInput

_REFUSED = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 controls, DEL, C1 controls
    "\ud800-\udfff"  # surrogates (a str from JSON's "\\ud800")
    "\u061c"  # ARABIC LETTER MARK
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner; LRM, RLM
    "\u2028-\u202e"  # line and paragraph separators; LRE, RLE, PDF, LRO, RLO
    "\u2060-\u2069"  # word joiner, invisible operators; LRI, RLI, FSI, PDI
    "\ufeff"  # zero-width no-break space (byte-order mark)
    "\ufff9-\ufffb]"  # interlinear annotation
)


def display_name_problem(text: str) -> str | None:
    """Why ``text`` cannot be shown as a name or description, or None when it can."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    return (f"Must not contain control, bidirectional-formatting or invisible characters "
            f"(U+{ord(found.group()):04X} at position {found.start() + 1}).")


def check_display_name(text: str, target: str, resource: str) -> str:
    """``text`` when :func:`display_name_problem` finds nothing, else ``InvalidInput``
    naming the field (``target``) of the Graph ``resource``."""
    problem = display_name_problem(text)
    if problem is not None:
        raise InvalidInput(f"Invalid value specified for property '{target}' of resource "
                           f"'{resource}'.", details=[FieldError(target, problem)])
    return text

"""Graph ``federatedIdentityCredential`` JSON ⇄ model (workload identity federation).

Members: ``name`` (3 to 120 letters, digits, ``-`` or ``_``, starting with a letter or a
digit; fixed once created), ``issuer`` (an https URL, where the issuer's OpenID discovery
document is fetched), ``subject``, ``audiences`` (one value; ``api://AzureADTokenExchange``
when absent) and ``description``. Values are kept exactly as written: the token endpoint
compares them case-sensitively, as Entra does. Every bad member is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from credo.display_names import display_name_problem
from credo.manifest._reader import Problems
from credo.model import TOKEN_EXCHANGE_AUDIENCE, FederatedIdentityCredential

MAX_VALUE = 600
"""The longest ``issuer``, ``subject``, audience or ``description`` (Entra's limit)."""
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", re.ASCII)
INVALID = "Invalid value specified for a property of resource 'FederatedIdentityCredential'."
MEMBERS = ("name", "issuer", "subject", "audiences", "description")

_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\\]")
"""Whitespace, control characters and backslashes, which no issuer URL holds. An issuer is
also refused with a scheme not written ``https`` or ``.``/``..`` segments (it is compared with
a token's ``iss`` exactly, RFC 7519 §4.1.1, and fetched as written: such a value could
never match), and with user information (it would be sent to the host as credentials and
shown in error messages)."""


def _text(doc: Mapping[str, Any], name: str, p: Problems, *, required: bool) -> str | None:
    value = doc.get(name)
    if value is None:
        if required:
            p.add(name, "Required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        p.add(name, "Must be a non-empty string." if required else "Must be a string.")
        return None
    if len(value) > MAX_VALUE:
        p.add(name, f"At most {MAX_VALUE} characters.")
        return None
    problem = display_name_problem(value)  # a value that reads as another must not match
    if problem is not None:
        p.add(name, problem)
        return None
    return value


def _issuer(doc: Mapping[str, Any], p: Problems, required: bool) -> str | None:
    value = _text(doc, "issuer", p, required=required)
    if value is None:
        return None
    parts = urlsplit(value)
    if not value.startswith("https://") or not parts.hostname or parts.query \
            or parts.fragment or "@" in parts.netloc or _UNSAFE.search(value) \
            or any(seg in (".", "..") for seg in parts.path.split("/")):
        p.add("issuer", "Must be an https URL with a host and no query or fragment: where "
              "the issuer's /.well-known/openid-configuration is served.")
        return None
    return value


def _audiences(doc: Mapping[str, Any], p: Problems) -> tuple[str, ...] | None:
    value = doc.get("audiences")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 1:
        p.add("audiences", "Must be a list of exactly one audience.")
        return None
    audience = value[0]
    if not isinstance(audience, str) or not audience.strip() or len(audience) > MAX_VALUE \
            or display_name_problem(audience) is not None:
        p.add("audiences[0]", f"Must be a non-empty string of at most {MAX_VALUE} visible "
              "characters.")
        return None
    return (audience,)


def federated_from_json(doc: Mapping[str, Any], *,
                        current: FederatedIdentityCredential | None,
                        new_id: Callable[[], str]) -> FederatedIdentityCredential:
    """A new credential (``current`` is ``None``: name, issuer and subject required) or
    ``current`` with the members ``doc`` sends replaced (Graph ``PATCH``)."""
    p = Problems()
    for key in doc:
        if key not in MEMBERS:
            p.add(key, "Not a member of federatedIdentityCredential.")
    creating = current is None
    name = _text(doc, "name", p, required=creating)
    if name is not None and creating and not NAME.fullmatch(name):
        p.add("name", "3 to 120 letters, digits, '-' or '_', starting with a letter or digit.")
    if name is not None and current is not None and name != current.name:
        p.add("name", "Cannot be changed once the credential exists.")
    issuer = _issuer(doc, p, creating)
    subject = _text(doc, "subject", p, required=creating)
    audiences = _audiences(doc, p)
    description = _text(doc, "description", p, required=False)
    p.raise_if_any(INVALID)
    if current is None:
        assert name is not None and issuer is not None and subject is not None
        return FederatedIdentityCredential(new_id(), name, issuer, subject,
                                           audiences or (TOKEN_EXCHANGE_AUDIENCE,),
                                           description or "")
    return FederatedIdentityCredential(
        current.id, current.name, issuer or current.issuer, subject or current.subject,
        audiences or current.audiences,
        current.description if description is None else description)


def federated_to_json(credential: FederatedIdentityCredential) -> dict[str, Any]:
    """The Graph shape, in Graph's member order."""
    return {"id": credential.id, "name": credential.name, "issuer": credential.issuer,
            "subject": credential.subject, "description": credential.description or None,
            "audiences": list(credential.audiences)}

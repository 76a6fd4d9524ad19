"""Where sign-out sends the browser (OpenID Connect RP-Initiated Logout 1.0 §2-3).

"The OP MUST NOT perform post-logout redirection unless ... the post_logout_redirect_uri
... has been previously registered with the OP" (§3): the URI must be one the named client
registered, character for character; otherwise there is no redirect at all.
"""

from __future__ import annotations

from credo import jose
from credo.errors import JoseError, OAuthError
from credo.model import Application
from credo.protocol import admin_consent
from credo.protocol.urls import with_query

MAX_HINT = 16 * 1024


def hinted_client(id_token_hint: str | None) -> str:
    """The ``aud`` of an ID token hint, read without trust (§2): it only chooses which
    app's registered URIs the redirect must be one of."""
    if not id_token_hint or len(id_token_hint) > MAX_HINT:
        return ""
    try:
        aud = jose.parse_compact(id_token_hint).claims.get("aud")
    except JoseError:
        return ""
    return aud if isinstance(aud, str) else ""


def redirect_target(app: Application | None, *, client_id: str, uri: str, state: str | None,
                    tenant_id: str, tenant_name: str) -> str | None:
    """The registered ``post_logout_redirect_uri`` with ``state``, or ``None``."""
    try:
        client = admin_consent.check_client(app, client_id, tenant_id, tenant_name)
        admin_consent.check_redirect_uri(client, uri)
    except OAuthError:
        return None
    return with_query(uri, [("state", state)]) if state else uri

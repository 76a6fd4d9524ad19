"""The sign-in event of a token request, in Graph's ``signIn`` shape (auditLogs/signIns).

The token pipeline fills a ``SignInFacts`` as it learns them (tenant, grant, client, the
credential it presented and the one that verified, the resource and user the grant
resolved); ``token_event`` turns them into the buffered ``AuditEvent``. Only identifiers are
kept: a credential's key id and thumbprint, never the secret or the assertion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from credo.errors import JoseError, OAuthError
from credo.jose import b64url_decode
from credo.model import Application, AuditEvent, ClientSnapshot, KeyCredential, Tenant, User
from credo.protocol.client_auth import AuthenticatedClient, Presented

CREDENTIAL_TYPES = {"private_key_jwt": "clientAssertion", "client_secret_post": "clientSecret",
                    "client_secret_basic": "clientSecret",
                    "federated_identity_credential": "federatedIdentityCredential",
                    "managed_identity": "managedIdentity"}
"""Client-authentication method → Graph ``clientCredentialType``."""


@dataclass(slots=True)
class SignInFacts:
    """What one token request turned out to concern, filled as its pipeline runs."""

    kind: str = "client_credentials"
    tenant: Tenant | None = None
    client_id: str = ""
    presented: Presented | None = None
    snapshot: ClientSnapshot | None = None
    client: AuthenticatedClient | None = None
    resource: Application | None = None
    user: User | None = None


def token_event(now: float, facts: SignInFacts, err: OAuthError | None, *,
                correlation_id: str, ip_address: str) -> AuditEvent:
    """The ``token.<grant>`` event: who, with which credential, for what, and the outcome."""
    key_id, thumbprint = _credential(facts)
    user, resource = facts.user, facts.resource
    presented = facts.presented
    return AuditEvent(
        time=datetime.fromtimestamp(now, UTC),
        tenant_id=facts.tenant.id if facts.tenant else "", kind=f"token.{facts.kind}",
        outcome="failure" if err else "success", client_id=facts.client_id[:64],
        code=err.code if err else 0,
        detail=(err.detail or err.description)[:500] if err else "",
        correlation_id=correlation_id, ip_address=ip_address,
        app_name=facts.snapshot.application.display_name if facts.snapshot else "",
        credential_type=CREDENTIAL_TYPES.get(presented.method, "") if presented else "none",
        credential_key_id=key_id, credential_thumbprint=thumbprint,
        resource_id=resource.app_id if resource else "",
        resource_name=resource.display_name if resource else "",
        user_id=user.id if user else "",
        user_principal_name=user.user_principal_name if user else "")


def _credential(facts: SignInFacts) -> tuple[str, str]:
    """The key id and thumbprint of the credential that verified; for a refused assertion,
    the SHA-1 thumbprint its ``x5t`` header named."""
    verified = facts.client.credential if facts.client else None
    if isinstance(verified, KeyCredential):
        return verified.key_id, verified.sha1.hex().upper()
    if verified is not None:
        return verified.key_id, ""
    assertion = facts.presented.assertion if facts.presented else None
    named = assertion.header.get("x5t") if assertion is not None else None
    if not isinstance(named, str):
        return "", ""
    try:
        return "", b64url_decode(named)[:64].hex().upper()
    except JoseError:
        return "", ""

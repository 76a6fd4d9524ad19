"""The tables: SQLAlchemy Core, one schema for SQLite and PostgreSQL.

Migrations in ``store/migrations`` create exactly these tables; a test compares them.
List-valued manifest fields are JSON text; identifier URIs also live in their own table so
that ``UNIQUE(uri)`` holds across the whole directory. ``position`` columns keep the order of
the model's tuples (a tenant's first domain is its default domain).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on both backends (docs/architecture.md).

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time as text. Naive values
    are refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _guid(name: str, *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(36), *args, nullable=False, **kw)


def _text(name: str, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False, **kw)


def _when(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _cascade(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


tenants = sa.Table(
    "tenants", metadata,
    _guid("id", primary_key=True),
    _text("display_name"),
    sa.Column("profile", sa.String(16), nullable=False),
    _when("created"),
)

tenant_domains = sa.Table(
    "tenant_domains", metadata,
    sa.Column("domain", sa.String(255), primary_key=True),  # lower-cased
    _guid("tenant_id", _cascade("tenants.id"), index=True),
    sa.Column("position", sa.Integer, nullable=False),
)

applications = sa.Table(
    "applications", metadata,
    _guid("id", primary_key=True),
    _guid("app_id", unique=True),
    _guid("tenant_id", sa.ForeignKey("tenants.id"), index=True),
    _text("display_name"),
    sa.Column("sign_in_audience", sa.String(32), nullable=False),
    sa.Column("requested_access_token_version", sa.Integer, nullable=True),
    sa.Column("oauth2_allow_implicit_flow", sa.Boolean, nullable=False),
    sa.Column("oauth2_allow_id_token_implicit_flow", sa.Boolean, nullable=False),
    sa.Column("is_fallback_public_client", sa.Boolean, nullable=False),
    _text("identifier_uris"),  # JSON list; the unique copy is application_identifier_uris
    _text("app_roles"),
    _text("oauth2_permission_scopes"),
    _text("required_resource_access"),
    _text("web_redirect_uris"),
    _text("public_client_redirect_uris"),
    _text("spa_redirect_uris"),
    _text("tags"),
    _when("created"),
)

application_identifier_uris = sa.Table(
    "application_identifier_uris", metadata,
    _guid("tenant_id", primary_key=True),
    sa.Column("canonical", sa.Text, primary_key=True),
    sa.Column("uri", sa.Text, nullable=False),
    _guid("application_id", _cascade("applications.id"), index=True),
    sa.Index("ix_application_identifier_uris_canonical", "canonical"),
)
"""Unique per tenant in canonical form (``model.canonical_identifier_uri``); another tenant
may register the same ``api://`` URI, and resolution prefers the requesting tenant's."""

key_credentials = sa.Table(
    "key_credentials", metadata,
    _guid("application_id", _cascade("applications.id"), primary_key=True),
    _guid("key_id", primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("der", sa.LargeBinary, nullable=False),
    sa.Column("sha1", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.LargeBinary, nullable=False),
    _when("start", nullable=False),
    _when("end", nullable=False),
    _text("display_name"),
    sa.Column("custom_key_identifier", sa.LargeBinary, nullable=False),
)

password_credentials = sa.Table(
    "password_credentials", metadata,
    _guid("application_id", _cascade("applications.id"), primary_key=True),
    _guid("key_id", primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("secret_hash", sa.LargeBinary, nullable=False),
    _text("hint"),
    _when("start", nullable=False),
    _when("end", nullable=False),
    _text("display_name"),
)

federated_credentials = sa.Table(
    "federated_credentials", metadata,
    _guid("application_id", _cascade("applications.id"), primary_key=True),
    _guid("id", primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    _text("issuer"),
    _text("subject"),
    _text("audiences"),  # JSON list
    _text("description"),
    sa.UniqueConstraint("application_id", "name"),
)
"""Graph ``federatedIdentityCredentials`` of an application; ``name`` unique per app."""

service_principals = sa.Table(
    "service_principals", metadata,
    _guid("id", primary_key=True),
    _guid("app_id", _cascade("applications.app_id"), index=True),
    _guid("tenant_id", sa.ForeignKey("tenants.id")),
    _text("display_name"),
    sa.Column("account_enabled", sa.Boolean, nullable=False),
    sa.Column("app_role_assignment_required", sa.Boolean, nullable=False),
    _when("created"),
    sa.UniqueConstraint("tenant_id", "app_id"),
)

app_role_assignments = sa.Table(
    "app_role_assignments", metadata,
    _guid("id", primary_key=True),
    _guid("tenant_id", sa.ForeignKey("tenants.id"), index=True),
    _guid("principal_id"),  # a service principal today, a user tomorrow: no foreign key
    _guid("resource_id", _cascade("service_principals.id"), index=True),
    _guid("app_role_id"),
    _when("created"),
    sa.UniqueConstraint("principal_id", "resource_id", "app_role_id"),
)

directory_version = sa.Table(
    "directory_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("version", sa.BigInteger, nullable=False),
)

_state: sa.ColumnClause[str] = sa.column("state", sa.String)
signing_keys = sa.Table(
    "signing_keys", metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("private_sealed", sa.LargeBinary, nullable=False),  # Sealer blob, aad = kid
    _when("created", nullable=False),
    _when("activated"),
    _when("retired"),
    # At most one "active" and one "next" key: a lost rotation race fails on insert.
    sa.Index("ux_signing_keys_state", "state", unique=True,
             sqlite_where=_state.in_(("active", "next")),
             postgresql_where=_state.in_(("active", "next"))),
)

replay = sa.Table(
    "replay", metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    _when("time", nullable=False),
    _text("tenant_id"),
    _text("kind"),
    sa.Column("outcome", sa.String(8), nullable=False),
    _text("client_id"),
    sa.Column("code", sa.Integer, nullable=False),
    _text("detail"),
    _text("correlation_id"),
    # -- Graph's signIn and directoryAudit shapes (migration 0005) --
    sa.Column("stream", sa.String(16), nullable=False),
    _text("app_name"),
    _text("ip_address"),
    _text("credential_type"),
    _text("credential_key_id"),
    _text("credential_thumbprint"),
    _text("resource_id"),
    _text("resource_name"),
    _text("user_id"),
    _text("user_principal_name"),
    _text("activity"),
    _text("category"),
    _text("targets"),  # JSON list of [type, id, display name]
    sa.Index("ix_audit_events_time", "time"),  # the retention purge
    sa.Index("ix_audit_events_tenant_id_stream_time", "tenant_id", "stream", "time"),
    sa.Index("ix_audit_events_tenant_id_stream_client_id_time", "tenant_id", "stream",
             "client_id", "time"),
)

# -- users and sign-in (migration 0002) ------------------------------------------------------

users = sa.Table(
    "users", metadata,
    _guid("id", primary_key=True),
    _guid("tenant_id", sa.ForeignKey("tenants.id"), index=True),
    sa.Column("user_principal_name", sa.String(320), nullable=False, unique=True),  # lower
    _text("display_name"),
    _text("password_hash"),  # argon2id, PHC string format
    sa.Column("account_enabled", sa.Boolean, nullable=False),
    _when("created"),
    _when("password_changed"),
)

user_directory_roles = sa.Table(
    "user_directory_roles", metadata,
    _guid("user_id", _cascade("users.id"), primary_key=True),
    _guid("role_template_id", primary_key=True),
)

sign_in_throttle = sa.Table(
    "sign_in_throttle", metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # SHA-256 hex of user or address key
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.Float, nullable=False, index=True),
)

# -- delegated flows: user consent, authorization codes, refresh tokens (migration 0003) -----

_principal: sa.ColumnClause[str] = sa.column("principal_id", sa.String)
delegated_grants = sa.Table(
    "delegated_grants", metadata,
    _guid("id", primary_key=True),
    _guid("tenant_id", sa.ForeignKey("tenants.id"), index=True),
    _guid("client_id", _cascade("service_principals.id")),
    sa.Column("consent_type", sa.String(16), nullable=False),
    sa.Column("principal_id", sa.String(36), _cascade("users.id"), nullable=True),
    _guid("resource_id", _cascade("service_principals.id"), index=True),
    _text("scope"),
    _when("created"),
    # One grant per (client, resource) for everyone, and one per user (Graph's rule).
    sa.Index("ux_delegated_grants_all", "client_id", "resource_id", unique=True,
             sqlite_where=_principal.is_(None), postgresql_where=_principal.is_(None)),
    sa.Index("ux_delegated_grants_user", "client_id", "resource_id", "principal_id",
             unique=True, sqlite_where=_principal.isnot(None),
             postgresql_where=_principal.isnot(None)),
)

authorization_codes = sa.Table(
    "authorization_codes", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),  # keyed hash, hex
    _guid("tenant_id"),
    _guid("client_id"),
    _text("redirect_uri"),
    sa.Column("redirect_kind", sa.String(16), nullable=False),
    _guid("user_id"),
    _text("scope"),
    _text("resource"),
    sa.Column("code_challenge", sa.String(64), nullable=True),
    sa.Column("nonce", sa.Text, nullable=True),
    _when("auth_time", nullable=False),
    _text("session_id"),
    _guid("family_id"),
    sa.Column("version", sa.Integer, nullable=False),
    _when("created", nullable=False),
    _when("expires", nullable=False),
    _when("used"),
    sa.Index("ix_authorization_codes_expires", "expires"),
)

refresh_families = sa.Table(
    "refresh_families", metadata,
    _guid("id", primary_key=True),
    _guid("tenant_id"),
    _guid("client_id"),
    _guid("user_id", index=True),
    _when("created", nullable=False),
    _when("expires", nullable=False),
    _when("revoked"),
    sa.Index("ix_refresh_families_expires", "expires"),
)

refresh_tokens = sa.Table(
    "refresh_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # keyed hash, hex
    _guid("family_id", _cascade("refresh_families.id"), index=True),
    _guid("tenant_id"),
    _guid("client_id"),
    _guid("user_id"),
    _text("scope"),
    sa.Column("public", sa.Boolean, nullable=False),
    _when("auth_time", nullable=False),
    _text("session_id"),
    _when("created", nullable=False),
    _when("expires", nullable=False),
    _when("used"),
)

# -- browser sessions and familiar sign-in addresses (migration 0006) -------------

browser_sessions = sa.Table(
    "browser_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # SHA-256 hex of the cookie
    _text("session_id"),  # public (OIDC ``sid``), never enough to open the session
    _guid("tenant_id"),
    _guid("user_id", _cascade("users.id"), index=True),
    _when("created", nullable=False),
    _when("last_seen", nullable=False),
    _when("expires", nullable=False),
    sa.Index("ix_browser_sessions_expires", "expires"),
)

sign_in_familiar = sa.Table(
    "sign_in_familiar", metadata,
    _guid("user_id", _cascade("users.id"), primary_key=True),
    sa.Column("address_hash", sa.String(64), primary_key=True),  # keyed hash, hex
    sa.Column("last_seen", sa.Float, nullable=False, index=True),
)

# -- the portal's tokens (migration 0008) ---------------------------------------------------

portal_tokens = sa.Table(
    "portal_tokens", metadata,
    # The browser session they belong to: they end with it (sign-out, password change, ...).
    sa.Column("session_hash", sa.String(64), _cascade("browser_sessions.token_hash"),
              primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # Sealer blob, aad = session_hash
    _when("updated", nullable=False),
)

"""Settings, one table: each field of ``Settings`` is one setting (name, type, default, meaning).

A value comes from the command line, else ``CREDO_<NAME>``, else ``<data dir>/credo.toml``,
else its default. An unknown key in the file, an unknown ``CREDO_*`` variable, or a value of
the wrong type or range raises ``ConfigError`` naming it: a typo stops the start instead of
being ignored. docs/configuration.md is generated from this table
(``credo.cli.configure.markdown_table``); a test keeps the two in step. Adding a setting is
one ``field(..., metadata=rule(...))`` plus its use.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import difflib
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from credo.protocol.forwarded import parse_networks

DEFAULT_PORT = 8443
CONFIG_FILE = "credo.toml"
PREFIX = "CREDO_"
NOT_SETTINGS = {  # CREDO_* variables that other tools read; every other one must be a setting
    "CREDO_REQUIRE_SERVICES": "the test suite: fail, not skip, when PostgreSQL or Redis is away",
    "CREDO_SHARED_BENCH": "bench/: where the shared benchmark harness lives",
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_DATABASES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")

Check = Callable[[Any], str]  # the problem with a parsed value, "" when there is none


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the key and where it came from."""


@dataclass(frozen=True)
class Rule:
    """How one setting is described and checked."""

    meaning: str
    shown_default: str = ""
    env_only: bool = False  # secrets and the data dir itself: never in credo.toml
    secret: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    check: Check | None = None


def rule(meaning: str, **details: Any) -> dict[str, Rule]:
    """A ``Settings`` field's metadata: its row in the table."""
    return {"rule": Rule(meaning, **details)}


def _url(*schemes: str) -> Check:
    def check(value: str) -> str:
        parts = urlsplit(value)
        if not value or (parts.scheme in schemes and parts.netloc and not parts.query
                         and not parts.fragment):
            return ""
        return f"is not a {' or '.join(s + '://' for s in schemes)} URL (scheme and host)"
    return check


def _database(value: str) -> str:
    scheme = urlsplit(value).scheme
    if not value or (scheme in _DATABASES and (scheme.startswith("sqlite") or "://" in value)):
        return ""
    return f"must start with one of {', '.join(s + '://' for s in _DATABASES)}"


def _networks(value: str) -> str:
    try:
        parse_networks(value)
    except ValueError as exc:
        return f"is not a list of IPs or CIDRs ({exc})"
    return ""


def _key(*, exact: bool) -> Check:
    def check(value: str) -> str:
        try:
            size = len(base64.b64decode(value.strip(), validate=True))
        except binascii.Error:
            return "is not base64"
        if not value or size == 32 or (size > 32 and not exact):
            return ""
        return f"decodes to {size} bytes, not {'' if exact else 'at least '}32"
    return check


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default=Path("~/.credo"), metadata=rule(
        "Credo's data directory (also `--data-dir`).", shown_default="~/.credo",
        env_only=True))
    base_url: str = field(default="", metadata=rule(
        "Issuer base URL that clients see; never taken from a request's `Host`.",
        shown_default="https://<host>:<port>", check=_url("https")))
    host: str = field(default="127.0.0.1", metadata=rule(
        "Address `credo serve` listens on; `credo init` puts it in the TLS certificate."))
    port: int = field(default=DEFAULT_PORT, metadata=rule(
        "Port `credo serve` listens on.", low=1, high=65535))
    server: str = field(default="", metadata=rule(
        "URL the CLI calls (also `--server`), e.g. one node behind a balancer.",
        shown_default="base_url", check=_url("https", "http")))
    database_url: str = field(default="", metadata=rule(
        "SQLAlchemy URL of the database (`postgresql+asyncpg://…` for several nodes).",
        shown_default="SQLite in the data dir", check=_database))
    redis_url: str = field(default="", metadata=rule(
        "Redis: the shared replay store of `strict` tenants and the token endpoint's "
        "failure budgets (per process without it).", shown_default="none",
        check=_url("redis", "rediss", "unix")))
    insecure_http: bool = field(default=False, metadata=rule(
        "Serve plain HTTP behind a TLS-terminating proxy (also `--insecure-http`); the "
        "issuer stays https."))
    cache_seconds: float = field(default=2.0, metadata=rule(
        "Propagation bound: a revoked grant or credential works at most this long.",
        low=0, high=3600))
    max_stale_seconds: float = field(default=300.0, metadata=rule(
        "With the database unreachable, how long past `cache_seconds` a node keeps issuing "
        "tokens to clients in its directory cache; after it, 503 (AADSTS90033) until the "
        "database answers.", low=5, high=86400))
    token_lifetime: int = field(default=3600, metadata=rule(
        "Access-token lifetime (seconds).", low=60, high=86400))
    key_rotation_days: float = field(default=30.0, metadata=rule(
        "Signing-key rotation period (days).", low=0.01, high=3650))
    key_retention_days: float = field(default=2.0, metadata=rule(
        "How long a retired signing key stays published (days).", low=0, high=365))
    header_timeout: float = field(default=10.0, metadata=rule(
        "Seconds a client has to send a request head (408 and close after).", low=1,
        high=300))
    body_timeout: float = field(default=30.0, metadata=rule(
        "Seconds a client has to send a request body once its head arrived.", low=1,
        high=600))
    max_connections: int = field(default=1000, metadata=rule(
        "Open connections per worker; more are closed as soon as they are accepted.",
        low=8, high=100000))
    hsts_seconds: int = field(default=31536000, metadata=rule(
        "Strict-Transport-Security max-age sent on every response (0: no header).", low=0,
        high=63072000))
    trusted_proxies: str = field(default="", metadata=rule(
        "IPs or CIDRs (comma-separated) of the proxies in front; only a request whose peer "
        "is one has its client address taken from `X-Forwarded-For` (the rightmost address "
        "that is not a trusted proxy).", shown_default="none", check=_networks))
    lockout_threshold: int = field(default=5, metadata=rule(
        "Wrong passwords for one user (per tenant) before sign-in from unfamiliar addresses "
        "is locked; an address that signed the user in before has its own count.",
        low=1, high=1000))
    lockout_address_threshold: int = field(default=20, metadata=rule(
        "Wrong passwords from one address (per tenant, any user name) before sign-in from "
        "it is locked for users it never signed in.", low=1, high=100000))
    lockout_seconds: float = field(default=60.0, metadata=rule(
        "First lockout (seconds); each further failure doubles it, up to 15 minutes.",
        low=1, high=900))
    token_client_failures: int = field(default=20, metadata=rule(
        "Failed client authentications of one client (per tenant) within "
        "`token_failure_window` before its token requests get 429.", low=1, high=1000000))
    token_tenant_failures: int = field(default=200, metadata=rule(
        "Failed client authentications in one tenant within `token_failure_window` before "
        "every client of it with a failure of its own gets 429.", low=1, high=10000000))
    token_failure_window: float = field(default=60.0, metadata=rule(
        "Window (seconds) of the token endpoint's failure budgets; a throttled client "
        "waits for the rest of it.", low=1, high=86400))
    workers: int = field(default=1, metadata=rule(
        "Worker processes of `credo serve` (also `--workers`).", low=1, high=256))
    log_level: str = field(default="info", metadata=rule(
        "Log level of the server.", choices=("debug", "info", "warning", "error", "critical")))
    log_format: str = field(default="text", metadata=rule(
        "Server log lines: `json` (one object a line, for a log shipper) or `text` (also "
        "`--log-format`).", choices=("text", "json")))
    metrics_port: int = field(default=0, metadata=rule(
        "Port of the Prometheus `/metrics` listener of `credo serve` (also `--metrics-port`); "
        "0: none.", low=0, high=65535))
    metrics_host: str = field(default="127.0.0.1", metadata=rule(
        "Address of the `/metrics` listener; loopback unless a scraper elsewhere needs it."))
    audit_retention_days: float = field(default=30.0, metadata=rule(
        "How long sign-in and directory audit events are kept (days).", low=0.01, high=3650))
    federation_timeout: float = field(default=5.0, metadata=rule(
        "Seconds to connect to, and then to read from, a federated credential's issuer "
        "(its discovery document and keys; twice this for both) before the token request is "
        "refused (AADSTS90061).", low=0.1, high=60))
    federation_cache_seconds: float = field(default=3600.0, metadata=rule(
        "How long an issuer's discovery document and keys are kept; a key id not among them "
        "refetches them at most once a minute per issuer.", low=60, high=86400))
    federation_ca_file: str = field(default="", metadata=rule(
        "PEM file of CA certificates trusted for federated issuers' https (a private "
        "Kubernetes cluster, another Credo), besides the system's and this deployment's own "
        "CA.", shown_default="none"))
    managed_identity_port: int = field(default=0, metadata=rule(
        "Port of the managed-identity endpoint (App Service protocol: `IDENTITY_ENDPOINT` is "
        "`http://<managed_identity_host>:<port>/msi/token`); 0: none.", low=0, high=65535))
    managed_identity_host: str = field(default="127.0.0.1", metadata=rule(
        "Address of the managed-identity listener; only loopback clients are answered unless "
        "this is a non-loopback address."))
    managed_identity_tenant: str = field(default="", metadata=rule(
        "Tenant (id or domain) of the local managed identity.", shown_default="none"))
    managed_identity_client_ids: str = field(default="", metadata=rule(
        "appIds (comma-separated) of the applications the local managed identity is, each "
        "with a service principal in `managed_identity_tenant`; the first is the "
        "system-assigned identity, the others are chosen by `client_id`, `principal_id` or "
        "`mi_res_id`.", shown_default="none"))
    managed_identity_secret: str = field(default="", repr=False, metadata=rule(
        "The `X-IDENTITY-HEADER` value (`IDENTITY_HEADER`), at least 16 characters.",
        shown_default="<data dir>/managed-identity.secret (made at first start)",
        env_only=True, secret=True, check=lambda v: "" if not v or len(v) >= 16
        else "is shorter than 16 characters"))
    master_key: str = field(default="", repr=False, metadata=rule(
        "AES-256 key (base64) sealing the signing keys; the same on every node.",
        shown_default="<data dir>/master.key", env_only=True, secret=True,
        check=_key(exact=True)))
    secrets_key: str = field(default="", repr=False, metadata=rule(
        "Pepper (base64) of client-secret hashes; the same on every node.",
        shown_default="<data dir>/secrets.key", env_only=True, secret=True,
        check=_key(exact=False)))
    bootstrap_tenant: str = field(default="", metadata=rule(
        "Id of the operator's tenant (written by `credo init`)."))
    bootstrap_domain: str = field(default="", metadata=rule(
        "Domain of the operator's tenant (written by `credo init`)."))
    operator_app_id: str = field(default="", metadata=rule(
        "appId of the operator app, the CLI's identity (written by `credo init`)."))
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def ca_path(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def operator_dir(self) -> Path:
        return self.data_dir / "operator"

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_FILE

    def source(self, name: str) -> str:
        """Where ``name`` came from: ``--option``, ``CREDO_…``, ``credo.toml`` or ``default``."""
        return self.sources.get(name, "default")


@dataclass(frozen=True)
class Row:
    name: str
    env: str
    kind: type
    default: Any
    rule: Rule

    @property
    def in_file(self) -> bool:
        return not self.rule.env_only


def table() -> Iterator[Row]:
    """Every setting, in the order of ``Settings``."""
    hints = get_type_hints(Settings)
    for f in fields(Settings):
        if "rule" in f.metadata:
            yield Row(f.name, PREFIX + f.name.upper(), hints[f.name], f.default, f.metadata["rule"])


ROWS = {row.name: row for row in table()}


def _suggest(word: str, known: Iterator[str] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _number(kind: type, value: Any, origin: str) -> float | int:
    number: float | int | None = None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = kind(value.strip())
    elif (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and kind is float):
        number = kind(value)
    if number is None or not math.isfinite(number):
        what = "an integer" if kind is int else "a number"
        raise ConfigError(f"{origin}: expected {what}, got {value!r}")
    return number


def _scalar(row: Row, value: Any, origin: str) -> Any:
    """``value`` (TOML or text) as the row's type, or a ``ConfigError`` naming ``origin``."""
    if row.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(f"{origin}: expected true or false, got {value!r}")
    if row.kind in (int, float):
        return _number(row.kind, value, origin)
    if isinstance(value, str):
        return value
    raise ConfigError(f"{origin}: expected text, got {value!r}")


def parse(name: str, value: Any, origin: str) -> Any:
    """The checked value of setting ``name``; ``ConfigError`` naming ``origin`` otherwise."""
    row = ROWS[name]
    parsed, rule = _scalar(row, value, origin), row.rule
    if rule.choices and isinstance(parsed, str):
        parsed = parsed.lower()
    if rule.choices and parsed not in rule.choices:
        raise ConfigError(f"{origin}: {parsed!r} is not one of {', '.join(rule.choices)}")
    low = rule.low if rule.low is not None else -math.inf
    high = rule.high if rule.high is not None else math.inf
    if isinstance(parsed, int | float) and not isinstance(parsed, bool) and not (
            low <= parsed <= high):
        raise ConfigError(f"{origin}: {parsed:g} is out of range ({low:g} to {high:g})")
    problem = rule.check(parsed) if rule.check else ""
    if problem:
        shown = "the value" if rule.secret else repr(parsed)
        raise ConfigError(f"{origin}: {shown} {problem}")
    return parsed


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("CREDO_DATA_DIR") or Path.home() / ".credo").expanduser()


def read_config_file(path: Path) -> dict[str, Any]:
    """The keys of ``credo.toml`` (empty when absent); unknown keys raise ``ConfigError``."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc})") from exc
    for key in document:
        row = ROWS.get(key)
        if row is None:
            raise ConfigError(f"{path}: unknown setting {key!r}"
                              f"{_suggest(key, [n for n, r in ROWS.items() if r.in_file])}; "
                              "the settings are listed in docs/configuration.md")
        if not row.in_file:
            raise ConfigError(f"{path}: {key} cannot be set in the file; use {row.env}")
    return document


def read_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The non-empty ``CREDO_*`` settings; an unknown ``CREDO_*`` variable raises."""
    by_env = {row.env: row.name for row in ROWS.values() if row.name != "data_dir"}
    found: dict[str, str] = {}
    for variable, value in env.items():
        if not variable.startswith(PREFIX) or variable in NOT_SETTINGS or not value:
            continue
        if variable == "CREDO_DATA_DIR":
            continue
        if variable not in by_env:
            raise ConfigError(f"unknown variable {variable}{_suggest(variable, list(by_env))}; "
                              "the settings are listed in docs/configuration.md")
        found[by_env[variable]] = value
    return found


def load_settings(data_dir: Path | None = None, env: Mapping[str, str] = os.environ,
                  **overrides: Any) -> Settings:
    """Read ``credo.toml``, then ``CREDO_*`` variables, then ``overrides`` (None = not given)."""
    root = (data_dir or default_data_dir(env)).expanduser().resolve()
    path = root / CONFIG_FILE
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, raw in read_config_file(path).items():
        values[key], sources[key] = parse(key, raw, f"{key} in {path}"), CONFIG_FILE
    for name, raw in read_environment(env).items():
        values[name], sources[name] = parse(name, raw, ROWS[name].env), ROWS[name].env
    for name, raw in overrides.items():
        if raw is not None:
            option = "--" + name.replace("_", "-")
            values[name], sources[name] = parse(name, raw, option), option
    settings = Settings(**{**values, "data_dir": root}, sources=sources)
    return _derived(settings)


def address_url(host: str, port: int) -> str:
    """``https://host:port`` (IPv6 literals bracketed): the base URL of a listening address."""
    return f"https://{f'[{host}]' if ':' in host else host}:{port}"


def _derived(settings: Settings) -> Settings:
    base = (settings.base_url or address_url(settings.host, settings.port)).rstrip("/")
    database = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'credo.db'}"
    return replace(settings, base_url=base, database_url=database)


def base_url_is_derived(settings: Settings) -> bool:
    """True when the issuer follows ``host`` and ``port`` (no base URL of its own).

    A ``base_url`` in the file equal to the derived one counts as derived: older ``credo
    init`` wrote it there in any case.
    """
    source = settings.source("base_url")
    return source == "default" or (
        source == CONFIG_FILE and settings.base_url == address_url(settings.host, settings.port))


def write_settings(settings: Settings, **values: Any) -> None:
    """Set keys of ``credo.toml`` (``None`` removes one), checked, written 0600 atomically."""
    path = settings.config_path
    current = read_config_file(path)
    for key, value in values.items():
        row = ROWS.get(key)
        if row is None or not row.in_file:
            raise ConfigError(f"{key!r} is not a setting of {CONFIG_FILE}"
                              f"{_suggest(key, [n for n, r in ROWS.items() if r.in_file])}")
        if value is None:
            current.pop(key, None)
        else:
            current[key] = parse(key, value, key)
    lines = [f"{key} = {_toml(value)}" for key, value in sorted(current.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temporary, path)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

"""Settings, read once at start: ``<data dir>/credo.toml``, then ``CREDO_<NAME>`` variables.

Every field of ``Settings`` has a variable of its upper-cased name (``CREDO_BASE_URL``,
``CREDO_DATABASE_URL`` …); README.md §Configuration tables them for users. ``base_url`` is
the issuer base and is never taken from ``Host``; ``cache_seconds`` bounds how long a
revoked grant or credential can still be used; ``bootstrap_tenant`` and ``operator_app_id``
are written by ``credo init``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8443
CONFIG_FILE = "credo.toml"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str = ""
    redis_url: str = ""
    insecure_http: bool = False
    cache_seconds: float = 2.0
    token_lifetime: int = 3600
    key_rotation_days: float = 30.0
    key_retention_days: float = 2.0
    workers: int = 1
    bootstrap_tenant: str = ""
    operator_app_id: str = ""
    log_level: str = "info"

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


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("CREDO_DATA_DIR") or Path.home() / ".credo").expanduser()


def _coerce(value: Any, like: Any) -> Any:
    if isinstance(like, bool):
        return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return str(value)


def load_settings(data_dir: Path | None = None, env: Mapping[str, str] = os.environ,
                  **overrides: Any) -> Settings:
    """Read ``credo.toml`` in the data dir, then ``CREDO_<NAME>`` variables, then ``overrides``."""
    root = (data_dir or default_data_dir(env)).expanduser().resolve()
    settings = Settings(data_dir=root)
    values: dict[str, Any] = {}
    path = root / CONFIG_FILE
    if path.exists():
        values.update(tomllib.loads(path.read_text()))
    for f in fields(Settings):
        key = f"CREDO_{f.name.upper()}"
        if f.name != "data_dir" and key in env:
            values[f.name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Settings)} - {"data_dir"}
    typed = {k: _coerce(v, getattr(settings, k)) for k, v in values.items() if k in known}
    settings = replace(settings, **typed)
    if not settings.base_url:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        settings = replace(settings, base_url=f"https://{host}:{settings.port}")
    if not settings.database_url:
        settings = replace(settings, database_url=f"sqlite+aiosqlite:///{root / 'credo.db'}")
    return replace(settings, base_url=settings.base_url.rstrip("/"))


def write_settings(settings: Settings, **values: Any) -> None:
    """Persist chosen settings to ``credo.toml`` (simple scalars only)."""
    path = settings.config_path
    current: dict[str, Any] = tomllib.loads(path.read_text()) if path.exists() else {}
    current.update(values)
    lines = []
    for key, value in sorted(current.items()):
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{key} = "{escaped}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")

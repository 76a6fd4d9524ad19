"""Settings: one table in code, docs/configuration.md generated from it, every bad value or
unknown key stops the start naming the key, ``credo config`` shows and sets them."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from credo.cli.configure import markdown_table
from credo.config import (
    ROWS,
    ConfigError,
    Settings,
    base_url_is_derived,
    load_settings,
    write_settings,
)

from .conftest import failed, ok, ok_json

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_table_is_the_table_in_code() -> None:
    text = DOC.read_text()
    start = text.index("| setting |")
    table = text[start:text.index("\n\n", start)] + "\n"
    assert table == markdown_table(), (
        "docs/configuration.md is out of date; replace its table with:\n" + markdown_table())
    for row in ROWS.values():
        assert f"| `{row.name}` | `{row.env}` |" in table


def test_every_setting_has_a_meaning_a_variable_and_a_field() -> None:
    names = {f for f in Settings.__dataclass_fields__ if f != "sources"}
    assert set(ROWS) == names
    for row in ROWS.values():
        assert row.env == "CREDO_" + row.name.upper()
        assert row.rule.meaning.endswith(".")


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    (tmp_path / "credo.toml").write_text('port = 9000\nhost = "localhost"\nworkers = 2\n')
    settings = load_settings(tmp_path, env={"CREDO_WORKERS": "3", "CREDO_LOG_LEVEL": "DEBUG"},
                             workers=4)
    assert (settings.port, settings.host, settings.workers, settings.log_level) == (
        9000, "localhost", 4, "debug")
    assert settings.base_url == "https://localhost:9000"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/credo.db"
    assert [settings.source(n) for n in ("port", "workers", "log_level", "redis_url")] == [
        "credo.toml", "--workers", "CREDO_LOG_LEVEL", "default"]
    assert base_url_is_derived(settings)
    assert not base_url_is_derived(load_settings(tmp_path, env={
        "CREDO_BASE_URL": "https://login.example.com"}))


@pytest.mark.parametrize(("env", "message"), [
    ({"CREDO_PROT": "9000"}, "unknown variable CREDO_PROT (did you mean CREDO_PORT?); the "
                             "settings are listed in docs/configuration.md"),
    ({"CREDO_PORT": "84 43"}, "CREDO_PORT: expected an integer, got '84 43'"),
    ({"CREDO_PORT": "70000"}, "CREDO_PORT: 70000 is out of range (1 to 65535)"),
    ({"CREDO_WORKERS": "0"}, "CREDO_WORKERS: 0 is out of range (1 to 256)"),
    ({"CREDO_CACHE_SECONDS": "two"}, "CREDO_CACHE_SECONDS: expected a number, got 'two'"),
    ({"CREDO_CACHE_SECONDS": "inf"}, "CREDO_CACHE_SECONDS: expected a number, got 'inf'"),
    ({"CREDO_INSECURE_HTTP": "maybe"}, "CREDO_INSECURE_HTTP: expected true or false, got "
                                       "'maybe'"),
    ({"CREDO_LOG_LEVEL": "loud"}, "CREDO_LOG_LEVEL: 'loud' is not one of debug, info, warning, "
                                  "error, critical"),
    ({"CREDO_BASE_URL": "127.0.0.1:8443"}, "CREDO_BASE_URL: '127.0.0.1:8443' is not a "
                                           "https:// URL (scheme and host)"),
    ({"CREDO_BASE_URL": "http://login.example.com"}, "CREDO_BASE_URL: "
     "'http://login.example.com' is not a https:// URL (scheme and host)"),
    ({"CREDO_REDIS_URL": "localhost:6379"}, "CREDO_REDIS_URL: 'localhost:6379' is not a "
     "redis:// or rediss:// or unix:// URL (scheme and host)"),
    ({"CREDO_DATABASE_URL": "mysql://db/credo"}, "CREDO_DATABASE_URL: 'mysql://db/credo' must "
     "start with one of sqlite://, sqlite+aiosqlite://, postgresql://, postgres://, "
     "postgresql+asyncpg://"),
    ({"CREDO_MASTER_KEY": "not base64!"}, "CREDO_MASTER_KEY: the value is not base64"),
    ({"CREDO_MASTER_KEY": "c2hvcnQ="}, "CREDO_MASTER_KEY: the value decodes to 5 bytes, not 32"),
    ({"CREDO_SECRETS_KEY": "c2hvcnQ="}, "CREDO_SECRETS_KEY: the value decodes to 5 bytes, not "
                                        "at least 32"),
])
def test_a_bad_variable_is_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env=env)
    assert str(info.value) == message


@pytest.mark.parametrize(("toml", "message"), [
    ("prot = 9000\n", "{path}: unknown setting 'prot' (did you mean port?); the settings are "
                      "listed in docs/configuration.md"),
    ('port = "x"\n', "port in {path}: expected an integer, got 'x'"),
    ("port = 8443.5\n", "port in {path}: expected an integer, got 8443.5"),
    ("insecure_http = 1\n", "insecure_http in {path}: expected true or false, got 1"),
    ("host = 127\n", "host in {path}: expected text, got 127"),
    ('master_key = "x"\n', "{path}: master_key cannot be set in the file; use CREDO_MASTER_KEY"),
])
def test_a_bad_file_entry_is_named(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "credo.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    assert str(info.value) == message.format(path=path)


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    (tmp_path / "credo.toml").write_text("port = \n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(tmp_path))}/credo\.toml: cannot be "
                                          r"read as TOML \(.+\)$"):
        load_settings(tmp_path, env={})


def test_variables_that_are_not_settings_and_empty_ones_are_ignored(tmp_path: Path) -> None:
    env = {"CREDO_REQUIRE_SERVICES": "1", "CREDO_SHARED_BENCH": "/x", "CREDO_PORT": "",
           "CREDO_DATA_DIR": "/elsewhere", "OTHER": "y"}
    assert load_settings(tmp_path, env=env).port == 8443


def test_secrets_never_show(tmp_path: Path) -> None:
    key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    settings = load_settings(tmp_path, env={"CREDO_MASTER_KEY": key})
    assert settings.master_key == key and key not in repr(settings)
    shown = ok_json("config", "show", "--data-dir", tmp_path)
    assert key not in str(shown)


def test_write_settings_checks_and_writes_0600(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    write_settings(settings, port=9443, base_url="https://login.example.com")
    path = tmp_path / "credo.toml"
    assert path.read_text() == 'base_url = "https://login.example.com"\nport = 9443\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_settings(settings, base_url=None)
    assert path.read_text() == "port = 9443\n"
    with pytest.raises(ConfigError, match=r"^'prot' is not a setting of credo\.toml \(did you "
                                          r"mean port\?\)$"):
        write_settings(settings, prot=1)
    with pytest.raises(ConfigError, match=r"^port: 0 is out of range \(1 to 65535\)$"):
        write_settings(settings, port="0")
    assert path.read_text() == "port = 9443\n"


def test_config_show_set_unset(tmp_path: Path) -> None:
    dd = ("--data-dir", tmp_path)
    assert ok("config", "set", "port", "9000", *dd).stdout == (
        f"port = 9000 in {tmp_path.resolve()}/credo.toml; restart `credo serve` to apply\n")
    rows = {r["name"]: r for r in ok_json("config", "show", *dd)}
    assert rows["port"] == {"name": "port", "value": 9000, "source": "credo.toml",
                            "variable": "CREDO_PORT"}
    assert rows["base_url"]["value"] == "https://127.0.0.1:9000"
    assert rows["workers"]["source"] == "default"
    assert rows["data_dir"] == {"name": "data_dir", "value": str(tmp_path.resolve()),
                                "source": "--data-dir", "variable": "CREDO_DATA_DIR"}
    shown = ok("config", "show", *dd).stdout
    assert re.search(r"port\s.*9000\s.*credo\.toml", shown)
    unset = ok("config", "unset", "port", *dd)
    assert unset.stdout == "port removed from credo.toml; it is now 8443 (default)\n"
    refused = failed("config", "set", "port", "70000", *dd)
    assert (refused.exit_code, refused.stderr) == (2, "error: port: 70000 is out of range "
                                                      "(1 to 65535)\n")
    unknown = failed("config", "set", "colour", "blue", *dd)
    assert unknown.stderr == "error: 'colour' is not a setting of credo.toml\n"


def test_the_cli_stops_on_a_bad_setting_naming_it(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_PROT", "9000")
    for args in (("tenant", "list"), ("serve",), ("init",), ("config", "show")):
        result = failed(*args, "--data-dir", tmp_path)
        assert (result.exit_code, result.stderr) == (2, (
            "error: unknown variable CREDO_PROT (did you mean CREDO_PORT?); the settings are "
            "listed in docs/configuration.md\n")), args
    assert not (tmp_path / "credo.toml").exists()


def test_version() -> None:
    from importlib.metadata import version

    assert ok("--version").stdout == f"credo {version('credo')}\n"

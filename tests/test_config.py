"""Settings come from the environment; production refuses to run without a secret."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    CONFIGS,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    config_class_from_env,
    normalise_database_url,
)

ROOT = Path(__file__).resolve().parent.parent


def test_production_without_secret_key_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        ProductionConfig(tmp_path)


def test_production_start_failure_is_one_line_on_stderr(tmp_path):
    """An operator sees why, in one line, and a non-zero exit: no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(MANIFESTO_CONFIG="production", MANIFESTO_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SECRET_KEY is not set" in lines[0]


def test_production_without_mail_server_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SITE_URL", "https://manifesto.example.org")
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    with pytest.raises(ConfigError, match="MAIL_SERVER is not set") as excinfo:
        ProductionConfig(tmp_path)
    assert "\n" not in str(excinfo.value)


def test_production_secure_cookies_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SITE_URL", "https://manifesto.example.org")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = ProductionConfig(tmp_path)
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


def test_development_generates_its_secret_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = DevelopmentConfig(tmp_path).SECRET_KEY
    second = DevelopmentConfig(tmp_path).SECRET_KEY
    assert first == second and len(first) == 64
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert DevelopmentConfig(tmp_path).SECRET_KEY == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    url = DevelopmentConfig(tmp_path).SQLALCHEMY_DATABASE_URI
    assert url == f"sqlite:///{tmp_path / 'manifesto.sqlite3'}"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u:p@db/m", "postgresql+psycopg://u:p@db/m"),
        ("postgresql://u@db/m", "postgresql+psycopg://u@db/m"),
        ("postgresql+psycopg://u@db/m", "postgresql+psycopg://u@db/m"),
        ("sqlite:////srv/m.db", "sqlite:////srv/m.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


@pytest.fixture
def no_mail_env(monkeypatch):
    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
                 "MAIL_DEFAULT_SENDER", "OUTBOX_DELIVER_AFTER_REQUEST", "CONTACT_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    return monkeypatch


def test_development_without_mail_server_writes_files_after_each_request(tmp_path, no_mail_env):
    config = DevelopmentConfig(tmp_path)
    assert config.MAIL_SERVER is None
    assert config.OUTBOX_DELIVER_AFTER_REQUEST is True
    assert config.MAIL_PORT == 25
    assert config.MAIL_DEFAULT_SENDER == (
        "Inclusive Smart Cities Manifesto <no-reply@inclusive-smart-cities.example>"
    )


@pytest.mark.parametrize("env, port", [({}, 25), ({"MAIL_USE_TLS": "1"}, 587),
                                       ({"MAIL_USE_SSL": "1"}, 465),
                                       ({"MAIL_USE_TLS": "1", "MAIL_PORT": "2525"}, 2525)])
def test_with_a_mail_server_a_worker_sends(tmp_path, no_mail_env, env, port):
    no_mail_env.setenv("MAIL_SERVER", "smtp.example.org")
    for name, value in env.items():
        no_mail_env.setenv(name, value)
    config = DevelopmentConfig(tmp_path)
    assert config.MAIL_PORT == port
    assert config.OUTBOX_DELIVER_AFTER_REQUEST is False
    assert CONFIGS["testing"](tmp_path).OUTBOX_DELIVER_AFTER_REQUEST is False


def test_starttls_and_implicit_tls_exclude_each_other(tmp_path, no_mail_env):
    no_mail_env.setenv("MAIL_USE_TLS", "1")
    no_mail_env.setenv("MAIL_USE_SSL", "1")
    with pytest.raises(ConfigError, match="not both"):
        DevelopmentConfig(tmp_path)


def test_unknown_config_name_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("MANIFESTO_CONFIG", "staging")
    with pytest.raises(ConfigError, match="MANIFESTO_CONFIG must be one of"):
        config_class_from_env()


def test_bad_number_in_environment_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "ten")
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES must be a whole number"):
        DevelopmentConfig(tmp_path)


def test_app_finds_top_level_templates_static_and_translations(app):
    assert Path(app.template_folder) == ROOT / "templates"
    assert Path(app.static_folder) == ROOT / "static"
    assert app.extensions["babel"].default_directories == [str(ROOT / "translations")]


def test_production_cookies_are_host_prefixed_and_hsts_is_sent(tmp_path, monkeypatch):
    from manifesto import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SITE_URL", "https://manifesto.example.org")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MANIFESTO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("HSTS_SECONDS", raising=False)
    config = ProductionConfig(tmp_path)
    assert config.SESSION_COOKIE_NAME == "__Host-session"
    assert config.REMEMBER_COOKIE_NAME == "__Host-remember_token"
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://",
                     RESPONSE_CACHE_SECONDS=0)
    from manifesto.extensions import db

    with app.app_context():
        db.create_all()
    client = app.test_client()
    page = client.get("/en/login", base_url="https://manifesto.example.org")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_development_sends_no_hsts(client):
    response = client.get("/healthz")
    assert "Strict-Transport-Security" not in response.headers

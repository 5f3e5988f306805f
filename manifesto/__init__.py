"""Manifesto: the web application of the Inclusive Smart Cities Manifesto campaign."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config, config_class_from_env, site_settings
from manifesto.core import i18n, ratelimit, urls
from manifesto.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def _tune_sqlite(app: Flask) -> None:
    """Settings for this app's SQLite engines, on each new connection and each return to the
    pool. Listeners on the engines themselves, not on SQLAlchemy's classes: another engine in
    the same process (a library's, a script's) keeps SQLite's own settings."""
    config = app.config

    def pragmas(dbapi_connection, connection_record):
        """WAL lets readers and a writer work at once; foreign keys are off in SQLite by
        default."""
        timeout = int(config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))
        mmap_size = int(config.get("SQLITE_MMAP_SIZE", 0))
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if mmap_size:  # reads from the file's pages in memory, without a system call each
            cursor.execute(f"PRAGMA mmap_size={mmap_size}")
        cursor.close()

    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", pragmas)
            sa.event.listen(engine, "checkin", _sqlite_optimize)


def _sqlite_optimize(dbapi_connection, connection_record):
    """SQLite plans without statistics until ANALYZE has run, and then takes an index on
    ``flagged`` (two values) for one on ``ambassador_city_id``, reading a million rows for a
    dozen. ``PRAGMA optimize`` analyzes the tables this connection's queries used that were
    never analyzed or have grown much since, as SQLite asks long-lived connections to do. Run
    whenever a connection goes back to the pool: it costs about 10 µs when there is nothing
    to do, which is nearly always."""
    if not isinstance(dbapi_connection, sqlite3.Connection):  # None: invalidated meanwhile
        return
    try:
        dbapi_connection.execute("PRAGMA optimize")
    except sqlite3.Error:  # the database is busy with a write: the next time will do
        pass


class DatabaseInteger(IntegerConverter):
    """``<int:…>`` in paths stops at the databases' integer columns: a larger id is a 404,
    not an overflow in the driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the app. ``config_class`` defaults to the one ``MANIFESTO_CONFIG`` names."""
    instance_path = os.environ.get("MANIFESTO_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        # Flask would look inside the package; the design keeps these at the top level.
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    config_class = config_class or config_class_from_env()
    app.config.from_object(config_class(app.instance_path))
    app.config.update(overrides)
    if "SITE_URL" in overrides:  # what follows from it, unless also given
        derived = site_settings(overrides["SITE_URL"], app.config.get("EXTRA_TRUSTED_HOSTS", ()))
        app.config.update({k: v for k, v in derived.items() if k not in overrides or k == "SITE_URL"})

    if app.config.get("RESPONSE_CACHE_SECONDS"):
        from manifesto.web.response_cache import PublicResponseCache

        app.wsgi_app = PublicResponseCache(app.wsgi_app, seconds=int(app.config["RESPONSE_CACHE_SECONDS"]))
    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        forwarded_host = hops if app.config.get("PROXY_FIX_FORWARDED_HOST") else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=forwarded_host)

    app.url_map.converters["int"] = DatabaseInteger
    i18n.init_app(app)
    urls.init_app(app)
    db.init_app(app)
    _tune_sqlite(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    csrf.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)

    from manifesto.cli import register_commands
    from manifesto.core import logs
    from manifesto.mail.outbox import init_app as init_outbox
    from manifesto.web import ambassador, api, auth, coordinate, errors, health, public, sign
    from manifesto.web.security import init_app as init_security
    from manifesto.web.sessions import init_app as init_sessions

    app.register_blueprint(public.bp, url_prefix="/<lang:lang_code>")
    app.register_blueprint(auth.bp, url_prefix="/<lang:lang_code>")
    app.register_blueprint(sign.bp, url_prefix="/<lang:lang_code>")
    app.register_blueprint(coordinate.bp, url_prefix="/<lang:lang_code>/coordinate")
    app.register_blueprint(ambassador.bp, url_prefix="/<lang:lang_code>/ambassador")
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    errors.init_app(app)
    init_security(app)
    init_sessions(app)  # no session cookie under /api/ or on a public answer
    init_outbox(app)
    register_commands(app)
    _ = app.logger  # Flask adds its handler on first use: the filter goes on it too
    logs.install()

    @app.get("/")
    def root():
        """The home page in the visitor's best language."""
        response = redirect(url_for("public.home", lang_code=i18n.best_accept_language()))
        response.headers["Vary"] = "Accept-Language"
        return response

    return app

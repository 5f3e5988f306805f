"""Fixtures: an app per test on SQLite (a file, so WAL is real), or on PostgreSQL when
``DATABASE_URL`` says so; a client; a CLI runner; helpers live in ``tests/support/``."""

from __future__ import annotations

import contextlib
import os

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestingConfig
from manifesto import create_app
from manifesto.extensions import db
from tests.support.auth import AuthActions

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith(("postgres", "postgresql"))


def database_url(tmp_path) -> str:
    return POSTGRES_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'test.sqlite3'}"


@contextlib.contextmanager
def database_of_its_own(folder, suffix: str):
    """For a server the tests start: a SQLite file in ``folder``; or, when the suite runs on
    PostgreSQL (``DATABASE_URL``), a database ``<name>_<suffix>`` next to the suite's, created
    here and dropped afterwards. Yields its URL."""
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / f'{suffix}.sqlite3'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    url = make_url(normalise_database_url(POSTGRES_URL))
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_everything() -> None:
    """Empty the database, including Alembic's table, whatever a test left behind."""
    db.session.remove()
    meta = sa.MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    The fixtures keep an app context pushed so tests can use ``db.session``; without this,
    requests would share that context's ``g`` (and Flask-Login's cached user) between them.
    Afterwards the test's session forgets what it had loaded, to see what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build an app with extra settings; tables are created unless ``tables=False``."""
    monkeypatch.setenv("MANIFESTO_INSTANCE_PATH", str(tmp_path / "instance"))
    made = []

    def _make(tables: bool = True, **overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", database_url(tmp_path))
        app = create_app(TestingConfig, **overrides)
        app.test_client_class = FreshContextClient
        ctx = app.app_context()
        ctx.push()
        made.append((app, ctx))
        try:
            _drop_everything()
        except sa.exc.OperationalError:
            if tables:
                raise  # only tests of an unreachable database get past here
        if tables:
            db.create_all()
        return app

    yield _make
    for _app, ctx in reversed(made):
        try:
            _drop_everything()
        except sa.exc.SQLAlchemyError:
            pass  # an app pointed at an unreachable database on purpose
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    """Log in and out on ``client``: ``auth.login(user_or_email, password)`` through the form,
    ``auth.login_as(role_or_user)`` straight into the session, ``auth.logout()``."""
    return AuthActions(client)

"""Fixtures: an app per test on SQLite (a file, so WAL is real), or on PostgreSQL when
``DATABASE_URL`` says so; a client; a CLI runner; helpers live in ``tests/support/``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestingConfig
from manifesto import create_app
from manifesto.extensions import db
from tests.support.auth import AuthActions
from tests.support.database import databases_of_this_process, dispose, drop_everything

# Markers by where a test lives (registered in pyproject.toml), for choosing what to run:
# ./scripts/test -m "not browser and not server" is the quick inner loop. The browser and the
# server tests also go to one pytest-xdist worker per tier (``--dist loadgroup``), so that the
# live server, Chromium and gunicorn start once per run, not once per worker.
_TIERS = {
    Path("browser"): [pytest.mark.browser, pytest.mark.xdist_group("browser")],
    Path("server"): [pytest.mark.server, pytest.mark.xdist_group("server")],
}
_SLOW = {Path("test_properties.py"), Path("core/test_csv_formulas.py")}  # Hypothesis's many examples


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the groups
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        where = item.path.relative_to(here)
        for folder, marks in _TIERS.items():
            if folder in where.parents:
                for mark in marks:
                    item.add_marker(mark)
        if where in _SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """This test process's way to give each test its database (``tests/support/database.py``):
    a copy of a template file on SQLite, a database emptied in place on PostgreSQL."""
    with databases_of_this_process(tmp_path_factory.mktemp("databases")) as made:
        yield made


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
def make_app(tmp_path, monkeypatch, databases):
    """Build an app with extra settings, on the test's database unless
    ``SQLALCHEMY_DATABASE_URI`` says another; its tables are there, empty, unless
    ``tables=False`` (then there are none). Each call starts the test's database afresh."""
    monkeypatch.setenv("MANIFESTO_INSTANCE_PATH", str(tmp_path / "instance"))
    own_url = databases.url_for(tmp_path)
    made = []

    def _make(tables: bool = True, **overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", own_url)
        own = overrides["SQLALCHEMY_DATABASE_URI"] == own_url
        if own:
            if made:  # nothing may hold the database while it is replaced
                db.session.remove()
                for earlier, _ctx, _own in made:
                    dispose(earlier)
            databases.before_app(own_url, tables)
        app = create_app(TestingConfig, **overrides)
        app.test_client_class = FreshContextClient
        ctx = app.app_context()
        ctx.push()
        made.append((app, ctx, own))
        if own:
            databases.with_app(tables)
            return app
        try:  # a database the test names: emptied the slow way
            drop_everything()
        except sa.exc.OperationalError:
            if tables:
                raise  # only tests of an unreachable database get past here
        if tables:
            db.create_all()
        return app

    yield _make
    for _app, ctx, own in reversed(made):
        if not own:
            try:
                drop_everything()
            except sa.exc.SQLAlchemyError:
                pass  # an app pointed at an unreachable database on purpose
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    databases.after_test(own_url)


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

"""The tests' databases: where each test's is, and how it starts empty with the schema.

**SQLite** (the default): a file per test in its ``tmp_path``, copied from a template that
``db.create_all()`` built once per test process. A copy takes under a millisecond; building
the schema took about 100 ms, and dropping it again as much, in every test.

**PostgreSQL** (``DATABASE_URL``): the tests of one process share one database, the one
``DATABASE_URL`` names, or under pytest-xdist ``<name>_<worker>`` (``<name>_gw0``...), created
for the run and dropped afterwards. Before a test that wants tables, every row is deleted and
every sequence starts again at 1 (about 10 ms). The schema is built anew (over a second) only
when it is no longer the one the last build left: a test ran the migrations, or asked for an
empty database (``tables=False``); a fingerprint of the catalogue tells. Measured on the
schema of 0009, in ms per test: DELETE 10-60, TRUNCATE 500-1000 (a new file per table),
``CREATE DATABASE ... TEMPLATE`` 100-400, drop and create the tables 1200-1900.

Not one transaction rolled back after each test, as warehouse does: the app commits from
connections of its own (the throttles, the outbox's threads, the CLI), whose rows a rollback
of the test's connection would leave behind.

The servers the tests start (the browser tests' live server, gunicorn) get a database of their
own (``database_of_its_own``) next to the process's, so that parallel workers never share one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith(("postgres", "postgresql"))
# "gw0", "gw1"... in a pytest-xdist worker (set before this module is imported); "" otherwise.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _postgres(name_suffix: str = ""):
    """``DATABASE_URL`` as a SQLAlchemy URL, for this process's database (plus a suffix)."""
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    url = make_url(normalise_database_url(POSTGRES_URL))
    name = url.database
    if WORKER:
        name = f"{name}_{WORKER}"
    if name_suffix:
        name = f"{name}_{name_suffix}"
    return url.set(database=name)


def _admin(url, *statements: str) -> None:
    """Run statements (CREATE DATABASE, DROP DATABASE) on the server's ``postgres`` database."""
    import psycopg

    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


@contextlib.contextmanager
def _created(url):
    """A PostgreSQL database at ``url``, created empty here and dropped afterwards."""
    name = url.database
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_of_its_own(folder: Path, suffix: str):
    """For a server the tests start: a SQLite file in ``folder``; or, when the suite runs on
    PostgreSQL (``DATABASE_URL``), a database ``<name>_<suffix>`` next to this process's,
    created here and dropped afterwards. Yields its URL."""
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / f'{suffix}.sqlite3'}"
        return
    with _created(_postgres(suffix)) as url:
        yield url


def drop_everything() -> None:
    """Empty the app's database, including Alembic's table, whatever a test left behind."""
    from manifesto.extensions import db

    db.session.remove()
    meta = sa.MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)


def dispose(app) -> None:
    from manifesto.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class SQLiteDatabases:
    """A file per test, copied from a template with the schema."""

    def __init__(self, folder: Path):
        self.template = folder / "template.sqlite3"

    def build(self) -> None:
        from config import TestingConfig
        from manifesto import create_app
        from manifesto.extensions import db

        with pytest.MonkeyPatch.context() as env:
            env.setenv("MANIFESTO_INSTANCE_PATH", str(self.template.parent / "instance"))
            app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=self.url_in(self.template))
        with app.app_context():
            db.create_all()
            with db.engine.connect() as conn:  # all in the file: the copy takes the file only
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        dispose(app)
        for extra in ("-wal", "-shm"):
            Path(f"{self.template}{extra}").unlink(missing_ok=True)

    @staticmethod
    def url_in(path: Path) -> str:
        return f"sqlite:///{path}"

    def url_for(self, tmp_path: Path) -> str:
        return self.url_in(tmp_path / "test.sqlite3")

    @staticmethod
    def _remove(url: str) -> None:
        path = url.removeprefix("sqlite:///")
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{extra}").unlink(missing_ok=True)

    def before_app(self, url: str, tables: bool) -> None:
        """Called with no connection open on ``url``: a copy of the template, or no file."""
        self._remove(url)
        if tables:
            shutil.copyfile(self.template, url.removeprefix("sqlite:///"))

    def with_app(self, tables: bool) -> None:
        pass

    def after_test(self, url: str) -> None:
        self._remove(url)  # a few hundred kB a test, kept by pytest otherwise


# The schema's fingerprint: what DDL changes (a table, column, index, constraint, type,
# default or trigger made or dropped, a column's type or nullability changed, a table
# rewritten), not what DELETE does.
_FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT concat_ws(':', 'c', c.oid, c.relfilenode, c.relkind) AS x
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT concat_ws(':', 'a', a.attrelid, a.attnum, a.attname, a.atttypid, a.attnotnull,
                   a.atthasdef, a.attisdropped)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0
  UNION ALL
  SELECT concat_ws(':', 'k', oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT concat_ws(':', 't', oid) FROM pg_type WHERE typnamespace = 'public'::regnamespace
  UNION ALL
  SELECT concat_ws(':', 'd', d.oid) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT concat_ws(':', 'g', t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'public'::regnamespace
) AS parts
"""
_SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)
  FROM pg_sequences WHERE schemaname = 'public'
"""


class PostgresDatabase:
    """One database for the process; emptied in place before each test."""

    def __init__(self, url: str, folder: Path):
        self.url = url
        self.folder = folder
        self.built: str | None = None  # the fingerprint of the schema create_all() made
        self.sequences: list[str] = []

    def url_for(self, tmp_path: Path) -> str:
        return self.url

    def before_app(self, url: str, tables: bool) -> None:
        pass

    def with_app(self, tables: bool) -> None:
        """In the new app's context: empty tables with the schema, or no tables at all."""
        from manifesto.extensions import db

        if tables and self.built is not None:
            db.session.remove()
            with db.engine.begin() as conn:
                if conn.exec_driver_sql(_FINGERPRINT).scalar() == self.built:
                    for table in reversed(db.metadata.sorted_tables):
                        conn.execute(table.delete())
                    if self.sequences:
                        conn.exec_driver_sql("SELECT " + ", ".join(
                            f"setval('{name}', 1, false)" for name in self.sequences))
                    return
        self.built = None
        drop_everything()
        if tables:
            db.create_all()
            with db.engine.connect() as conn:
                self.built = conn.exec_driver_sql(_FINGERPRINT).scalar()
                self.sequences = list(conn.exec_driver_sql(_SEQUENCES).scalars())

    def after_test(self, url: str) -> None:
        pass  # the next test empties it; the last leaves it to close()

    def close(self) -> None:
        """Leave the database as the suite found it: without tables."""
        from config import TestingConfig
        from manifesto import create_app

        with pytest.MonkeyPatch.context() as env:
            env.setenv("MANIFESTO_INSTANCE_PATH", str(self.folder / "instance"))
            app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=self.url)
        with app.app_context():
            drop_everything()
        dispose(app)


@contextlib.contextmanager
def databases_of_this_process(folder: Path):
    """What ``make_app`` builds its apps' databases with, for this test process."""
    if not ON_POSTGRES:
        databases = SQLiteDatabases(folder)
        databases.build()
        yield databases
        return
    if WORKER:
        context = _created(_postgres())
    else:  # the database DATABASE_URL names, as the suite always used it
        context = contextlib.nullcontext(POSTGRES_URL)
    with context as url:
        databases = PostgresDatabase(url, folder)
        try:
            yield databases
        finally:
            if not WORKER:
                databases.close()

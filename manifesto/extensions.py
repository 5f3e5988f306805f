"""Extensions, created unbound; ``create_app`` binds them to an app."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import orm as so

# Stable constraint names, so Alembic can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def _client_address() -> str:
    from .keyed import client_hash  # the limiter's storage never sees an address

    return client_hash()


# No limit applies by itself: routes ask it (``abuse.py``), and flag rather than refuse.
limiter = Limiter(key_func=_client_address, default_limits=[])


class Streamed:
    """The rows of a query, a batch at a time, read on a database session of their own.

    A download streamed with ``stream_with_context`` is read after the view returns, and Flask
    (3.1) tears the app context down first: ``db.session`` is closed, and on PostgreSQL the
    server-side cursor of a ``yield_per`` result with it ("cursor … does not exist" on the
    first batch). A session of its own lives until ``close`` (the response's
    ``call_on_close``), whatever happens to ``db.session``.
    """

    def __init__(self, query: sa.Executable, batch: int):
        self.session = so.Session(db.engine)
        try:
            self.result = self.session.execute(query.execution_options(yield_per=batch))
        except BaseException:
            self.session.close()
            raise

    def partitions(self):
        """The batches; the session closes after the last one (``close`` is for a download
        abandoned half-way)."""
        try:
            yield from self.result.partitions()
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.result.close()
        finally:
            self.session.close()  # idempotent

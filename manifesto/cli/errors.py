"""What every command does when the database is missing, down or not yet migrated: one clear
line and exit code 1, never a traceback."""

from __future__ import annotations

import functools

import click
import sqlalchemy as sa
from flask import current_app

from manifesto.extensions import db


def database_label() -> str:
    """The database URL without its password, for messages."""
    url = current_app.config.get("SQLALCHEMY_DATABASE_URI", "")
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


def friendly_db_errors(callback):
    """Turn a database that is missing or down into one clear line and exit code 1."""

    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
            raise click.ClickException(
                f"cannot reach the database {database_label()}: {reason}"
            ) from None
        except sa.exc.ProgrammingError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise click.ClickException(
                f"the database is not ready ({reason}); run: flask --app wsgi db upgrade"
            ) from None

    wrapper.__manifesto_wrapped__ = True
    return wrapper


def check_schema(table: str = "signature", missing: str = "tables") -> None:
    """Fail early, with a hint, when ``table`` does not exist yet (``missing`` names it in the
    message: by default the signatures' table stands for the whole schema)."""
    if not sa.inspect(db.engine).has_table(table):
        raise click.ClickException(
            f"the database has no {missing} yet; run: flask --app wsgi db upgrade"
        )

"""``flask --app wsgi backup``: a consistent copy of the SQLite database while the app runs."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from manifesto.cli.errors import friendly_db_errors


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite DESTINATION if it exists.")
@with_appcontext
@friendly_db_errors
def backup_command(destination: Path, force: bool) -> None:
    """Write a consistent copy of the SQLite database to DESTINATION, while the app runs.

    Uses SQLite's online backup API: writers wait only for the moment each batch of pages is
    copied, and the copy is the state of one instant. For PostgreSQL use pg_dump (README).
    """
    import sqlite3

    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "backup copies SQLite databases; for PostgreSQL run: pg_dump --format=custom "
            f"--file {destination} {url.set(drivername='postgresql').render_as_string(hide_password=True)}"
        )
    source = url.database
    if not source or source == ":memory:":
        raise click.ClickException("the database is in memory: there is nothing to back up")
    if Path(source).resolve() == destination.resolve():
        raise click.ClickException("DESTINATION is the database itself")
    if destination.exists() and not force:
        raise click.ClickException(f"{destination} exists; use --force to overwrite it")
    if not destination.parent.is_dir():
        raise click.ClickException(f"the folder {destination.parent} does not exist")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        with click.progressbar(length=max(pages, 1), label="Backing up", show_pos=True) as bar:
            done = [0]

            def progress(status, remaining, total):
                bar.length = max(total, 1)
                bar.update(total - remaining - done[0])
                done[0] = total - remaining

            src.backup(dst, pages=1024, progress=progress)
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        signatures = dst.execute("SELECT count(*) FROM signature").fetchone()[0]
    except sqlite3.Error as exc:
        dst.close()
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"backup failed: {exc}") from None
    finally:
        src.close()
    dst.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"the copy failed its integrity check: {check}")
    partial.replace(destination)
    size = destination.stat().st_size
    click.echo(f"Backed up {source} to {destination}: {size / 1048576:.1f} MiB, "
               f"{signatures} signatures, integrity check ok.")

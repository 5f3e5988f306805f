"""``flask --app wsgi …`` commands: demo data, translations, and friendly database errors."""

from __future__ import annotations

import functools
import os
import secrets
import subprocess
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from .extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
MIN_PASSWORD_LENGTH = 12


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


def _wrap_migrate_commands() -> None:
    from flask_migrate.cli import db as migrate_group

    for command in migrate_group.commands.values():
        if command.callback and not getattr(command.callback, "__manifesto_wrapped__", False):
            command.callback = friendly_db_errors(command.callback)


def _check_schema() -> None:
    """Fail early, with a hint, when the tables do not exist yet."""
    if not sa.inspect(db.engine).has_table("signature"):
        raise click.ClickException(
            "the database has no tables yet; run: flask --app wsgi db upgrade"
        )


@click.command("demo")
@click.option(
    "--password",
    metavar="PW",
    help=f"Password for the demo accounts ({MIN_PASSWORD_LENGTH}+ characters); "
    "a random one is made and printed if omitted.",
)
@with_appcontext
@friendly_db_errors
def demo_command(password: str | None) -> None:
    """Load fictional demo data and the demo coordinator and ambassador accounts.

    Safe to run again: what exists is kept and the demo accounts get the given password.
    """
    from . import demo

    if password is None:
        password = secrets.token_urlsafe(12)
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must have at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    _check_schema()
    summary = demo.DemoSummary()
    steps = demo.steps(password)
    with click.progressbar(steps, label="Loading demo data", show_pos=True,
                           item_show_func=lambda s: s[0] if s else "") as bar:
        for _, step in bar:
            step(summary)
    db.session.commit()

    click.echo("Demo data:")
    for what in sorted(set(summary.created) | set(summary.existing)):
        click.echo(f"  {what:<22} {summary.created[what]:>5} added, "
                   f"{summary.existing[what]:>5} already there")
    click.echo("Demo logins (password for both: %s)" % password)
    click.echo(f"  coordinator: {demo.COORDINATOR_EMAIL}")
    click.echo(f"  ambassador:  {demo.AMBASSADOR_EMAIL}")


@click.group("translate")
def translate_group() -> None:
    """Extract, update and compile the translation catalogs (wraps pybabel)."""


def _pybabel(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT)
    if result.returncode:
        raise click.ClickException(f"pybabel {args[0]} failed (exit {result.returncode})")


def extract_messages(output: Path = POT) -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
             "--no-location", "--sort-output", "--no-wrap", "--project=Manifesto",
             "--copyright-holder=Manifesto contributors", "--msgid-bugs-address=",
             "-o", str(output), ".")


@translate_group.command("extract")
def translate_extract() -> None:
    """Extract the strings into translations/messages.pot."""
    extract_messages()
    click.echo(f"wrote {POT.relative_to(ROOT)}")


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every language's catalog."""
    extract_messages()
    _pybabel("update", "--no-fuzzy-matching", "--ignore-obsolete", "--no-wrap",
             "-i", str(POT), "-d", str(TRANSLATIONS))
    click.echo("catalogs updated; translate the new entries, then: flask --app wsgi translate compile")


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every catalog (.po) into the .mo files the app reads."""
    _pybabel("compile", "--statistics", "-d", str(TRANSLATIONS))


@translate_group.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalog for a new LANGUAGE (a code such as nl)."""
    _pybabel("init", "--no-wrap", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language)


def register_commands(app: Flask) -> None:
    from .outbox import outbox_group  # outbox imports this module

    _wrap_migrate_commands()
    app.cli.add_command(demo_command)
    app.cli.add_command(translate_group)
    app.cli.add_command(counts_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(backup_command)


@click.group("counts", help="The public counters kept in signature_count.")
def counts_group() -> None:
    pass


@counts_group.command("reconcile")
@click.option("--check", is_flag=True, help="Only report drift; exit 1 if any, change nothing.")
@with_appcontext
@friendly_db_errors
def counts_reconcile(check: bool) -> None:
    """Compare the counters, the daily history and the dashboard's statistics with the
    signature rows; repair drift."""
    from .counts import (
        counter_drift,
        history_drift,
        rebuild_signature_counts,
        stats_drift,
        total_history_drift,
    )

    drift = counter_drift()
    for kind, status, country, stored, actual in drift:
        click.echo(f"{kind.value:<12} {status.value:<10} {country}  stored {stored:>8}  actual {actual:>8}")
    # The history must add up to the counters (once they are right).
    history = history_drift() if not drift else []
    for kind, status, country, summed, counter in history:
        click.echo(f"{kind.value:<12} {status.value:<10} {country}  history {summed:>8}  counter {counter:>8}")
    totals = total_history_drift()
    if totals:
        click.echo(f"{totals} campaign-wide history row(s) are not the sum of the countries'")
    stats = stats_drift()
    if stats:
        click.echo(f"{stats} dashboard statistic row(s) out of step with the signatures")
    if check:
        if drift:
            raise click.ClickException(f"{len(drift)} counter(s) out of step with the signatures")
        if history or totals:
            raise click.ClickException(
                f"{len(history) + totals} row(s) of the daily history out of step")
        if stats:
            raise click.ClickException(f"{stats} dashboard statistic row(s) out of step with the signatures")
        click.echo("All counters agree with the signatures, the daily history with the counters, "
                   "and the dashboard's statistics with the signatures.")
        return
    if drift or history or totals or stats:
        rows = rebuild_signature_counts()
        db.session.commit()
        click.echo(f"Repaired {len(drift)} counter(s), {len(history) + totals} history row(s) "
                   f"and {stats} dashboard statistic row(s): {rows} counter rows, the daily "
                   "history and the dashboard's statistics rebuilt.")
    else:
        click.echo("All counters agree with the signatures; nothing to do.")


@click.group("privacy", help="Retention of personal data (see the privacy notice).")
def privacy_group() -> None:
    pass


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is due; erase nothing.")
@click.option("--quiet", is_flag=True, help="No progress bar (for cron); the summary stays.")
@with_appcontext
@friendly_db_errors
def privacy_purge(dry_run: bool, quiet: bool) -> None:
    """Erase what is past its retention period, category by category.

    Safe to run from cron as often as wanted: each batch is its own transaction, a second run
    finds nothing left to do, and two runs at once do not erase anything twice. Periods are
    the RETENTION_* and IP_HASH_RETENTION_DAYS settings.
    """
    from . import retention

    _check_schema()
    due = retention.due()
    total = sum(due.values())
    if dry_run:
        for name, count in due.items():
            click.echo(f"  {name:<36} {count:>9} due")
        click.echo(f"Dry run: {total} row(s) due; nothing erased.")
        return
    results: dict[str, int] = {}
    with open(os.devnull, "w") as sink, click.progressbar(
        length=max(total, 1), label="Purging", show_pos=True, file=sink if quiet else None,
    ) as bar:
        for name, erased in retention.purge(progress=bar.update):
            results[name] = erased
        if not total:
            bar.update(1)
    for name, erased in results.items():
        click.echo(f"  {name:<36} {erased:>9} erased")
    click.echo(f"Purged {sum(results.values())} row(s) in {len(results)} categories.")


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

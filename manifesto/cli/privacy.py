"""``flask --app wsgi privacy purge``: erase what is past its retention period."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from manifesto.cli.errors import check_schema, friendly_db_errors
from manifesto.personal_data import retention


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
    check_schema()
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

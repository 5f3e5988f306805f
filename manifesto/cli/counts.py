"""``flask --app wsgi counts reconcile``: the public counters against the signature rows."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from manifesto.cli.errors import friendly_db_errors
from manifesto.extensions import db
from manifesto.signatures.counts import (
    counter_drift,
    history_drift,
    rebuild_signature_counts,
    stats_drift,
    total_history_drift,
)


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

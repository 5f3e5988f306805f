"""``flask --app wsgi outbox send|worker|status``: send the queued e-mails and look at the
queue. The sending itself is ``manifesto.mail.outbox``'s."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from manifesto.cli.errors import check_schema, friendly_db_errors
from manifesto.extensions import db
from manifesto.mail import outbox
from manifesto.models import OutboxMessage, OutboxStatus, utcnow


def _age(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


class _Stop:
    """Set by SIGINT or SIGTERM. A plain flag: a signal handler must not take locks."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def request(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: at once

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))


LIMIT_OPTION = click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1),
    help="Messages claimed at a time (one SMTP connection each).",
)


@click.group("outbox")
def outbox_group() -> None:
    """Send the queued e-mails (confirmation links, notices) and look at the queue.

    With MAIL_SERVER set they go out over SMTP; without it they are written as .eml files
    to instance/mail and their links are logged.
    """


@outbox_group.command("send")
@LIMIT_OPTION
@with_appcontext
@friendly_db_errors
def send_command(limit: int) -> None:
    """Send every message that is due now, then exit.

    A message that fails for a passing reason (server down, 4xx reply) is tried again later,
    each time waiting twice as long; run this again or keep `outbox worker` running. Exits
    with 1 if a message failed for good in this run.
    """
    check_schema(OutboxMessage.__tablename__, "outbox table")
    due = outbox.due_count()
    totals = outbox.DeliveryReport()
    if due:
        worker_id = outbox.default_worker_id()
        with click.progressbar(length=due, label="Sending", show_pos=True) as bar:
            while totals.total < due:
                report = outbox.deliver_due(min(limit, due - totals.total), worker_id,
                                     on_message=lambda _outcome: bar.update(1))
                if not report.total:
                    break  # another worker took the rest
                totals += report
    click.echo(totals.summary())
    if totals.failed:
        raise SystemExit(1)


@outbox_group.command("worker")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait when nothing is due.")
@LIMIT_OPTION
@with_appcontext
@friendly_db_errors
def worker_command(interval: float, limit: int) -> None:
    """Keep sending: deliver what is due, wait when nothing is, repeat.

    Ctrl-C or SIGTERM stops it after the message in hand (a second Ctrl-C at once) and
    prints what it did. On PostgreSQL any number of workers may run: each message is sent
    by one of them.
    """
    check_schema(OutboxMessage.__tablename__, "outbox table")
    worker_id = outbox.default_worker_id()
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop.request) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"Outbox worker {worker_id}, sending through "
               f"{outbox.transport_for(current_app).describe()}. Ctrl-C stops it.")
    totals = outbox.DeliveryReport()
    try:
        while not stop():
            try:
                report = outbox.deliver_due(limit, worker_id, should_stop=stop)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                db.session.rollback()
                outbox.log.warning("outbox worker: database unavailable (%s), trying again",
                            type(exc).__name__)
                report = outbox.DeliveryReport()
            totals += report
            if not report.total:
                stop.sleep(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"Stopped. {totals.summary()}")


@outbox_group.command("status")
@with_appcontext
@friendly_db_errors
def status_command() -> None:
    """Count the messages in each status.

    Also shows how many are due now, how long the oldest pending one has waited, and where
    mail goes (SMTP server or .eml files; the password is never shown).
    """
    check_schema(OutboxMessage.__tablename__, "outbox table")
    counts = outbox.status_counts()
    for status in OutboxStatus:
        click.echo(f"{status.value:<8} {counts[status]:>7}")
    click.echo(f"due now  {outbox.due_count():>7}")
    oldest = outbox.oldest_pending()
    click.echo("oldest pending: " + (f"queued {_age(utcnow() - oldest)} ago" if oldest else "none"))
    click.echo(f"delivery: {outbox.transport_for(current_app).describe()}")

"""``flask --app wsgi demo``: fictional demo data and the demo accounts."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext

from manifesto.access.accounts import MIN_PASSWORD_LENGTH
from manifesto.cli.errors import check_schema, friendly_db_errors
from manifesto.extensions import db


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
    # Imported here, not at the top: the web app registers this command but never runs it.
    from manifesto import demo

    if password is None:
        password = secrets.token_urlsafe(12)
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must have at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    check_schema()
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

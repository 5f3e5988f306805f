"""``flask --app wsgi …`` commands: demo data, translations, counters, the outbox, privacy
purges and backups, each group in a module of its own; friendly database errors in
``errors``."""

from __future__ import annotations

from flask import Flask

from manifesto.cli.backup import backup_command
from manifesto.cli.counts import counts_group
from manifesto.cli.demo import demo_command
from manifesto.cli.errors import friendly_db_errors
from manifesto.cli.outbox import outbox_group
from manifesto.cli.privacy import privacy_group
from manifesto.cli.translate import translate_group


def _wrap_migrate_commands() -> None:
    from flask_migrate.cli import db as migrate_group

    for command in migrate_group.commands.values():
        if command.callback and not getattr(command.callback, "__manifesto_wrapped__", False):
            command.callback = friendly_db_errors(command.callback)


def register_commands(app: Flask) -> None:
    _wrap_migrate_commands()
    app.cli.add_command(demo_command)
    app.cli.add_command(translate_group)
    app.cli.add_command(counts_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(backup_command)

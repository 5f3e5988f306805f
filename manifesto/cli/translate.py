"""``flask --app wsgi translate …``: the translation catalogs, through pybabel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"


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

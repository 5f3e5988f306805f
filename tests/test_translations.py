"""The seven catalogs: complete, not fuzzy, placeholders intact, compiled, and the template fresh."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]  # English is the source language
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdif]|%[sdif]|%%|\{[a-z_]*\}")


def _catalog(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory) -> set:
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    return _ids(_catalog(out))


def test_messages_pot_is_not_stale(fresh_template):
    """Run `flask --app wsgi translate update` after changing a user-facing string."""
    committed = _ids(_catalog(TRANSLATIONS / "messages.pot"))
    assert sorted(map(str, fresh_template - committed)) == [], "strings missing from messages.pot"
    assert sorted(map(str, committed - fresh_template)) == [], "messages.pot has strings no longer used"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_translates_every_string(lang):
    template = _ids(_catalog(TRANSLATIONS / "messages.pot"))
    catalog = _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    missing = template - _ids(catalog)
    assert not missing, f"{lang}: not in the catalog: {sorted(map(str, missing))[:5]}"
    empty = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert not empty, f"{lang}: untranslated: {empty[:5]}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy[:5]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_match_between_message_and_translation(lang):
    catalog = _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append((ids[0], string))
    assert not wrong, f"{lang}: placeholders differ: {wrong[:3]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalog_matches_its_source(lang):
    """The .mo the app reads must be compiled from the current .po (flask translate compile)."""
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    def entries(messages):
        # Plural entries come back as lists from one reader and tuples from the other.
        return {
            tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id:
                tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
            for m in messages if m.id and not m.fuzzy
        }

    source = entries(_catalog(folder / "messages.po"))
    with (folder / "messages.mo").open("rb") as fh:
        compiled = entries(read_mo(fh))
    assert compiled == source


def test_every_language_has_the_manifesto_text_with_the_same_structure():
    texts = ROOT / "manifesto" / "content" / "manifesto" / "v1"
    shapes = {}
    for lang in LANGUAGES:
        lines = (texts / f"{lang}.md").read_text(encoding="utf-8").splitlines()
        shapes[lang] = (
            sum(1 for line in lines if line.startswith("# ")),
            sum(1 for line in lines if line.startswith("## ")),
            sum(1 for line in lines if line.startswith("### ")),
            sum(1 for line in lines if re.match(r"\d\. \*\*", line)),
        )
    assert set(shapes.values()) == {(1, 3, 6, 5)}, shapes


DATE_PLACEHOLDER_THEN_FULL_STOP = re.compile(r"%\((date|deadline|start|end)\)s\.")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_double_full_stop_after_a_date(lang):
    """In Russian a date ends with "г." ("21 нояб. 2026 г."): "… %(date)s." would print "г.."."""
    from datetime import date

    from babel.dates import format_date

    if not any(format_date(date(2026, 11, 21), style, locale=lang).endswith(".")
               for style in ("medium", "long")):
        return
    catalog = _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    doubled = [m.id for m in catalog if m.id and isinstance(m.string, str)
               and DATE_PLACEHOLDER_THEN_FULL_STOP.search(m.string)]
    assert not doubled, f"{lang}: a date then a full stop in {doubled}"

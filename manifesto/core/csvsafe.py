"""Every CSV the app writes (the coordinators' exports, the API, an ambassador's activities):
text that a spreadsheet app shows as text and never runs as a formula (CSV injection).

A spreadsheet app takes a cell starting with ``=``, ``+``, ``-`` or ``@`` (or their full-width
forms) for a formula, after any spaces or quotes. Which characters split a line into cells
depends on the app and its language: a comma in English, a semicolon in most other languages,
a tab when pasted. So it is not enough to look at a cell's first character: in
``Beta Lda;=HYPERLINK(…);x`` a spreadsheet splitting on ``;`` finds a formula in the middle.

The rule, after OWASP's advice on CSV injection: wherever text begins a cell under any of these
splits (its start, and after every ``,``, ``;``, tab, line break), spaces and double quotes
there are followed by an apostrophe before a formula character, which makes the rest text;
apostrophes already there get one more, so that ``restore`` undoes exactly what ``neutralise``
did (an exported file imports back unchanged). Every text cell is written in double quotes;
numbers (int, float) are written bare, as numbers: a number cannot be a formula, and the app's
numeric columns stay numbers in every spreadsheet. Text that merely looks like a negative number
("-12" typed in a title) gets its apostrophe like any other text.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable

FORMULA_CHARACTERS = "=+-@\uff1d\uff0b\uff0d\uff20"  # and ＝ ＋ － ＠
SEPARATORS = ",;\t\r\n"
_AT_A_CELL_START = rf"(^|[{SEPARATORS}])([\s\"]*)"
_RISK = re.compile(_AT_A_CELL_START + rf"('*)(?=[{re.escape(FORMULA_CHARACTERS)}])")
_NEUTRALISED = re.compile(_AT_A_CELL_START + rf"'('*)(?=[{re.escape(FORMULA_CHARACTERS)}])")


def neutralise(text: str) -> str:
    """``text`` with an apostrophe before every formula that could start a cell."""
    return _RISK.sub(lambda m: f"{m[1]}{m[2]}'{m[3]}", text)


def restore(text: str) -> str:
    """Undo ``neutralise`` (for a file the app exported, imported back)."""
    return _NEUTRALISED.sub(lambda m: f"{m[1]}{m[2]}{m[3]}", text)


def cell(value) -> str | int | float:
    """A value as the CSV writes it: numbers as numbers, everything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    return neutralise(str(value))


def writer(out: io.StringIO):
    """A ``csv.writer`` that quotes every text cell; give it ``cell(value)``s."""
    return csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)


def lines(rows: Iterable[Iterable]) -> str:
    """Rows of values as CSV text, each value through ``cell``."""
    out = io.StringIO()
    write = writer(out)
    for row in rows:
        write.writerow([cell(value) for value in row])
    return out.getvalue()


def line(values: Iterable) -> str:
    return lines([values])

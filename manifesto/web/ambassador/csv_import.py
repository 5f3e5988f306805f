"""Reading an uploaded CSV of outreach activities: each row is checked by the activity form's
own rules (``ActivityForm``), so a row and a typed-in activity follow exactly the same rules.

Nothing is written here: ``outreach.import_rows`` adds the rows that passed. This module
sits beside the forms because it uses them; the domain module ``outreach`` never imports a
form.
"""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from manifesto.cities.outreach import (
    FIELDS,
    IGNORED_COLUMNS,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    REQUIRED_COLUMNS,
    TEXT_COLUMNS,
    ImportResult,
    ImportRow,
    RowProblem,
)
from manifesto.core import csvsafe
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, OutreachActivity
from manifesto.web.ambassador.forms import ActivityForm


def _normal_header(cell: str) -> str:
    return "_".join(cell.strip().strip('"').lower().replace("-", " ").split())


def _delimiter(text: str) -> str:
    """Comma, or the semicolon (or tab) many spreadsheet apps in Europe write instead."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, what is wrong)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None, _("The file is in UTF-16 (“Unicode text”), not UTF-8. In your spreadsheet "
                       "app, save it as “CSV UTF-8” and upload it again.")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, _(
            "The file is not in UTF-8: the byte %(byte)s on line %(line)s is not UTF-8 text (the "
            "file may be in Latin-1 or Windows-1252). In your spreadsheet app, save it as “CSV "
            "UTF-8” and upload it again.",
            byte=f"0x{data[error.start]:02X}",
            line=format_number(line),
        )


def read_csv(data: bytes, filename: str | None = None, city: AmbassadorCity | None = None,
             ) -> ImportResult:
    """Read and check an uploaded CSV: each row is validated by the activity form's own rules.

    Nothing is written. Rows already in the city's log (same date, type and title) and rows
    repeated in the file are refused, so that importing a file twice counts nothing twice.
    """
    if filename is not None and not filename.lower().endswith(".csv"):
        return ImportResult(problem=_("Upload a CSV file (a name ending in .csv); this file is "
                                      "not one."))
    if len(data) > IMPORT_MAX_BYTES:
        return ImportResult(problem=_("The file is larger than 1 MB: split it into smaller files."))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return ImportResult(problem=_("This is a spreadsheet workbook, not a CSV file. In your "
                                      "spreadsheet app, save it as “CSV UTF-8” and upload that."))
    text, problem = _decode(data)
    if problem:
        return ImportResult(problem=problem)
    if not text.strip():
        return ImportResult(problem=_("The file is empty."))

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = [_normal_header(cell) for cell in next(reader)]
        seen = set()
        for column in header:
            if column and column in seen:
                return ImportResult(problem=_("The column %(column)s appears twice in the header "
                                              "row.", column=column))
            seen.add(column)
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            return ImportResult(problem=_(
                "The first row must name the columns. Missing: %(missing)s. The columns are: "
                "%(columns)s.", missing=", ".join(missing), columns=", ".join(FIELDS)))
        raw_rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # the empty rows spreadsheet apps leave at the end
            if len(raw_rows) >= IMPORT_MAX_ROWS:
                return ImportResult(problem=_(
                    "The file has more than %(max)s rows: split it into smaller files.",
                    max=format_number(IMPORT_MAX_ROWS)))
            raw_rows.append((number, cells))
    except csv.Error:
        return ImportResult(problem=_(
            "The file could not be read as CSV near line %(line)s (a cell too long, or quotes "
            "that do not close).", line=format_number(reader.line_num)))
    if not raw_rows:
        return ImportResult(problem=_("The file has a header row but no activities."))

    result = ImportResult(
        ignored_columns=[c for c in header if c and c not in FIELDS and c not in IGNORED_COLUMNS]
    )
    for number, cells in raw_rows:
        result.rows.append(_check_row(number, header, cells, city))
    _refuse_repeats(result.valid, city)
    return result


def _check_row(number: int, header: list[str], cells: list[str], city) -> ImportRow:
    row = ImportRow(number)
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        row.problems.append(RowProblem("", _(
            "This row has more cells than the header row has columns (a comma inside a cell "
            "that is not in quotes?).")))
        return row
    values = {column: "" for column in FIELDS}
    for column, cell in zip(header, cells, strict=False):
        if column in FIELDS:
            cell = cell.strip()
            if column in ("type", "language"):
                cell = cell.lower()
            elif column in TEXT_COLUMNS:
                cell = csvsafe.restore(cell)  # undo what the export did
            values[column] = cell
    form = ActivityForm(formdata=MultiDict(values), city=city, meta={"csrf": False})
    if form.validate():
        row.values = form.values()
    else:
        for column in FIELDS:
            for message in form[column].errors:
                row.problems.append(RowProblem(column, str(message)))
    return row


def _key(values: dict) -> tuple:
    return (values["date"], str(values["type"]), " ".join(values["title"].casefold().split()))


def _refuse_repeats(rows: list[ImportRow], city) -> None:
    first_seen: dict[tuple, int] = {}
    existing: set[tuple] = set()
    if city is not None and rows:
        dates = sorted({r.values["date"] for r in rows})
        for day, kind, title in db.session.execute(
            sa.select(OutreachActivity.date, OutreachActivity.type, OutreachActivity.title).where(
                OutreachActivity.ambassador_city_id == city.id,
                OutreachActivity.date.between(dates[0], dates[-1]),
            )
        ):
            existing.add(_key({"date": day, "type": kind.value, "title": title}))
    for row in rows:
        key = _key(row.values)
        if key in existing:
            row.problems.append(RowProblem("", _(
                "Already in your log: an activity of this type with this title on this date.")))
        elif key in first_seen:
            row.problems.append(RowProblem("", _(
                "The same activity as row %(row)s.", row=format_number(first_seen[key]))))
        else:
            first_seen[key] = row.number
        if row.problems:
            row.values = None

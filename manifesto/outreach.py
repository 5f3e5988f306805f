"""The outreach log of an ambassador city: its activities, their totals, the signatures their
referral links brought, and the CSV export and import. No HTTP here: routes stay thin.

An activity's referral link is the sign page with ``?ref=<its referral_code>``; a signature
made through it is attributed to the activity and to its city (``referrals.attribute``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_number
from sqlalchemy import orm as so
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from . import csvsafe, referrals, streaming
from .counts import LIVE_STATUSES, is_counted
from .extensions import db
from .models import (
    ActivityType,
    AmbassadorCity,
    OutreachActivity,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    User,
    utcnow,
)

MAX_COUNT = 10_000_000  # people reached, mayors or organisations engaged, in one activity
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
EVIDENCE_URL_MAX = 300
PER_PAGE = 50
MAX_PAGE = 10_000
IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 2000

# The form's fields, which are also the CSV's columns (the names stay English in every language).
FIELDS = (
    "date",
    "type",
    "title",
    "description",
    "language",
    "audience_reached",
    "mayors_engaged",
    "organisations_engaged",
    "evidence_url",
)
CSV_COLUMNS = (*FIELDS, "referral_link", "signatures_attributed")
OPTIONAL_COLUMNS = ("description", "evidence_url")
REQUIRED_COLUMNS = tuple(c for c in FIELDS if c not in OPTIONAL_COLUMNS)
IGNORED_COLUMNS = ("referral_link", "signatures_attributed")  # written by the export only
TEXT_COLUMNS = ("title", "description", "evidence_url")


def latest_today() -> date:
    """Today where it is already latest (UTC+14): a date no one can call the future."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


# --- activities --------------------------------------------------------------------------------


def fill(activity: OutreachActivity, values: dict) -> OutreachActivity:
    """Copy a validated form's (or CSV row's) values onto ``activity``."""
    activity.date = values["date"]
    activity.type = ActivityType(values["type"])
    activity.title = values["title"]
    activity.description = values.get("description") or ""
    activity.language = values["language"]
    activity.audience_reached = values.get("audience_reached") or 0
    activity.mayors_engaged = values.get("mayors_engaged") or 0
    activity.organisations_engaged = values.get("organisations_engaged") or 0
    activity.evidence_url = values.get("evidence_url") or None
    return activity


def create(city: AmbassadorCity, user: User | None, values: dict) -> OutreachActivity:
    activity = fill(
        OutreachActivity(
            ambassador_city_id=city.id,
            created_by_id=user.id if user is not None else None,
            referral_code=referrals.new_codes(1)[0],
        ),
        values,
    )
    db.session.add(activity)
    db.session.flush()
    return activity


def update(activity: OutreachActivity, values: dict) -> None:
    fill(activity, values)
    activity.updated_at = utcnow()


def own_activity(city_id: int, activity_id: int) -> OutreachActivity | None:
    """The activity if it belongs to the city; None otherwise (the caller answers 404)."""
    return db.session.scalar(
        sa.select(OutreachActivity).where(
            OutreachActivity.id == activity_id, OutreachActivity.ambassador_city_id == city_id
        )
    )


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return any((self.type, self.language, self.date_from, self.date_to))


def _where(city_id: int, filters: Filters | None) -> list:
    conditions = [OutreachActivity.ambassador_city_id == city_id]
    if filters:
        if filters.type:
            conditions.append(OutreachActivity.type == ActivityType(filters.type))
        if filters.language:
            conditions.append(OutreachActivity.language == filters.language)
        if filters.date_from:
            conditions.append(OutreachActivity.date >= filters.date_from)
        if filters.date_to:
            conditions.append(OutreachActivity.date <= filters.date_to)
    return conditions


def activities_query(city_id: int, filters: Filters | None = None) -> sa.Select:
    """The city's activities matching ``filters``, newest first."""
    return (
        sa.select(OutreachActivity)
        .where(*_where(city_id, filters))
        .order_by(OutreachActivity.date.desc(), OutreachActivity.id.desc())
    )


def page_of(city_id: int, filters: Filters | None, page: int) -> list[OutreachActivity]:
    query = activities_query(city_id, filters).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Totals:
    activities: int = 0
    audience_reached: int = 0
    mayors_engaged: int = 0
    organisations_engaged: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.activities // PER_PAGE))


def totals(city_id: int, filters: Filters | None = None) -> Totals:
    row = db.session.execute(
        sa.select(
            sa.func.count(OutreachActivity.id),
            sa.func.coalesce(sa.func.sum(OutreachActivity.audience_reached), 0),
            sa.func.coalesce(sa.func.sum(OutreachActivity.mayors_engaged), 0),
            sa.func.coalesce(sa.func.sum(OutreachActivity.organisations_engaged), 0),
        ).where(*_where(city_id, filters))
    ).one()
    return Totals(*(int(n) for n in row))


def signatures_by_activity(activity_ids: Iterable[int], session: so.Session | None = None
                           ) -> dict[int, int]:
    """Signatures that came through each activity's link (waiting, confirmed or verified, not
    flagged): counts only."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = (session or db.session).execute(
        sa.select(Signature.outreach_activity_id, sa.func.count())
        .where(
            Signature.outreach_activity_id.in_(ids),
            Signature.status.in_(LIVE_STATUSES),
            Signature.flagged.is_(False),
        )
        .group_by(Signature.outreach_activity_id)
    ).all()
    return {activity_id: count for activity_id, count in rows}


@dataclass(frozen=True)
class SignatureSummary:
    """What a city's referral links brought: counts only, never who."""

    by_status: dict[SignatureStatus, int] = field(default_factory=dict)
    by_kind: dict[SignatoryKind, int] = field(default_factory=dict)
    counted: int = 0  # by the campaign's rules (counts.py)
    through_activities: int = 0  # of all, those through an activity's own link

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def attributed_signatures(city_id: int) -> SignatureSummary:
    """Signatures attributed to the city, waiting, confirmed or verified; flagged ones (held
    for a coordinator) are left out, as from every count."""
    via_activity = Signature.outreach_activity_id.is_not(None)
    rows = db.session.execute(
        sa.select(Signatory.kind, Signature.status, via_activity, sa.func.count())
        .join(Signatory, Signatory.id == Signature.signatory_id)
        .where(
            Signature.ambassador_city_id == city_id,
            Signature.status.in_(LIVE_STATUSES),
            Signature.flagged.is_(False),
        )
        .group_by(Signatory.kind, Signature.status, via_activity)
    ).all()
    by_status = dict.fromkeys(LIVE_STATUSES, 0)
    by_kind = dict.fromkeys(SignatoryKind, 0)
    counted = through = 0
    for kind, status, through_activity, count in rows:
        by_status[status] += count
        by_kind[kind] += count
        counted += count if is_counted(kind, status) else 0
        through += count if through_activity else 0
    return SignatureSummary(by_status, by_kind, counted, through)


# --- CSV export ----------------------------------------------------------------------------------


def export_stream(city_id: int, filters: Filters | None, referral_prefix: str
                  ) -> streaming.KeysetStream:
    """The city's activities as CSV, newest first, a batch at a time (``streaming.py``):
    a byte order mark so spreadsheet apps read it as UTF-8, the header, then the rows.
    ``referral_prefix`` + a code is an activity's referral link."""

    def lines(session: so.Session, rows) -> str:
        activities = [row[0] for row in rows]
        return export_csv(activities, lambda code: referral_prefix + code,
                          signatures_by_activity((a.id for a in activities), session),
                          header=False)

    return streaming.KeysetStream(
        activities_query(city_id, filters), (OutreachActivity.date, OutreachActivity.id),
        lambda row: (row[0].date, row[0].id), lines, header="\ufeff" + csvsafe.lines([CSV_COLUMNS]),
        descending=True)


def export_csv(
    activities: Iterable[OutreachActivity],
    referral_link: Callable[[str], str],
    signatures: dict[int, int],
    header: bool = True,
) -> str:
    """The CSV text, starting with a byte order mark so spreadsheet apps read it as UTF-8
    (without either if not ``header``)."""
    rows = [CSV_COLUMNS] if header else []
    for a in activities:
        rows.append((
            a.date.isoformat(),
            a.type.value,
            a.title,
            a.description or "",
            a.language,
            a.audience_reached,
            a.mayors_engaged,
            a.organisations_engaged,
            a.evidence_url or "",
            referral_link(a.referral_code),
            signatures.get(a.id, 0),
        ))
    # Text made safe from spreadsheet formulas (csvsafe), numbers as numbers.
    text = csvsafe.lines(rows)
    return "\ufeff" + text if header else text


# --- CSV import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    column: str  # a CSV column name, or "" for the row as a whole
    message: str


@dataclass
class ImportRow:
    number: int  # as a spreadsheet app numbers it: the header is row 1
    values: dict | None = None  # the validated values, when the row is good
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportResult:
    problem: str | None = None  # the file as a whole could not be used
    rows: list[ImportRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def valid(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def rejected(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]


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
    from .ambassador.forms import ActivityForm  # (the form module imports this one)

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


def import_rows(city: AmbassadorCity, user: User | None, rows: list[ImportRow]) -> int:
    """Add the valid rows to the city's log (the caller commits); returns how many."""
    good = [r for r in rows if r.ok and r.values is not None]
    codes = referrals.new_codes(len(good))
    for row, code in zip(good, codes, strict=True):
        db.session.add(
            fill(
                OutreachActivity(
                    ambassador_city_id=city.id,
                    created_by_id=user.id if user is not None else None,
                    referral_code=code,
                ),
                row.values,
            )
        )
    db.session.flush()
    return len(good)

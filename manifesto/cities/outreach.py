"""The outreach log of an ambassador city: its activities, their totals, the signatures their
referral links brought, and the CSV export and import. No HTTP here: routes stay thin.

An activity's referral link is the sign page with ``?ref=<its referral_code>``; a signature
made through it is attributed to the activity and to its city (``referrals.attribute``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm as so

from manifesto.cities import referrals
from manifesto.core import csvsafe, streaming
from manifesto.extensions import db
from manifesto.models import (
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
from manifesto.signatures import transitions
from manifesto.signatures.counts import LIVE_STATUSES, is_counted

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


def delete(activity: OutreachActivity, by: User) -> bool:
    """Delete the activity if it is ``by``'s own city's: an ambassador deletes only their
    city's activities. The signatures that came through its link stay with the city. False,
    and nothing deleted, for another city's activity or one deleted meanwhile."""
    return transitions.compare_and_delete(activity, {"ambassador_city_id": by.ambassador_city_id})


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
    counted: int = 0  # by the campaign's rules (signatures/counts.py)
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
    """The city's activities as CSV, newest first, a batch at a time (``core/streaming.py``):
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

# A file is read and its rows checked by ``ambassador/csv_import.py`` (with the activity form's
# rules); what comes out is these rows, and ``import_rows`` adds the good ones.


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

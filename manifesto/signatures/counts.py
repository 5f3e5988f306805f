"""The counts public pages show, read from ``signature_count`` instead of the signature rows.

Rules: an organisation counts once its signature is confirmed (or verified); a mayor or a
delegate counts only once a coordinator has verified the mandate. Flagged signatures (held
for a coordinator) are in no counter until the flag is cleared.

The code that changes a signature's status calls ``adjust`` in the same transaction; it moves
the counter and that day's row of ``signature_count_day``, whose sums up to a day are the
counters as they stood that day (the count history). ``flask --app wsgi counts reconcile``
recomputes both from the rows and reports drift.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    DashboardStat,
    PipelineStage,
    Signatory,
    SignatoryKind,
    SignatoryTheme,
    Signature,
    SignatureCount,
    SignatureCountDay,
    SignatureStatus,
    SignatureTotalDay,
    Theme,
)

MAYOR_KINDS = (SignatoryKind.MAYOR, SignatoryKind.DELEGATE)


def kinds_of(kind: str | None) -> tuple[SignatoryKind, ...] | None:
    """The signatory kinds a ``kind`` filter means: a delegate signs for a mayor."""
    if kind is None:
        return None
    if kind == SignatoryKind.MAYOR:
        return MAYOR_KINDS
    return (SignatoryKind(kind),)


# Still standing: waiting for confirmation, confirmed or verified (not withdrawn or rejected).
LIVE_STATUSES = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED)
ORGANISATION_COUNTED = (SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED)


def counted_rule(kind, status):
    """The campaign's rule as SQL, on any kind and status columns: an organisation counts once
    confirmed (or verified), a mayor or a delegate once verified."""
    return sa.or_(
        sa.and_(kind == SignatoryKind.ORGANISATION, status.in_(ORGANISATION_COUNTED)),
        sa.and_(kind.in_(MAYOR_KINDS), status == SignatureStatus.VERIFIED),
    )


COUNTED = counted_rule(SignatureCount.kind, SignatureCount.status)


@dataclass(frozen=True)
class PublicCounts:
    organisations: int
    mayors: int
    countries: int
    ambassador_cities: int

    @property
    def signatories(self) -> int:
        return self.organisations + self.mayors


def public_counts() -> PublicCounts:
    rows = db.session.execute(
        sa.select(SignatureCount.kind, SignatureCount.country, SignatureCount.count).where(
            COUNTED, SignatureCount.count > 0
        )
    ).all()
    organisations = sum(r.count for r in rows if r.kind == SignatoryKind.ORGANISATION)
    mayors = sum(r.count for r in rows if r.kind in MAYOR_KINDS)
    ambassadors = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AmbassadorCity)
        .where(AmbassadorCity.stage == PipelineStage.AMBASSADOR)
    )
    return PublicCounts(organisations, mayors, len({r.country for r in rows}), ambassadors or 0)


def is_counted(kind: SignatoryKind, status: SignatureStatus) -> bool:
    if kind == SignatoryKind.ORGANISATION:
        return status in ORGANISATION_COUNTED
    return status == SignatureStatus.VERIFIED


COUNTED_DAY = counted_rule(SignatureCountDay.kind, SignatureCountDay.status)


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """INSERT … ON CONFLICT DO UPDATE count = count + :delta, built once per dialect."""
    table = SignatureCount.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_update(
        index_elements=["kind", "status", "country"],
        set_={"count": table.c.count + sa.bindparam("delta", type_=sa.Integer)},
    )


@functools.cache
def _upsert_day(dialect: str) -> sa.Insert:
    """The same for the day's row of the history."""
    table = SignatureCountDay.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(delta=sa.bindparam("delta", type_=sa.Integer)).on_conflict_do_update(
        index_elements=["day", "kind", "status", "country"],
        set_={"delta": table.c.delta + sa.bindparam("delta", type_=sa.Integer)},
    )


@functools.cache
def _upsert_total_day(dialect: str) -> sa.Insert:
    """The same for the campaign-wide row of the day (all countries)."""
    table = SignatureTotalDay.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(delta=sa.bindparam("delta", type_=sa.Integer)).on_conflict_do_update(
        index_elements=["day", "kind", "status"],
        set_={"delta": table.c.delta + sa.bindparam("delta", type_=sa.Integer)},
    )


def today() -> date:
    return datetime.now(UTC).date()


def adjust(kind: SignatoryKind, status: SignatureStatus, country: str, delta: int) -> None:
    """Add ``delta`` to one counter and to today's row of its history, creating them if
    needed, atomically on both databases."""
    connection = db.session.connection()
    dialect = db.engine.dialect.name
    values = {"kind": kind, "status": status, "country": country, "count": delta, "delta": delta}
    connection.execute(_upsert(dialect), values)
    connection.execute(_upsert_day(dialect), {**values, "day": today()})
    connection.execute(_upsert_total_day(dialect), {**values, "day": today()})


@functools.cache
def _upsert_stat(dialect: str) -> sa.Insert:
    """INSERT … ON CONFLICT DO UPDATE count = count + :delta on ``dashboard_stat``."""
    table = DashboardStat.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(count=sa.bindparam("delta", type_=sa.Integer)).on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"count": table.c.count + sa.bindparam("delta", type_=sa.Integer)},
    )


STAT_ALL_COUNTRIES = ""


def stat_keys(day: date, country: str, language: str, themes: Iterable[Theme],
              status: SignatureStatus) -> list[tuple[str, str, str, date, str]]:
    """The (span, country, facet, day, value) rows one signature is counted in."""
    month = day.replace(day=1)
    keys = []
    for span, start in (("d", day), ("m", month)):
        for where in (country, STAT_ALL_COUNTRIES):
            keys.append((span, where, "language", start, language))
            if status != SignatureStatus.WITHDRAWN:
                keys.extend((span, where, "theme", start, str(theme)) for theme in themes)
        keys.append((span, STAT_ALL_COUNTRIES, "country", start, country))
    return sorted(keys, key=lambda k: (k[0], k[1], k[2], k[3].isoformat(), k[4]))


def adjust_stats(day: date, kind: SignatoryKind, status: SignatureStatus, country: str,
                 language: str, themes: Iterable[Theme], delta: int) -> None:
    """Move one signature made on ``day`` in or out of ``status`` in ``dashboard_stat``
    (rows in one order, so that concurrent transactions lock them in the same order)."""
    rows = [
        {"span": span, "country": where, "facet": facet, "day": start, "value": value,
         "kind": kind, "status": status, "delta": delta}
        for span, where, facet, start, value in stat_keys(day, country, language, themes, status)
    ]
    db.session.connection().execute(_upsert_stat(db.engine.dialect.name), rows)


def move(kind: SignatoryKind, status: SignatureStatus, country: str, made: date,
         language: str, themes: Iterable[Theme], delta: int) -> None:
    """Count one signature (made on ``made``) in or out of ``status`` everywhere a count is
    kept: the counter and its daily history (``adjust``) and the dashboard's statistics
    (``adjust_stats``)."""
    adjust(kind, status, country, delta)
    adjust_stats(made, kind, status, country, language, themes, delta)


def day_of(column):
    """The UTC day of a timestamp column, on both databases (SQLite keeps text)."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.date(column)
    return sa.cast(sa.func.timezone("UTC", column), sa.Date)  # whatever the session's zone


def month_of(column):
    """The first day of the UTC month of a timestamp column, on both databases."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.strftime("%Y-%m-01", column)
    return sa.cast(sa.func.date_trunc("month", sa.func.timezone("UTC", column)), sa.Date)


def _stat_queries():
    """SELECTs grouping the signature rows as ``dashboard_stat`` holds them: every row of the
    table comes from exactly one of these."""
    live = Signature.flagged.is_(False)
    for span, start in (("d", day_of(Signature.created_at)), ("m", month_of(Signature.created_at))):
        for per_country in (True, False):
            where = Signatory.country if per_country else sa.literal(STAT_ALL_COUNTRIES)
            for facet, value, extra in (
                ("language", Signature.language, ()),
                ("theme", SignatoryTheme.theme, (Signature.status != SignatureStatus.WITHDRAWN,)),
                ("country", Signatory.country, ()),
            ):
                if facet == "country" and per_country:
                    continue
                query = (
                    sa.select(sa.literal(span), where, sa.literal(facet), start, value,
                              Signatory.kind, Signature.status, sa.func.count())
                    .select_from(Signature)
                    .join(Signatory, Signatory.id == Signature.signatory_id)
                    .where(live, *extra)
                    .group_by(*((Signatory.country,) if per_country else ()), start, value,
                              Signatory.kind, Signature.status)
                )
                if facet == "theme":
                    query = query.join(SignatoryTheme,
                                       SignatoryTheme.signatory_id == Signatory.id)
                yield query


_STAT_COLUMNS = ["span", "country", "facet", "day", "value", "kind", "status", "count"]


def rebuild_stats() -> int:
    """Recompute ``dashboard_stat`` from the signature rows; returns the rows written."""
    db.session.execute(sa.delete(DashboardStat))
    for query in _stat_queries():
        db.session.execute(sa.insert(DashboardStat).from_select(_STAT_COLUMNS, query))
    return db.session.scalar(sa.select(sa.func.count()).select_from(DashboardStat)) or 0


def stats_drift() -> int:
    """How many ``dashboard_stat`` rows disagree with the signature rows (0 when all agree)."""
    def key(row):
        return (row[0], row[1], row[2], str(row[3]), str(row[4]), str(row[5]), str(row[6]))

    stored = {key(r): r[7] for r in db.session.execute(
        sa.select(*(getattr(DashboardStat, c) for c in _STAT_COLUMNS))
        .where(DashboardStat.count != 0))}
    actual = {}
    for query in _stat_queries():
        actual.update((key(r), r[7]) for r in db.session.execute(query))
    return sum(1 for k in stored.keys() | actual.keys() if stored.get(k, 0) != actual.get(k, 0))


def _grouped_rows() -> dict[tuple, int]:
    rows = db.session.execute(
        sa.select(Signatory.kind, Signature.status, Signatory.country, sa.func.count())
        .join(Signature.signatory)
        .where(Signature.flagged.is_(False))
        .group_by(Signatory.kind, Signature.status, Signatory.country)
    ).all()
    return {(kind, status, country): count for kind, status, country, count in rows}


def rebuild_signature_counts() -> int:
    """Recompute every counter, the history and the dashboard's statistics from the signature
    rows (after a bulk load or a repair). Returns the number of counter rows written.
    """
    db.session.execute(sa.delete(SignatureCount))
    grouped = _grouped_rows()
    for (kind, status, country), count in grouped.items():
        db.session.add(SignatureCount(kind=kind, status=status, country=country, count=count))
    db.session.flush()
    rebuild_history()
    rebuild_stats()
    return len(grouped)


_STEPS = (
    ("confirmed_at", SignatureStatus.CONFIRMED),
    ("verified_at", SignatureStatus.VERIFIED),
    ("rejected_at", SignatureStatus.REJECTED),
    ("withdrawn_at", SignatureStatus.WITHDRAWN),
)


def history_deltas(rows: Iterable) -> Counter:
    """Each signature's path through its statuses, from its timestamps, as day deltas.

    ``rows`` have kind, country, status, created_at and the four ``*_at`` of ``_STEPS``. A
    signature starts pending on the day it was made and moves on the day of each timestamp,
    in time order; it ends in its current status whatever its timestamps say.
    """
    deltas: Counter = Counter()
    for row in rows:
        day = row.created_at.date()
        current = SignatureStatus.PENDING
        deltas[(day, row.kind, current, row.country)] += 1
        steps = sorted((getattr(row, column), status) for column, status in _STEPS
                       if getattr(row, column) is not None)
        if not steps or steps[-1][1] != row.status:
            steps.append(((steps[-1][0] if steps else row.created_at), row.status))
        for moment, status in steps:
            if status == current:
                continue
            day = max(day, moment.date())
            deltas[(day, row.kind, current, row.country)] -= 1
            deltas[(day, row.kind, status, row.country)] += 1
            current = status
    return deltas


def rebuild_history() -> int:
    """Recompute ``signature_count_day`` from the signature rows; returns the rows written."""
    db.session.execute(sa.delete(SignatureCountDay))
    rows = db.session.execute(
        sa.select(Signatory.kind, Signatory.country, Signature.status, Signature.created_at,
                  *(getattr(Signature, column) for column, _ in _STEPS))
        .join(Signature.signatory)
        .where(Signature.flagged.is_(False))
        .execution_options(yield_per=20_000)
    )
    deltas = history_deltas(rows)
    values = [{"day": d, "kind": k, "status": s, "country": c, "delta": n}
              for (d, k, s, c), n in deltas.items() if n]
    for start in range(0, len(values), 5_000):
        db.session.execute(sa.insert(SignatureCountDay), values[start:start + 5_000])
    rebuild_total_history()
    return len(values)


def _total_history_query():
    return (sa.select(SignatureCountDay.day, SignatureCountDay.kind, SignatureCountDay.status,
                      sa.func.sum(SignatureCountDay.delta))
            .group_by(SignatureCountDay.day, SignatureCountDay.kind, SignatureCountDay.status))


def rebuild_total_history() -> None:
    """Sum ``signature_count_day`` over the countries into ``signature_total_day``."""
    db.session.execute(sa.delete(SignatureTotalDay))
    db.session.execute(sa.insert(SignatureTotalDay).from_select(
        ["day", "kind", "status", "delta"], _total_history_query()))


def total_history_drift() -> int:
    """Campaign-wide history rows that are not the sum of the countries' (0 when all agree)."""
    actual = {(str(d), str(k), str(s)): int(n) for d, k, s, n in db.session.execute(
        _total_history_query())}
    stored = {(str(r.day), str(r.kind), str(r.status)): r.delta
              for r in db.session.scalars(sa.select(SignatureTotalDay))}
    return sum(1 for k in actual.keys() | stored.keys() if actual.get(k, 0) != stored.get(k, 0))


def history_drift() -> list[tuple[SignatoryKind, SignatureStatus, str, int, int]]:
    """Counters that the history's sums do not reach: (kind, status, country, history, counter)."""
    summed = {
        (kind, status, country): int(total)
        for kind, status, country, total in db.session.execute(
            sa.select(SignatureCountDay.kind, SignatureCountDay.status, SignatureCountDay.country,
                      sa.func.sum(SignatureCountDay.delta))
            .group_by(SignatureCountDay.kind, SignatureCountDay.status, SignatureCountDay.country)
        )
    }
    stored = {(r.kind, r.status, r.country): r.count
              for r in db.session.scalars(sa.select(SignatureCount))}
    return [
        (*key, summed.get(key, 0), stored.get(key, 0))
        for key in sorted(set(summed) | set(stored))
        if summed.get(key, 0) != stored.get(key, 0)
    ]


def counted_history(kinds: Iterable[SignatoryKind] | None = None,
                    country: str | None = None) -> list[tuple[date, int]]:
    """(day, counted signatures at the end of that day), for the days the number moved.

    Campaign-wide it reads ``signature_total_day``; for a country, ``signature_count_day``."""
    table = SignatureCountDay if country else SignatureTotalDay
    query = sa.select(table.day, sa.func.sum(table.delta)).where(
        counted_rule(table.kind, table.status))
    if kinds is not None:
        query = query.where(table.kind.in_(tuple(kinds)))
    if country:
        query = query.where(SignatureCountDay.country == country.upper())
    total, series = 0, []
    for day, delta in db.session.execute(query.group_by(table.day).order_by(table.day)):
        if delta:
            total += int(delta)
            series.append((day, total))
    return series


def counter_drift() -> list[tuple[SignatoryKind, SignatureStatus, str, int, int]]:
    """Counters that disagree with the rows: (kind, status, country, stored, actual)."""
    actual = _grouped_rows()
    stored = {
        (row.kind, row.status, row.country): row.count
        for row in db.session.scalars(sa.select(SignatureCount))
    }
    return [
        (*key, stored.get(key, 0), actual.get(key, 0))
        for key in sorted(set(actual) | set(stored))
        if stored.get(key, 0) != actual.get(key, 0)
    ]


def counts_by_kind_and_country() -> list[tuple[str, int, int]]:
    """(country, organisations, mayors and delegates) counted, by country code."""
    rows = db.session.execute(
        sa.select(SignatureCount.kind, SignatureCount.country, SignatureCount.count).where(
            COUNTED, SignatureCount.count > 0
        )
    ).all()
    table: dict[str, list[int]] = {}
    for kind, country, count in rows:
        cell = table.setdefault(country, [0, 0])
        cell[0 if kind == SignatoryKind.ORGANISATION else 1] += count
    return [(country, orgs, mayors) for country, (orgs, mayors) in table.items()]


def counts_by_country() -> list[tuple[str, int]]:
    """(ISO country code, counted signatures), largest first."""
    rows = db.session.execute(
        sa.select(SignatureCount.country, sa.func.sum(SignatureCount.count).label("n"))
        .where(COUNTED)
        .group_by(SignatureCount.country)
        .having(sa.func.sum(SignatureCount.count) > 0)
        .order_by(sa.desc("n"), SignatureCount.country)
    ).all()
    return [(country, int(n)) for country, n in rows]

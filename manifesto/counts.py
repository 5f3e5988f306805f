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

from .extensions import db
from .models import (
    AmbassadorCity,
    PipelineStage,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureCount,
    SignatureCountDay,
    SignatureStatus,
)

MAYOR_KINDS = (SignatoryKind.MAYOR, SignatoryKind.DELEGATE)
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


def _grouped_rows() -> dict[tuple, int]:
    rows = db.session.execute(
        sa.select(Signatory.kind, Signature.status, Signatory.country, sa.func.count())
        .join(Signature.signatory)
        .where(Signature.flagged.is_(False))
        .group_by(Signatory.kind, Signature.status, Signatory.country)
    ).all()
    return {(kind, status, country): count for kind, status, country, count in rows}


def rebuild_signature_counts() -> int:
    """Recompute every counter, and the history, from the signature rows (after a bulk load or
    a repair). Returns the number of counter rows written.
    """
    db.session.execute(sa.delete(SignatureCount))
    grouped = _grouped_rows()
    for (kind, status, country), count in grouped.items():
        db.session.add(SignatureCount(kind=kind, status=status, country=country, count=count))
    db.session.flush()
    rebuild_history()
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
    return len(values)


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
    """(day, counted signatures at the end of that day), for the days the number moved."""
    query = sa.select(SignatureCountDay.day, sa.func.sum(SignatureCountDay.delta)).where(
        COUNTED_DAY)
    if kinds is not None:
        query = query.where(SignatureCountDay.kind.in_(tuple(kinds)))
    if country:
        query = query.where(SignatureCountDay.country == country.upper())
    total, series = 0, []
    for day, delta in db.session.execute(
        query.group_by(SignatureCountDay.day).order_by(SignatureCountDay.day)
    ):
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

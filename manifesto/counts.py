"""The counts public pages show, read from ``signature_count`` instead of the signature rows.

Rules: an organisation counts once its signature is confirmed (or verified); a mayor or a
delegate counts only once a coordinator has verified the mandate. Flagged signatures (held
for a coordinator) are in no counter until the flag is cleared.

The code that changes a signature's status calls ``adjust`` in the same transaction;
``flask --app wsgi counts reconcile`` recomputes every counter from the rows and reports drift.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
    SignatureStatus,
)

MAYOR_KINDS = (SignatoryKind.MAYOR, SignatoryKind.DELEGATE)
COUNTED = sa.or_(
    sa.and_(
        SignatureCount.kind == SignatoryKind.ORGANISATION,
        SignatureCount.status.in_((SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED)),
    ),
    sa.and_(SignatureCount.kind.in_(MAYOR_KINDS), SignatureCount.status == SignatureStatus.VERIFIED),
)


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
        return status in (SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED)
    return status == SignatureStatus.VERIFIED


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """INSERT … ON CONFLICT DO UPDATE count = count + :delta, built once per dialect."""
    table = SignatureCount.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_update(
        index_elements=["kind", "status", "country"],
        set_={"count": table.c.count + sa.bindparam("delta", type_=sa.Integer)},
    )


def adjust(kind: SignatoryKind, status: SignatureStatus, country: str, delta: int) -> None:
    """Add ``delta`` to one counter, creating it if needed, atomically on both databases."""
    db.session.connection().execute(
        _upsert(db.engine.dialect.name),
        {"kind": kind, "status": status, "country": country, "count": delta, "delta": delta},
    )


def _grouped_rows() -> dict[tuple, int]:
    rows = db.session.execute(
        sa.select(Signatory.kind, Signature.status, Signatory.country, sa.func.count())
        .join(Signature.signatory)
        .where(Signature.flagged.is_(False))
        .group_by(Signatory.kind, Signature.status, Signatory.country)
    ).all()
    return {(kind, status, country): count for kind, status, country, count in rows}


def rebuild_signature_counts() -> int:
    """Recompute every counter from the signature rows (after a bulk load or a repair).

    Returns the number of counter rows written.
    """
    db.session.execute(sa.delete(SignatureCount))
    grouped = _grouped_rows()
    for (kind, status, country), count in grouped.items():
        db.session.add(SignatureCount(kind=kind, status=status, country=country, count=count))
    db.session.flush()
    return len(grouped)


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

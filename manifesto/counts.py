"""The counts public pages show, read from ``signature_count`` instead of the signature rows.

Rules: an organisation counts once its signature is confirmed (or verified); a mayor or a
delegate counts only once a coordinator has verified the mandate.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

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


def rebuild_signature_counts() -> int:
    """Recompute every counter from the signature rows (after a bulk load or a repair).

    Returns the number of counter rows written.
    """
    db.session.execute(sa.delete(SignatureCount))
    grouped = db.session.execute(
        sa.select(Signatory.kind, Signature.status, Signatory.country, sa.func.count())
        .join(Signature.signatory)
        .group_by(Signatory.kind, Signature.status, Signatory.country)
    ).all()
    for kind, status, country, count in grouped:
        db.session.add(SignatureCount(kind=kind, status=status, country=country, count=count))
    db.session.flush()
    return len(grouped)


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

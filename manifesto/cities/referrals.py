"""Referral codes: the ``?ref=`` of a referral link, and the signature it is attributed to.

An ambassador city has a code (its own link), and so has each of its outreach activities. A
signature made through a link is attributed to the city, or to the activity and its city, while
the city is an ambassador (``attribute``). No HTTP here: the sign form passes the code in.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import AmbassadorCity, OutreachActivity, PipelineStage


def _code() -> str:
    return secrets.token_urlsafe(12)[:16]


def new_codes(count: int) -> list[str]:
    """``count`` fresh codes, unused by any activity or city (a city's code wins at signing)."""
    codes: list[str] = []
    while len(codes) < count:
        wanted = {_code() for _ in range(count - len(codes))} - set(codes)
        taken = set(
            db.session.scalars(
                sa.select(OutreachActivity.referral_code).where(
                    OutreachActivity.referral_code.in_(wanted)
                )
            )
        ) | set(
            db.session.scalars(
                sa.select(AmbassadorCity.referral_code).where(
                    AmbassadorCity.referral_code.in_(wanted)
                )
            )
        )
        codes.extend(sorted(wanted - taken))
    return codes


def attribute(code: str | None) -> tuple[int | None, int | None]:
    """(ambassador city id, outreach activity id) a referral code attributes a signature to.

    A city's code attributes to the city; an activity's code to the activity and its city.
    Only cities at stage AMBASSADOR attribute; any other code attributes to nothing.
    """
    if not code or len(code) > 32:
        return None, None
    city_id = db.session.scalar(
        sa.select(AmbassadorCity.id).where(
            AmbassadorCity.referral_code == code,
            AmbassadorCity.stage == PipelineStage.AMBASSADOR,
        )
    )
    if city_id is not None:
        return city_id, None
    row = db.session.execute(
        sa.select(OutreachActivity.ambassador_city_id, OutreachActivity.id)
        .join(AmbassadorCity, AmbassadorCity.id == OutreachActivity.ambassador_city_id)
        .where(
            OutreachActivity.referral_code == code,
            AmbassadorCity.stage == PipelineStage.AMBASSADOR,
        )
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)

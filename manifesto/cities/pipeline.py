"""Choosing ambassador cities: candidate → interviewed → ambassador → alumni, every move logged.

Interview notes are private to coordinators. Public pages read only cities at the ambassador
(or alumni) stage and only their commitment, languages, countries and activity totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from manifesto.cities import referrals
from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    BestPractice,
    BestPracticeStatus,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    User,
    utcnow,
)
from manifesto.signatures import transitions

# The one move each stage allows: a city is interviewed, chosen, and later thanked as alumni.
NEXT_STAGE = {
    PipelineStage.CANDIDATE: PipelineStage.INTERVIEWED,
    PipelineStage.INTERVIEWED: PipelineStage.AMBASSADOR,
    PipelineStage.AMBASSADOR: PipelineStage.ALUMNI,
}
PUBLIC_STAGES = (PipelineStage.AMBASSADOR, PipelineStage.ALUMNI)


class MoveError(ValueError):
    """A move the pipeline does not allow; nothing changes. ``missing`` names the details the
    next stage records that were not given (empty: the move itself is not allowed)."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()):
        super().__init__(message)
        self.missing = missing


class StageChanged(MoveError):
    """The city is no longer at the stage the move starts from: someone moved it meanwhile."""


def add_candidate(name: str, country: str, by: User | None) -> AmbassadorCity:
    city = AmbassadorCity(
        name=name,
        country=country,
        stage=PipelineStage.CANDIDATE,
        referral_code=referrals.new_codes(1)[0],
        languages=[],
        countries=[],
    )
    db.session.add(city)
    db.session.flush()
    db.session.add(
        PipelineEvent(
            ambassador_city_id=city.id,
            from_stage=None,
            to_stage=PipelineStage.CANDIDATE,
            by_user_id=by.id if by else None,
        )
    )
    return city


def name_taken(name: str, country: str, except_id: int | None = None) -> bool:
    query = sa.select(AmbassadorCity.id).where(
        sa.func.lower(AmbassadorCity.name) == name.lower(), AmbassadorCity.country == country
    )
    if except_id is not None:
        query = query.where(AmbassadorCity.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def _missing(**details) -> tuple[str, ...]:
    return tuple(name for name, value in details.items() if not value)


def move(
    city: AmbassadorCity,
    to_stage: PipelineStage,
    by: User,
    *,
    interview_date: date | None = None,
    interviewer: str | None = None,
    interview_notes: str | None = None,
    commitment_date: date | None = None,
    commitment_statement: str | None = None,
    languages: list[str] | None = None,
    countries: list[str] | None = None,
) -> PipelineEvent:
    """Move ``city`` one stage on, with what that stage records; logged with who and when.

    A compare-and-set on the stage the caller read (``city.stage``): of simultaneous moves of
    the same city one is made, the others raise ``StageChanged`` and change nothing."""
    seen = city.stage
    if NEXT_STAGE.get(seen) != to_stage:
        raise MoveError(f"{seen.value} -> {to_stage.value}")
    recorded: dict = {}
    if to_stage == PipelineStage.INTERVIEWED:
        if not (interview_date and interviewer):
            raise MoveError("an interview needs its date and interviewer",
                            _missing(interview_date=interview_date, interviewer=interviewer))
        recorded = {"interview_date": interview_date, "interviewer": interviewer,
                    "interview_notes": interview_notes or None}
    elif to_stage == PipelineStage.AMBASSADOR:
        if not (commitment_date and commitment_statement and languages and countries):
            raise MoveError("a commitment needs its date, statement, languages and countries",
                            _missing(commitment_date=commitment_date,
                                     commitment_statement=commitment_statement,
                                     languages=languages, countries=countries))
        recorded = {"commitment_date": commitment_date,
                    "commitment_statement": commitment_statement,
                    "languages": list(dict.fromkeys(languages)),
                    "countries": list(dict.fromkeys(countries))}
    if not transitions.compare_and_set(city, {"stage": seen}, stage=to_stage, **recorded):
        raise StageChanged(f"{city.name} is no longer at {seen.value}")
    event = PipelineEvent(
        ambassador_city_id=city.id, from_stage=seen, to_stage=to_stage, by_user_id=by.id,
        at=utcnow(),
    )
    db.session.add(event)
    return event


def history(city: AmbassadorCity) -> list[PipelineEvent]:
    return list(
        db.session.scalars(
            sa.select(PipelineEvent)
            .where(PipelineEvent.ambassador_city_id == city.id)
            .order_by(PipelineEvent.at, PipelineEvent.id)
        )
    )


def cities_by_stage() -> dict[PipelineStage, list[AmbassadorCity]]:
    cities = db.session.scalars(sa.select(AmbassadorCity).order_by(AmbassadorCity.name))
    grouped: dict[PipelineStage, list[AmbassadorCity]] = {stage: [] for stage in PipelineStage}
    for city in cities:
        grouped[city.stage].append(city)
    return grouped


@dataclass(frozen=True)
class ActivityTotals:
    activities: int = 0
    people_reached: int = 0
    mayors_engaged: int = 0
    organisations_engaged: int = 0


def activity_totals(city_ids: list[int]) -> dict[int, ActivityTotals]:
    """Per city: number of activities and the sums of what they reached (one grouped query)."""
    if not city_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            OutreachActivity.ambassador_city_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(OutreachActivity.audience_reached), 0),
            sa.func.coalesce(sa.func.sum(OutreachActivity.mayors_engaged), 0),
            sa.func.coalesce(sa.func.sum(OutreachActivity.organisations_engaged), 0),
        )
        .where(OutreachActivity.ambassador_city_id.in_(city_ids))
        .group_by(OutreachActivity.ambassador_city_id)
    ).all()
    return {
        city_id: ActivityTotals(int(n), int(people), int(mayors), int(orgs))
        for city_id, n, people, mayors, orgs in rows
    }


def public_cities() -> list[AmbassadorCity]:
    """Ambassador cities first (then alumni), by name."""
    cities = db.session.scalars(
        sa.select(AmbassadorCity)
        .where(AmbassadorCity.stage.in_(PUBLIC_STAGES))
        .order_by(AmbassadorCity.name)
    ).all()
    return sorted(cities, key=lambda c: PUBLIC_STAGES.index(c.stage))


def published_practices(city_ids: list[int]) -> dict[int, list[BestPractice]]:
    if not city_ids:
        return {}
    grouped: dict[int, list[BestPractice]] = {}
    for practice in db.session.scalars(
        sa.select(BestPractice)
        .where(
            BestPractice.ambassador_city_id.in_(city_ids),
            BestPractice.status == BestPracticeStatus.PUBLISHED,
        )
        .order_by(BestPractice.published_at.desc(), BestPractice.id.desc())
    ):
        grouped.setdefault(practice.ambassador_city_id, []).append(practice)
    return grouped

"""The coordinators' dashboard: what the campaign's numbers say for a period and a country.

Signature figures count the signatures *made* in the period (by the UTC day they were made),
under the status each has now, from ``dashboard_stat`` (``counts.adjust_stats`` keeps it): a
range reads whole months from the monthly rows and only its ragged ends from the daily rows,
so it costs the same for a week as for three years. *Counted* follows the campaign's rule
(``counts.counted_rule``); *signed* is every signature still standing (waiting, confirmed or
verified). Flagged signatures are in neither until a coordinator clears them.

Outreach figures count the activities dated in the period, and the signatures that came through
a city's or an activity's link and were made in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import (
    ActivityType,
    AmbassadorCity,
    DashboardStat,
    OutreachActivity,
    PipelineStage,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    Theme,
)
from manifesto.signatures.counts import LIVE_STATUSES, STAT_ALL_COUNTRIES, is_counted


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    country: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def first_day() -> date | None:
    """The day the first signature still on record was made (None before any)."""
    return db.session.scalar(
        sa.select(sa.func.min(DashboardStat.day)).where(
            DashboardStat.span == "d", DashboardStat.country == STAT_ALL_COUNTRIES,
            DashboardStat.facet == "language")
    )


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def pieces(start: date, end: date) -> list[tuple[str, date, date]]:
    """Cover [start, end] with whole months (span "m", by their first day) and days ("d")."""
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    last = end.replace(day=1) if _month_end(end) == end else end.replace(day=1) - timedelta(days=1)
    last = last.replace(day=1)
    if first > end or last < first:
        return [("d", start, end)]
    out = [("m", first, last)]
    if start < first:
        out.append(("d", start, first - timedelta(days=1)))
    if _month_end(last) < end:
        out.append(("d", _month_end(last) + timedelta(days=1), end))
    return out


def facet_counts(facet: str, period: Period) -> dict[tuple[str, SignatoryKind, SignatureStatus], int]:
    """{(value, kind, status): signatures} for the period, from ``dashboard_stat``."""
    country = period.country or STAT_ALL_COUNTRIES
    totals: dict = defaultdict(int)
    for span, low, high in pieces(period.start, period.end):
        rows = db.session.execute(
            sa.select(DashboardStat.value, DashboardStat.kind, DashboardStat.status,
                      sa.func.sum(DashboardStat.count))
            .where(DashboardStat.span == span, DashboardStat.country == country,
                   DashboardStat.facet == facet, DashboardStat.day.between(low, high))
            .group_by(DashboardStat.value, DashboardStat.kind, DashboardStat.status)
        )
        for value, kind, status, count in rows:
            totals[(value, kind, status)] += int(count or 0)
    return totals


@dataclass
class Breakdown:
    """Counted and signed figures by some key, largest counted first."""

    rows: list[tuple[str, int, int]]  # (key, counted, signed)

    @property
    def counted(self) -> int:
        return sum(r[1] for r in self.rows)

    @property
    def signed(self) -> int:
        return sum(r[2] for r in self.rows)


def _breakdown(counts_by: dict, key_of, order=None) -> Breakdown:
    counted: dict = defaultdict(int)
    signed: dict = defaultdict(int)
    for (value, kind, status), n in counts_by.items():
        if not n:  # a statistic row that went back to 0
            continue
        key = key_of(value, kind)
        if status in LIVE_STATUSES:
            signed[key] += n
        if is_counted(kind, status):
            counted[key] += n
    keys = list(order) if order is not None else sorted(
        set(signed) | set(counted), key=lambda k: (-counted[k], -signed[k], str(k)))
    return Breakdown([(k, counted[k], signed[k]) for k in keys])


@dataclass
class Funnel:
    """Signatures made in the period, by where they stand now, by kind."""

    by_status: dict[SignatureStatus, dict[SignatoryKind, int]]

    def total(self, status: SignatureStatus | None = None) -> int:
        if status is None:
            return sum(sum(v.values()) for v in self.by_status.values())
        return sum(self.by_status[status].values())

    def kind_total(self, kind: SignatoryKind) -> int:
        return sum(by_kind[kind] for by_kind in self.by_status.values())

    @property
    def made(self) -> int:
        return self.total()

    @property
    def confirmed_or_beyond(self) -> int:
        return self.total(SignatureStatus.CONFIRMED) + self.total(SignatureStatus.VERIFIED)

    @property
    def verified(self) -> int:
        return self.total(SignatureStatus.VERIFIED)


@dataclass
class SignatureFigures:
    funnel: Funnel
    by_kind: Breakdown
    by_language: Breakdown
    by_theme: Breakdown
    by_country: Breakdown
    flagged: int


def signature_figures(period: Period, languages: list[str]) -> SignatureFigures:
    by_language = facet_counts("language", period)
    funnel = Funnel({s: dict.fromkeys(SignatoryKind, 0) for s in SignatureStatus})
    for (_value, kind, status), n in by_language.items():
        funnel.by_status[status][kind] += n
    known = set(languages)
    language_keys = list(languages) + sorted({v for v, _k, _s in by_language} - known)
    if period.country:  # every row of the country's language facet is that country's
        by_country = _breakdown(by_language, lambda value, kind: period.country)
    else:
        by_country = _breakdown(facet_counts("country", period), lambda value, kind: value)
    return SignatureFigures(
        funnel=funnel,
        by_kind=_breakdown(by_language, lambda value, kind: kind, order=list(SignatoryKind)),
        by_language=_breakdown(by_language, lambda value, kind: value, order=language_keys),
        by_theme=_breakdown(facet_counts("theme", period),
                            lambda value, kind: Theme(value)),
        by_country=by_country,
        flagged=_flagged(period),
    )


def made_in(period: Period) -> tuple:
    """The conditions on ``Signature.created_at`` for signatures made in the period (UTC)."""
    return (Signature.created_at >= datetime.combine(period.start, time(), UTC),
            Signature.created_at < datetime.combine(period.end + timedelta(days=1), time(), UTC))


def _flagged(period: Period) -> int:
    """Signatures made in the period and held for a coordinator, from one index. (``== true``:
    PostgreSQL uses no index for ``IS TRUE``.)"""
    query = (
        sa.select(sa.func.count())
        .select_from(Signature)
        .where(Signature.flagged == sa.true(), Signature.status.in_(LIVE_STATUSES),
               *made_in(period))
    )
    if period.country:
        # A semi-join, not a join: SQLite's statistics say a country has fewer signatories
        # than there are flagged signatures (an average over all countries), and with a join it
        # would read a large country's signatories one by one. The flagged ones are few.
        query = query.where(sa.exists().where(Signatory.id == Signature.signatory_id,
                                              Signatory.country == period.country))
    return int(db.session.scalar(query) or 0)


# --- ambassador cities ------------------------------------------------------------------------


@dataclass
class CityFigures:
    city: AmbassadorCity
    activities: int = 0
    people_reached: int = 0
    mayors_engaged: int = 0
    organisations_engaged: int = 0
    signed: int = 0  # through the city's or its activities' links, still standing
    counted: int = 0

    @property
    def per_thousand_reached(self) -> float | None:
        return 1000 * self.signed / self.people_reached if self.people_reached else None


@dataclass
class TypeFigures:
    type: ActivityType
    activities: int = 0
    people_reached: int = 0
    signed: int = 0  # through the links of activities of this type

    @property
    def per_activity(self) -> float | None:
        return self.signed / self.activities if self.activities else None

    @property
    def per_thousand_reached(self) -> float | None:
        return 1000 * self.signed / self.people_reached if self.people_reached else None


@dataclass
class OutreachFigures:
    cities: list[CityFigures] = field(default_factory=list)
    types: list[TypeFigures] = field(default_factory=list)


def outreach_figures(period: Period) -> OutreachFigures:
    """Ambassador cities side by side, and what each type of activity brought."""
    city_query = sa.select(AmbassadorCity).where(
        AmbassadorCity.stage.in_((PipelineStage.AMBASSADOR, PipelineStage.ALUMNI)))
    if period.country:
        city_query = city_query.where(AmbassadorCity.country == period.country)
    cities = {c.id: CityFigures(c) for c in db.session.scalars(
        city_query.order_by(AmbassadorCity.name))}
    in_period = (OutreachActivity.date >= period.start, OutreachActivity.date <= period.end)
    activity_rows = db.session.execute(
        sa.select(OutreachActivity.ambassador_city_id, OutreachActivity.type,
                  sa.func.count(), sa.func.sum(OutreachActivity.audience_reached),
                  sa.func.sum(OutreachActivity.mayors_engaged),
                  sa.func.sum(OutreachActivity.organisations_engaged))
        .where(*in_period)
        .group_by(OutreachActivity.ambassador_city_id, OutreachActivity.type)
    )
    types = {t: TypeFigures(t) for t in ActivityType}
    for city_id, kind, n, reached, mayors, organisations in activity_rows:
        figures = cities.get(city_id)
        if figures is None:
            continue  # a candidate's activity, or a city outside the country chosen
        figures.activities += n
        figures.people_reached += int(reached or 0)
        figures.mayors_engaged += int(mayors or 0)
        figures.organisations_engaged += int(organisations or 0)
        types[kind].activities += n
        types[kind].people_reached += int(reached or 0)
    made_in_period = (
        *made_in(period),
        Signature.flagged.is_(False),
        Signature.status.in_(LIVE_STATUSES),
    )
    if cities:
        for city_id, kind, status, n in db.session.execute(
            sa.select(Signature.ambassador_city_id, Signatory.kind, Signature.status,
                      sa.func.count())
            .join(Signatory, Signatory.id == Signature.signatory_id)
            .where(Signature.ambassador_city_id.in_(list(cities)), *made_in_period)
            .group_by(Signature.ambassador_city_id, Signatory.kind, Signature.status)
        ):
            cities[city_id].signed += n
            cities[city_id].counted += n if is_counted(kind, status) else 0
        for kind, n in db.session.execute(
            sa.select(OutreachActivity.type, sa.func.count())
            .select_from(Signature)
            .join(OutreachActivity, OutreachActivity.id == Signature.outreach_activity_id)
            .where(Signature.outreach_activity_id.is_not(None),
                   OutreachActivity.ambassador_city_id.in_(list(cities)), *made_in_period)
            .group_by(OutreachActivity.type)
        ):
            types[kind].signed += n
    return OutreachFigures(
        cities=list(cities.values()),
        types=[t for t in types.values() if t.activities or t.signed],
    )


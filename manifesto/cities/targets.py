"""Targets: how far each one has come, and whether it is on track to be met by its deadline.

``current_value(target)`` is the number the target measures, today, for its scope:

- signatures (mayors, organisations, all) count by the campaign's rules (``signatures/counts.py``): an
  organisation once confirmed or verified, a mayor or delegate once verified, never a flagged
  one. Scopes ALL and COUNTRY read the ``signature_count`` counters; scope AMBASSADOR_CITY
  counts the signatures attributed to the city (``signature.ambassador_city_id``, indexed).
- ambassador cities: cities at stage AMBASSADOR (COUNTRY: cities of that country).
- activities, people reached, mayors engaged: the outreach log (COUNTRY: activities of the
  country's ambassador cities; AMBASSADOR_CITY: the city's own activities).

A target counts what happened from its ``start_date`` to its ``deadline``, both days
included, each event by its date (``target_history``): a signature by the day it came to count
(confirmed or verified: the counters' daily history, or for a city's attributed signatures the
signature's ``confirmed_at``/``verified_at``), an activity by its date, an ambassador city by the
day the pipeline moved it to (or away from) stage ambassador. ``measure`` (no dates: the
dashboards' totals) reads the counters and the stages as they are today.

``progress(target, today)`` compares it with a straight line from 0 on ``start_date`` to
``value`` on ``deadline``: *on track* means at or above that line today. Until the deadline
passes a target is achieved, on track or behind; after it, it is **met** (the value at the
deadline reached it: ``reached_on`` says when) or **missed** (``current`` is then the value at
the deadline), and no forecast is made. ``value_today`` counts on past the deadline: what the
same count says today, to be shown labelled as such.

Coordinators set targets through ``create``, ``update``, ``publish``, ``unpublish`` and
``delete`` (at the end): the scope's rule and the title rule live there, and every change of
state is a compare-and-set.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy import orm as so

from manifesto.cities.pipeline import PUBLIC_STAGES
from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureCount,
    Target,
    TargetMetric,
    TargetScope,
    TargetStatus,
)
from manifesto.signatures import counts, transitions
from manifesto.signatures.counts import COUNTED, MAYOR_KINDS, counted_rule

SIGNATURE_METRICS = (
    TargetMetric.MAYORS_SIGNED,
    TargetMetric.ORGANISATIONS_SIGNED,
    TargetMetric.ALL_SIGNATURES,
)

# The same rule as ``counts.COUNTED``, on signature rows instead of counters.
COUNTED_ROW = sa.and_(Signature.flagged.is_(False), counted_rule(Signatory.kind, Signature.status))


@dataclass(frozen=True)
class TargetProgress:
    current: int  # the value counted: today's, or the value at the deadline once it has passed
    value: int
    fraction: float  # current / value, from 0 to 1 (1 once achieved, even if exceeded)
    expected_now: int  # the straight line's height today, rounded up to a whole number
    status: TargetStatus
    remaining: int  # still to go, 0 once achieved
    days_left: int  # days until the deadline, 0 on the deadline and after it
    deadline_passed: bool
    reached_on: date | None = None  # the first day (start to deadline) the value reached it
    value_today: int | None = None  # the same count today, past the deadline too

    @property
    def reached(self) -> bool:
        return self.status in (TargetStatus.ACHIEVED, TargetStatus.MET)

    @property
    def counted_on_past_deadline(self) -> bool:
        """After the deadline, whether today's count differs from the value at the deadline
        (then worth showing beside it, labelled as today's)."""
        return (self.deadline_passed and self.value_today is not None
                and self.value_today != self.current)

    @property
    def percent(self) -> int:
        """Whole per cent reached (rounded down: 99.6 % is not yet 100 %)."""
        return math.floor(self.fraction * 100)


def today_utc() -> date:
    return datetime.now(UTC).date()


def elapsed_fraction(start: date, deadline: date, today: date) -> Fraction:
    """How much of the time from ``start`` to ``deadline`` has passed, from 0 to 1, exactly."""
    total = (deadline - start).days
    if total <= 0:
        return Fraction(1) if today >= deadline else Fraction(0)
    elapsed = (today - start).days
    return min(Fraction(1), max(Fraction(0), Fraction(elapsed, total)))


def evaluate(current: int, value: int, start: date, deadline: date, today: date, *,
             reached_on: date | None = None, value_today: int | None = None) -> TargetProgress:
    """Progress of a number ``current`` toward ``value``: pure, no database.

    ``current`` is the value counted from ``start`` to today, or to ``deadline`` once
    ``today`` is past it: then the target is met or missed, whatever came after."""
    current = max(0, int(current))
    value = max(1, int(value))
    expected = math.ceil(value * elapsed_fraction(start, deadline, today))
    if today > deadline:
        status = TargetStatus.MET if current >= value else TargetStatus.MISSED
    elif current >= value:
        status = TargetStatus.ACHIEVED
    elif current >= expected:
        status = TargetStatus.ON_TRACK
    else:
        status = TargetStatus.BEHIND
    if current < value:
        reached_on = None
    return TargetProgress(
        current=current,
        value=value,
        fraction=min(1.0, current / value),
        expected_now=expected,
        status=status,
        remaining=max(0, value - current),
        days_left=max(0, (deadline - today).days),
        deadline_passed=today > deadline,
        reached_on=reached_on,
        value_today=current if value_today is None else max(0, int(value_today)),
    )


def progress(target: Target, today: date | None = None,
             series: list[tuple[date, int]] | None = None) -> TargetProgress:
    """How far ``target`` has come on ``today`` (UTC today by default), counting what happened
    from its start to its deadline only.

    ``series`` may be given when the caller already has ``target_history(target)``.
    """
    today = today or today_utc()
    if series is None:
        series = target_history(target)
    until = min(today, target.deadline)
    return evaluate(value_on(series, until), target.value, target.start_date, target.deadline,
                    today, reached_on=reached_on(series, target.value, until),
                    value_today=value_on(series, today))


def current_value(target: Target, today: date | None = None) -> int:
    """The number ``target`` counts on ``today`` (UTC today by default): what happened from its
    start to today, or to its deadline once passed (0 for a scope left incomplete)."""
    return progress(target, today).current


def measure(
    metric: TargetMetric,
    scope: TargetScope = TargetScope.ALL,
    country: str | None = None,
    ambassador_city_id: int | None = None,
    since: date | None = None,
) -> int:
    """The value of ``metric`` for a scope, without a Target row (dashboards, previews).

    ``since`` leaves out activities dated before it and attributed signatures made before it.
    """
    if scope == TargetScope.COUNTRY and not country:
        return 0
    if scope == TargetScope.AMBASSADOR_CITY and ambassador_city_id is None:
        return 0
    if metric in SIGNATURE_METRICS:
        if scope == TargetScope.AMBASSADOR_CITY:
            return _attributed_signatures(metric, ambassador_city_id, since)
        return _counted_signatures(metric, country if scope == TargetScope.COUNTRY else None)
    if metric == TargetMetric.AMBASSADOR_CITIES:
        return _ambassador_cities(scope, country, ambassador_city_id)
    return _outreach(metric, scope, country, ambassador_city_id, since)


def _kinds(metric: TargetMetric) -> tuple[SignatoryKind, ...]:
    if metric == TargetMetric.MAYORS_SIGNED:
        return MAYOR_KINDS
    if metric == TargetMetric.ORGANISATIONS_SIGNED:
        return (SignatoryKind.ORGANISATION,)
    return tuple(SignatoryKind)


def _counted_signatures(metric: TargetMetric, country: str | None) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(SignatureCount.count), 0)).where(
        COUNTED, SignatureCount.kind.in_(_kinds(metric))
    )
    if country:
        query = query.where(SignatureCount.country == country.upper())
    return int(db.session.scalar(query) or 0)


def _attributed_signatures(metric: TargetMetric, city_id: int, since: date | None) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Signature)
        .join(Signatory, Signatory.id == Signature.signatory_id)
        .where(
            Signature.ambassador_city_id == city_id,
            Signatory.kind.in_(_kinds(metric)),
            COUNTED_ROW,
        )
    )
    if since is not None:
        query = query.where(_counted_at() >= datetime.combine(since, time(), UTC))
    return int(db.session.scalar(query) or 0)


def _counted_at():
    """When a signature came to count: a mayor's or delegate's when verified, an
    organisation's when confirmed (or verified, if that came first); the day it was made for
    rows older than these columns."""
    return sa.case(
        (Signatory.kind.in_(MAYOR_KINDS),
         sa.func.coalesce(Signature.verified_at, Signature.created_at)),
        else_=sa.func.coalesce(Signature.confirmed_at, Signature.verified_at,
                               Signature.created_at),
    )


def _ambassador_cities(scope: TargetScope, country: str | None, city_id: int | None) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(AmbassadorCity)
        .where(AmbassadorCity.stage == PipelineStage.AMBASSADOR)
    )
    if scope == TargetScope.COUNTRY:
        query = query.where(AmbassadorCity.country == country.upper())
    elif scope == TargetScope.AMBASSADOR_CITY:
        query = query.where(AmbassadorCity.id == city_id)
    return int(db.session.scalar(query) or 0)


def _outreach_measure(metric: TargetMetric):
    """What an outreach metric adds up over a target's activities."""
    if metric == TargetMetric.ACTIVITIES:
        return sa.func.count(OutreachActivity.id)
    if metric == TargetMetric.PEOPLE_REACHED:
        return sa.func.sum(OutreachActivity.audience_reached)
    if metric == TargetMetric.MAYORS_ENGAGED:
        return sa.func.sum(OutreachActivity.mayors_engaged)
    # a metric added to the model but not here: fail loudly in tests, not silently
    raise ValueError(f"no measure for target metric {metric!r}")


def _outreach_in_scope(query: sa.Select, scope: TargetScope, country: str | None,
                       city_id: int | None, since: date | None) -> sa.Select:
    """``query`` kept to the activities a target's scope takes, from ``since`` on."""
    if scope == TargetScope.COUNTRY:
        query = query.join(
            AmbassadorCity, AmbassadorCity.id == OutreachActivity.ambassador_city_id
        ).where(AmbassadorCity.country == country.upper())
    elif scope == TargetScope.AMBASSADOR_CITY:
        query = query.where(OutreachActivity.ambassador_city_id == city_id)
    if since is not None:
        query = query.where(OutreachActivity.date >= since)
    return query


def _outreach(metric: TargetMetric, scope: TargetScope, country: str | None,
              city_id: int | None, since: date | None) -> int:
    query = sa.select(sa.func.coalesce(_outreach_measure(metric), 0)).select_from(
        OutreachActivity)
    query = _outreach_in_scope(query, scope, country, city_id, since)
    return int(db.session.scalar(query) or 0)


def city_targets(city_id: int) -> list[Target]:
    """The targets set for one ambassador city, published or not, nearest deadline first."""
    return list(
        db.session.scalars(
            sa.select(Target)
            .where(
                Target.scope == TargetScope.AMBASSADOR_CITY,
                Target.scope_ambassador_city_id == city_id,
            )
            .order_by(Target.deadline, Target.id)
        )
    )


# --- which targets the public sees ------------------------------------------------------------
#
# A target is public once a coordinator publishes it, except a target set for an ambassador city
# that is not (or no longer) public itself: a candidate's target would publish its candidacy.
# The page /targets, the badges and the API all ask here.


def public_condition() -> sa.ColumnElement[bool]:
    """The SQL condition for a public target (on ``Target``)."""
    city_is_public = sa.exists().where(
        AmbassadorCity.id == Target.scope_ambassador_city_id,
        AmbassadorCity.stage.in_(PUBLIC_STAGES),
    )
    return sa.and_(
        Target.published.is_(True),
        sa.or_(Target.scope != TargetScope.AMBASSADOR_CITY, city_is_public),
    )


def public_targets() -> list[Target]:
    """The public targets, nearest deadline first, with their city loaded."""
    return list(db.session.scalars(
        sa.select(Target)
        .where(public_condition())
        .options(so.selectinload(Target.scope_ambassador_city))
        .order_by(Target.deadline, Target.id)
    ))


def is_public(target: Target | None) -> bool:
    """The same rule as ``public_condition``, for one target already loaded."""
    if target is None or not target.published:
        return False
    if target.scope != TargetScope.AMBASSADOR_CITY:
        return True
    city = target.scope_ambassador_city
    return city is not None and city.stage in PUBLIC_STAGES


# --- history, pace and projection ------------------------------------------------------------

PACE_DAYS = 90  # the pace is what the last 90 days brought


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _cumulative(daily) -> list[tuple[date, int]]:
    total, series = 0, []
    for day, delta in daily:
        if delta:
            total += int(delta)
            series.append((_as_date(day), total))
    return series


def history(metric: TargetMetric, scope: TargetScope = TargetScope.ALL,
            country: str | None = None, ambassador_city_id: int | None = None,
            since: date | None = None) -> list[tuple[date, int]]:
    """(day, value at the end of that day) for the days the value moved, by the same rules as
    ``measure``: its last value is today's ``measure``, as far as the dates allow. With
    ``since``, only what happened from that day on counts (the series starts from 0 there).

    Signature counts for ALL and COUNTRY come from the daily history of the counters; a city's
    attributed signatures are dated by when they were made (those counted today); ambassador
    cities by the pipeline's log (a move to ambassador adds one, a move on to alumni takes it
    back); activities by their date.
    """
    if scope == TargetScope.COUNTRY and not country:
        return []
    if scope == TargetScope.AMBASSADOR_CITY and ambassador_city_id is None:
        return []
    if metric in SIGNATURE_METRICS and scope != TargetScope.AMBASSADOR_CITY:
        return _from(counts.counted_history(_kinds(metric),
                                            country if scope == TargetScope.COUNTRY else None),
                     since)
    if metric in SIGNATURE_METRICS:
        day = counts.day_of(_counted_at())
        query = (
            sa.select(day, sa.func.count())
            .select_from(Signature)
            .join(Signatory, Signatory.id == Signature.signatory_id)
            .where(Signature.ambassador_city_id == ambassador_city_id,
                   Signatory.kind.in_(_kinds(metric)), COUNTED_ROW)
        )
        if since is not None:
            query = query.where(_counted_at() >= datetime.combine(since, time(), UTC))
        return _cumulative(db.session.execute(query.group_by(day).order_by(day)))
    if metric == TargetMetric.AMBASSADOR_CITIES:
        return _from(_ambassador_city_history(scope, country, ambassador_city_id), since)
    return _outreach_history(metric, scope, country, ambassador_city_id, since)


def _ambassador_city_history(scope, country, city_id) -> list[tuple[date, int]]:
    day = counts.day_of(PipelineEvent.at)
    change = sa.case((PipelineEvent.to_stage == PipelineStage.AMBASSADOR, 1), else_=-1)
    query = (
        sa.select(day, sa.func.sum(change))
        .select_from(PipelineEvent)
        .join(AmbassadorCity, AmbassadorCity.id == PipelineEvent.ambassador_city_id)
        .where(sa.or_(PipelineEvent.to_stage == PipelineStage.AMBASSADOR,
                      PipelineEvent.from_stage == PipelineStage.AMBASSADOR))
    )
    if scope == TargetScope.COUNTRY:
        query = query.where(AmbassadorCity.country == country.upper())
    elif scope == TargetScope.AMBASSADOR_CITY:
        query = query.where(AmbassadorCity.id == city_id)
    return _cumulative(db.session.execute(query.group_by(day).order_by(day)))


def _outreach_history(metric, scope, country, city_id, since) -> list[tuple[date, int]]:
    query = sa.select(OutreachActivity.date, _outreach_measure(metric)).select_from(
        OutreachActivity)
    query = _outreach_in_scope(query, scope, country, city_id, since)
    return _cumulative(db.session.execute(
        query.group_by(OutreachActivity.date).order_by(OutreachActivity.date)))


def _from(series: list[tuple[date, int]], since: date | None) -> list[tuple[date, int]]:
    """``series`` counted from ``since`` on: what it held the day before is taken off."""
    if since is None:
        return series
    before = value_on(series, since - timedelta(days=1))
    return [(day, total - before) for day, total in series if day >= since]


def target_history(target: Target) -> list[tuple[date, int]]:
    """What ``target`` counts, day by day from its start (past its deadline too: ``progress``
    and ``forecast`` stop at the deadline, the current value beside it does not)."""
    return history(target.metric, target.scope, target.scope_country,
                   target.scope_ambassador_city_id, since=target.start_date)


def value_on(series: list[tuple[date, int]], day: date) -> int:
    """The value at the end of ``day`` in a series from ``history``."""
    value = 0
    for moment, total in series:
        if moment > day:
            break
        value = total
    return value


def reached_on(series: list[tuple[date, int]], value: int, until: date) -> date | None:
    """The first day, up to ``until``, the series reached ``value``."""
    return next((day for day, total in series if day <= until and total >= value), None)


@dataclass(frozen=True)
class Forecast:
    pace_per_day: float  # what the last PACE_DAYS brought, per day
    achieved_on: date | None  # the first day the value reached the target
    projected_on: date | None  # when it will, at that pace (None: achieved, or no progress)


def forecast(value: int, series: list[tuple[date, int]], today: date,
             start: date | None = None, deadline: date | None = None) -> Forecast:
    """Where ``series`` stands against ``value`` on ``today``, and when it will get there at
    the pace of the last 90 days (or of the days since ``start``, if fewer).

    Once ``deadline`` has passed nothing is forecast: the series is read up to the deadline
    (the pace is that of the 90 days before it, ``achieved_on`` set only if it was met)."""
    passed = deadline is not None and today > deadline
    until = deadline if passed else today
    current = value_on(series, until)
    window = PACE_DAYS if start is None else max(1, min(PACE_DAYS, (until - start).days))
    pace = (current - value_on(series, until - timedelta(days=window))) / window
    achieved = reached_on(series, value, until)
    if achieved is not None and current >= value:
        return Forecast(pace, achieved, None)
    if pace <= 0 or passed:
        return Forecast(pace, None, None)
    return Forecast(pace, None, today + timedelta(days=math.ceil((value - current) / pace)))


def outlook(target: Target, today: date | None = None
            ) -> tuple[TargetProgress, Forecast, list[tuple[date, int]]]:
    """``progress`` and ``forecast`` of ``target`` on ``today``, from one read of its history
    (returned too, for a chart)."""
    today = today or today_utc()
    series = target_history(target)
    return (progress(target, today, series),
            forecast(target.value, series, today, target.start_date, target.deadline),
            series)


# --- setting targets ----------------------------------------------------------------------------
#
# Coordinators set targets of any metric and scope (coordinate/targets.py) and a city's own
# (coordinate/cities.py). The routes turn their forms into ``TargetValues`` and present what
# these functions answer; the rules are here.


@dataclass(frozen=True)
class TargetValues:
    """What a coordinator sets on a target. ``country`` is kept only for scope COUNTRY and
    ``city_id`` only for AMBASSADOR_CITY: a target is counted in one place only."""

    metric: TargetMetric
    value: int
    start_date: date
    deadline: date
    scope: TargetScope = TargetScope.ALL
    country: str | None = None
    city_id: int | None = None
    titles: dict[str, str] = field(default_factory=dict)  # language -> title
    published: bool = False


class Change(enum.StrEnum):
    """What a request to publish, unpublish or delete a target came to."""

    MADE = "made"  # this request made the change: it is the one to record it
    ALREADY = "already"  # the target was already so, or gone: another request was first
    NEEDS_TITLES = "needs_titles"  # not published: it has no title in some language


def missing_titles(titles: dict[str, str], languages: Iterable[str]) -> list[str]:
    """The languages with no title. A target is published only with a title in every
    language: the public pages, the badges and the API show it in each of them."""
    return [lang for lang in languages if not titles.get(lang)]


def _columns(values: TargetValues, languages: Iterable[str]) -> dict:
    if values.published and missing_titles(values.titles, languages):
        raise ValueError("a target is published only with a title in every language")
    return {
        "metric": values.metric,
        "scope": values.scope,
        "scope_country": values.country if values.scope == TargetScope.COUNTRY else None,
        "scope_ambassador_city_id": (
            values.city_id if values.scope == TargetScope.AMBASSADOR_CITY else None),
        "value": values.value,
        "start_date": values.start_date,
        "deadline": values.deadline,
        "titles": dict(values.titles),
        "published": values.published,
    }


def create(values: TargetValues, *, languages: Iterable[str]) -> Target:
    """A new target (published at once if ``values`` say so and it has every title)."""
    target = Target(**_columns(values, languages))
    db.session.add(target)
    db.session.flush()
    return target


def update(target: Target, values: TargetValues, *, languages: Iterable[str]) -> bool:
    """Set everything a coordinator edits on ``target``, the published box included (what the
    form showed and the coordinator left or changed). False if the target was deleted
    meanwhile: nothing is written."""
    return transitions.compare_and_set(target, {}, **_columns(values, languages))


def publish(target: Target, *, languages: Iterable[str]) -> Change:
    """Publish ``target`` if it has a title in every language of ``languages``; a
    compare-and-set, so of simultaneous clicks one publishes it.

    The titles are those this request read: no edit can take one away (the edit form asks
    for every title), so a target that had them still has them when it is published."""
    if missing_titles(target.titles, languages):
        return Change.NEEDS_TITLES
    published = transitions.compare_and_set(target, {"published": False}, published=True)
    return Change.MADE if published else Change.ALREADY


def unpublish(target: Target) -> Change:
    unpublished = transitions.compare_and_set(target, {"published": True}, published=False)
    return Change.MADE if unpublished else Change.ALREADY


def delete(target: Target) -> Change:
    return Change.MADE if transitions.compare_and_delete(target, {}) else Change.ALREADY


def for_coordinators() -> list[Target]:
    """Every target, the published ones first, then by deadline."""
    return list(db.session.scalars(
        sa.select(Target).order_by(Target.published.desc(), Target.deadline, Target.id)))

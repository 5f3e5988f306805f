"""Targets: the value each metric has in each scope, the status on given days, and setting
them (the rules the coordinators' pages call), without HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.cities import targets
from manifesto.cities.targets import evaluate
from manifesto.extensions import db
from manifesto.models import (
    ActivityType,
    OutreachActivity,
    PipelineStage,
    SignatoryKind,
    SignatureCount,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
    TargetStatus,
)
from manifesto.signatures.counts import rebuild_signature_counts
from tests.support import factories

START, DEADLINE = date(2026, 1, 1), date(2026, 12, 31)  # 364 days


# --- the status on a given day (no database) -----------------------------------------------------


def test_before_the_start_everything_is_on_track():
    p = evaluate(0, 100, START, DEADLINE, date(2025, 12, 1))
    assert (p.status, p.expected_now, p.remaining, p.days_left) == (
        TargetStatus.ON_TRACK, 0, 100, 395)


def test_on_track_means_at_or_above_the_straight_line():
    halfway = date(2026, 7, 2)  # 182 of 364 days
    assert evaluate(50, 100, START, DEADLINE, halfway).expected_now == 50
    assert evaluate(50, 100, START, DEADLINE, halfway).status == TargetStatus.ON_TRACK
    assert evaluate(49, 100, START, DEADLINE, halfway).status == TargetStatus.BEHIND


def test_the_line_is_exact_not_floating_point():
    # 10 × 0.3 is 3.0000000000000004 in floating point: 3 must still be on track.
    start, deadline = date(2026, 1, 1), date(2026, 1, 11)
    p = evaluate(3, 10, start, deadline, date(2026, 1, 4))
    assert (p.expected_now, p.status) == (3, TargetStatus.ON_TRACK)


def test_a_part_of_a_person_rounds_up():
    p = evaluate(1, 3, START, DEADLINE, date(2026, 1, 2))  # 1/364 of 3 is a little above 0
    assert p.expected_now == 1 and p.status == TargetStatus.ON_TRACK
    assert evaluate(0, 3, START, DEADLINE, date(2026, 1, 2)).status == TargetStatus.BEHIND


def test_reached_before_the_deadline_is_achieved_and_after_it_met():
    reached = date(2026, 6, 1)
    p = evaluate(130, 100, START, DEADLINE, date(2026, 7, 1), reached_on=reached)
    assert (p.status, p.reached_on, p.deadline_passed) == (TargetStatus.ACHIEVED, reached, False)
    p = evaluate(130, 100, START, DEADLINE, date(2027, 3, 1), reached_on=reached)
    assert (p.status, p.reached_on) == (TargetStatus.MET, reached)
    assert (p.fraction, p.percent, p.remaining, p.days_left, p.deadline_passed) == (
        1.0, 100, 0, 0, True)


def test_past_the_deadline_and_not_reached_is_missed():
    p = evaluate(99, 100, START, DEADLINE, date(2027, 1, 1), reached_on=date(2026, 5, 1),
                 value_today=140)
    assert (p.status, p.current, p.remaining, p.days_left, p.deadline_passed) == (
        TargetStatus.MISSED, 99, 1, 0, True)
    # What came after the deadline is today's count, beside it; the date a value it no
    # longer holds was reached is not the date it was met.
    assert (p.value_today, p.counted_on_past_deadline, p.reached_on) == (140, True, None)


def test_on_the_deadline_day_only_the_whole_value_is_enough():
    assert evaluate(99, 100, START, DEADLINE, DEADLINE).status == TargetStatus.BEHIND
    assert evaluate(100, 100, START, DEADLINE, DEADLINE).status == TargetStatus.ACHIEVED
    assert evaluate(99, 100, START, DEADLINE, DEADLINE).days_left == 0
    assert not evaluate(99, 100, START, DEADLINE, DEADLINE).deadline_passed


def test_percent_is_rounded_down():
    assert evaluate(996, 1000, START, DEADLINE, START).percent == 99


# --- the value of each metric in each scope ------------------------------------------------------


@pytest.fixture
def world(app):
    """Two ambassador cities (Lisbon PT, Lyon FR), a candidate (Porto PT); signatures and
    activities, some attributed to Lisbon."""
    lisbon = factories.ambassador_city(name="Lisbon", country="PT",
                                       stage=PipelineStage.AMBASSADOR)
    lyon = factories.ambassador_city(name="Lyon", country="FR", stage=PipelineStage.AMBASSADOR)
    porto = factories.ambassador_city(name="Porto", country="PT",
                                      stage=PipelineStage.CANDIDATE)
    org, mayor, delegate = SignatoryKind.ORGANISATION, SignatoryKind.MAYOR, SignatoryKind.DELEGATE
    pending, confirmed, verified = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED,
                                    SignatureStatus.VERIFIED)
    made = {
        # name: (kind, status, country, attributed to Lisbon)
        "pt_org_confirmed": (org, confirmed, "PT", True),  # counts
        "pt_org_pending": (org, pending, "PT", True),  # does not
        "pt_mayor_confirmed": (mayor, confirmed, "PT", True),  # not yet: not verified
        "pt_mayor_verified": (mayor, verified, "PT", True),  # counts
        "pt_org_flagged": (org, confirmed, "PT", True),  # flagged: never counts
        "fr_org_verified": (org, verified, "FR", False),  # counts
        "fr_delegate_verified": (delegate, verified, "FR", False),  # counts, as a mayor
        "fr_org_confirmed": (org, confirmed, "FR", False),  # counts
    }
    for name, (kind, status, country, attributed) in made.items():
        signature = factories.signature(kind=kind, status=status, country=country)
        signature.flagged = name.endswith("flagged")
        if attributed:
            signature.ambassador_city_id = lisbon.id
    for city, rows in ((lisbon, [(100, 2), (50, 1)]), (lyon, [(10, 0)]), (porto, [(7, 7)])):
        for reached, mayors in rows:
            db.session.add(OutreachActivity(
                ambassador_city_id=city.id, date=date(2026, 5, 1), type=ActivityType.EVENT,
                title="Event", language="en", audience_reached=reached, mayors_engaged=mayors,
                referral_code=f"event-{city.id}-{reached}"))
    rebuild_signature_counts()
    db.session.commit()
    return {"lisbon": lisbon, "lyon": lyon, "porto": porto}


ALL, COUNTRY, CITY = TargetScope.ALL, TargetScope.COUNTRY, TargetScope.AMBASSADOR_CITY
M = TargetMetric


@pytest.mark.parametrize(
    ("metric", "scope", "where", "expected"),
    [
        (M.MAYORS_SIGNED, ALL, None, 2),
        (M.MAYORS_SIGNED, COUNTRY, "PT", 1),
        (M.MAYORS_SIGNED, COUNTRY, "FR", 1),
        (M.MAYORS_SIGNED, CITY, "lisbon", 1),
        (M.MAYORS_SIGNED, CITY, "lyon", 0),
        (M.ORGANISATIONS_SIGNED, ALL, None, 3),
        (M.ORGANISATIONS_SIGNED, COUNTRY, "FR", 2),
        (M.ORGANISATIONS_SIGNED, CITY, "lisbon", 1),
        (M.ALL_SIGNATURES, ALL, None, 5),
        (M.ALL_SIGNATURES, COUNTRY, "PT", 2),
        (M.ALL_SIGNATURES, COUNTRY, "DE", 0),
        (M.ALL_SIGNATURES, CITY, "lisbon", 2),
        (M.AMBASSADOR_CITIES, ALL, None, 2),
        (M.AMBASSADOR_CITIES, COUNTRY, "PT", 1),  # Porto is a candidate
        (M.AMBASSADOR_CITIES, CITY, "lisbon", 1),
        (M.AMBASSADOR_CITIES, CITY, "porto", 0),
        (M.ACTIVITIES, ALL, None, 4),
        (M.ACTIVITIES, COUNTRY, "PT", 3),  # Porto's activity too: its country's outreach
        (M.ACTIVITIES, CITY, "lisbon", 2),
        (M.PEOPLE_REACHED, ALL, None, 167),
        (M.PEOPLE_REACHED, COUNTRY, "FR", 10),
        (M.PEOPLE_REACHED, CITY, "lisbon", 150),
        (M.MAYORS_ENGAGED, ALL, None, 10),
        (M.MAYORS_ENGAGED, COUNTRY, "FR", 0),
        (M.MAYORS_ENGAGED, CITY, "lisbon", 3),
    ],
)
def test_current_value_of_each_metric_in_each_scope(world, metric, scope, where, expected):
    target = Target(metric=metric, scope=scope, value=10, start_date=START, deadline=DEADLINE)
    if scope == COUNTRY:
        target.scope_country = where
    elif scope == CITY:
        target.scope_ambassador_city_id = world[where].id
    assert targets.current_value(target) == expected


def test_what_happened_before_the_start_does_not_count_toward_a_city_target(world):
    lisbon = world["lisbon"].id
    db.session.add(OutreachActivity(
        ambassador_city_id=lisbon, date=date(2025, 12, 31), type=ActivityType.EVENT,
        title="Before the target", language="en", audience_reached=5000, mayors_engaged=4,
        referral_code="before-the-target"))
    early = factories.signature(kind=SignatoryKind.ORGANISATION,
                                status=SignatureStatus.CONFIRMED, country="PT")
    early.ambassador_city_id = lisbon
    early.created_at = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    db.session.commit()

    def value(metric):
        return targets.current_value(Target(
            metric=metric, scope=CITY, scope_ambassador_city_id=lisbon, value=10,
            start_date=START, deadline=DEADLINE))

    assert value(M.ACTIVITIES) == 2
    assert value(M.PEOPLE_REACHED) == 150
    assert value(M.MAYORS_ENGAGED) == 3
    assert value(M.ORGANISATIONS_SIGNED) == 1
    # Without a start, everything counts (the dashboards' totals).
    assert targets.measure(M.ACTIVITIES, CITY, None, lisbon) == 3
    assert targets.measure(M.ORGANISATIONS_SIGNED, CITY, None, lisbon) == 2


def test_every_metric_has_a_measure(world):
    for metric in TargetMetric:
        for scope in TargetScope:
            assert targets.measure(metric, scope, "PT", world["lisbon"].id) >= 0


def test_a_scope_left_incomplete_counts_nothing(world):
    assert targets.measure(M.ALL_SIGNATURES, COUNTRY, None) == 0
    assert targets.measure(M.ACTIVITIES, CITY, None, None) == 0


def test_country_and_world_signature_counts_come_from_the_counters(world):
    # A counter says more than the rows: the target reads the counter, not the rows.
    row = db.session.get(SignatureCount, (SignatoryKind.ORGANISATION, SignatureStatus.CONFIRMED,
                                          "FR"))
    row.count += 40
    db.session.commit()
    assert targets.measure(M.ORGANISATIONS_SIGNED, COUNTRY, "FR") == 42
    assert targets.measure(M.ALL_SIGNATURES, ALL) == 45


def test_progress_of_a_stored_target_on_given_days(world):
    target = Target(metric=M.PEOPLE_REACHED, scope=CITY,
                    scope_ambassador_city_id=world["lisbon"].id, value=300,
                    start_date=START, deadline=DEADLINE, titles={"en": "People"})
    db.session.add(target)
    db.session.commit()
    before = targets.progress(target, today=date(2026, 3, 1))  # the activities are May 1st
    assert (before.current, before.expected_now, before.status) == (0, 49, TargetStatus.BEHIND)
    early = targets.progress(target, today=date(2026, 6, 1))  # 151 days: 125 expected
    assert (early.current, early.value, early.expected_now, early.status) == (
        150, 300, 125, TargetStatus.ON_TRACK)
    late = targets.progress(target, today=date(2026, 10, 1))  # 273 days: 225 expected
    assert (late.expected_now, late.status, late.remaining, late.days_left) == (
        225, TargetStatus.BEHIND, 150, 91)
    reached = [(date(2026, 5, 1), 150), (date(2026, 9, 1), 300)]
    assert targets.progress(target, today=date(2026, 10, 1), series=reached).status == (
        TargetStatus.ACHIEVED)


# --- the deadline: met or missed, by what happened from the start to the deadline -------------


def activity(city_id: int, day: date, reached: int = 1) -> None:
    db.session.add(OutreachActivity(
        ambassador_city_id=city_id, date=day, type=ActivityType.EVENT, title="Event",
        language="en", audience_reached=reached, mayors_engaged=0,
        referral_code=f"event-{city_id}-{day.isoformat()}-{reached}"))
    db.session.commit()


@pytest.fixture
def lisbon_2017(app):
    """Lisbon's 2017-18 target of 5 activities: 4 in time, more logged long after."""
    city = factories.ambassador_city(name="Lisbon", country="PT",
                                     stage=PipelineStage.AMBASSADOR)
    target = Target(metric=M.ACTIVITIES, scope=CITY, scope_ambassador_city_id=city.id, value=5,
                    start_date=date(2017, 9, 1), deadline=date(2018, 6, 30))
    db.session.add(target)
    activity(city.id, date(2017, 8, 31))  # the day before the start: not counted
    for day in (date(2017, 9, 1), date(2017, 11, 5), date(2018, 2, 1)):
        activity(city.id, day)
    return city, target


def test_events_after_the_deadline_do_not_count(lisbon_2017):
    city, target = lisbon_2017
    activity(city.id, date(2018, 6, 30))  # the deadline day itself counts
    for day in (date(2026, 3, 1), date(2026, 11, 5), date(2026, 11, 6)):
        activity(city.id, day)
    p = targets.progress(target, today=date(2026, 12, 3))
    assert (p.status, p.current, p.remaining, p.reached_on, p.value_today) == (
        TargetStatus.MISSED, 4, 1, None, 7)
    assert targets.current_value(target, date(2026, 12, 3)) == 4
    outlook = targets.forecast(5, targets.target_history(target), date(2026, 12, 3),
                               target.start_date, target.deadline)
    assert (outlook.achieved_on, outlook.projected_on) == (None, None)


def test_a_target_reached_on_the_deadline_day_is_met_on_that_day(lisbon_2017):
    city, target = lisbon_2017
    activity(city.id, date(2018, 6, 30))
    activity(city.id, date(2018, 6, 30), reached=2)
    p = targets.progress(target, today=date(2018, 7, 1))
    assert (p.status, p.current, p.reached_on, p.deadline_passed) == (
        TargetStatus.MET, 5, date(2018, 6, 30), True)
    on_the_day = targets.progress(target, today=date(2018, 6, 30))
    assert (on_the_day.status, on_the_day.deadline_passed) == (TargetStatus.ACHIEVED, False)


def test_before_the_deadline_a_forecast_after_it_none(lisbon_2017):
    _city, target = lisbon_2017
    series = targets.target_history(target)
    before = targets.forecast(5, series, date(2018, 2, 1), target.start_date, target.deadline)
    assert before.projected_on is not None and before.pace_per_day > 0
    assert targets.progress(target, today=date(2018, 2, 1)).status == TargetStatus.ON_TRACK
    after = targets.forecast(5, series, date(2018, 7, 1), target.start_date, target.deadline)
    assert after.projected_on is None


def test_signatures_count_from_the_day_they_came_to_count_within_the_dates(app):
    """Campaign-wide, the counters' daily history; before the start and after the deadline
    left out."""
    from manifesto.models import SignatureTotalDay
    for day, delta in ((date(2017, 12, 31), 10), (date(2018, 1, 1), 3),
                       (date(2018, 12, 31), 2), (date(2019, 1, 1), 40)):
        db.session.add(SignatureTotalDay(day=day, kind=SignatoryKind.ORGANISATION,
                                         status=SignatureStatus.CONFIRMED, delta=delta))
    target = Target(metric=M.ORGANISATIONS_SIGNED, scope=ALL, value=50,
                    start_date=date(2018, 1, 1), deadline=date(2018, 12, 31))
    db.session.add(target)
    db.session.commit()
    p = targets.progress(target, today=date(2026, 1, 1))
    assert (p.status, p.current, p.value_today) == (TargetStatus.MISSED, 5, 45)
    target.value = 5
    assert targets.progress(target, today=date(2026, 1, 1)).reached_on == date(2018, 12, 31)


def test_ambassador_cities_count_the_moves_within_the_dates(app):
    from manifesto.models import PipelineEvent
    cities = [factories.ambassador_city(stage=PipelineStage.CANDIDATE) for _ in range(3)]
    for city, day in zip(cities, (date(2017, 12, 31), date(2018, 3, 1), date(2019, 3, 1))):
        city.stage = PipelineStage.AMBASSADOR
        db.session.add(PipelineEvent(ambassador_city_id=city.id, to_stage=PipelineStage.AMBASSADOR,
                                     from_stage=PipelineStage.CANDIDATE,
                                     at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)))
    target = Target(metric=M.AMBASSADOR_CITIES, scope=ALL, value=2,
                    start_date=date(2018, 1, 1), deadline=date(2018, 12, 31))
    db.session.add(target)
    db.session.commit()
    p = targets.progress(target, today=date(2020, 1, 1))
    assert (p.status, p.current, p.value_today) == (TargetStatus.MISSED, 1, 2)


def test_city_targets_are_the_citys_own_published_or_not(world):
    def add(**values):
        values.setdefault("deadline", DEADLINE)
        target = Target(metric=M.ACTIVITIES, value=5, start_date=START, **values)
        db.session.add(target)
        return target

    later = add(scope=CITY, scope_ambassador_city_id=world["lisbon"].id, published=True,
                deadline=date(2027, 6, 1))
    sooner = add(scope=CITY, scope_ambassador_city_id=world["lisbon"].id, published=False)
    add(scope=CITY, scope_ambassador_city_id=world["lyon"].id)
    add(scope=ALL)
    add(scope=COUNTRY, scope_country="PT")
    db.session.commit()
    assert targets.city_targets(world["lisbon"].id) == [sooner, later]


# --- setting targets (what the coordinators' pages call) ----------------------------------------

LANGUAGES = ("en", "fr", "de")
TITLES = {"en": "Ten mayors", "fr": "Dix maires", "de": "Zehn Bürgermeister"}


def values(**changes) -> targets.TargetValues:
    fields = dict(metric=M.MAYORS_SIGNED, value=10, start_date=START, deadline=DEADLINE,
                  scope=COUNTRY, country="PT", titles=TITLES)
    return targets.TargetValues(**{**fields, **changes})


def stored(target_id: int) -> Target | None:
    db.session.expire_all()
    return db.session.get(Target, target_id)


@pytest.mark.parametrize(("scope", "country", "city"), [
    (ALL, None, None), (COUNTRY, "PT", None), (CITY, None, "lisbon")])
def test_a_target_keeps_only_the_place_its_scope_counts(world, scope, country, city):
    target = targets.create(values(scope=scope, country="PT", city_id=world["lisbon"].id),
                            languages=LANGUAGES)
    db.session.commit()
    target = stored(target.id)
    expected_city = world[city].id if city else None
    assert (target.scope, target.scope_country, target.scope_ambassador_city_id) == (
        scope, country, expected_city)
    assert targets.update(target, values(scope=ALL, country="FR"), languages=LANGUAGES)
    db.session.commit()
    target = stored(target.id)
    assert (target.scope, target.scope_country, target.scope_ambassador_city_id) == (
        ALL, None, None)


def test_a_target_is_published_only_with_a_title_in_every_language(app):
    assert targets.missing_titles({"en": "Ten", "fr": ""}, LANGUAGES) == ["fr", "de"]
    with pytest.raises(ValueError):
        targets.create(values(titles={"en": "Ten mayors"}, published=True), languages=LANGUAGES)
    target = targets.create(values(titles={"en": "Ten mayors"}), languages=LANGUAGES)
    db.session.commit()
    assert targets.publish(target, languages=LANGUAGES) == targets.Change.NEEDS_TITLES
    assert not stored(target.id).published
    with pytest.raises(ValueError):
        targets.update(target, values(titles={"en": "Ten mayors"}, published=True),
                       languages=LANGUAGES)
    assert targets.update(target, values(), languages=LANGUAGES)
    assert targets.publish(target, languages=LANGUAGES) == targets.Change.MADE
    db.session.commit()
    assert stored(target.id).published


def test_publishing_unpublishing_and_deleting_are_made_once(app):
    """Of two requests that read the target before either changed it, one makes the change
    and the other is told it was already made (and records nothing)."""
    target = targets.create(values(), languages=LANGUAGES)
    db.session.commit()
    assert targets.publish(target, languages=LANGUAGES) == targets.Change.MADE
    db.session.commit()
    set_committed_value(target, "published", False)  # the second request read it before
    assert targets.publish(target, languages=LANGUAGES) == targets.Change.ALREADY
    assert targets.unpublish(target) == targets.Change.MADE
    db.session.commit()
    set_committed_value(target, "published", True)
    assert targets.unpublish(target) == targets.Change.ALREADY
    db.session.commit()
    assert not stored(target.id).published

    other = targets.create(values(), languages=LANGUAGES)
    db.session.commit()
    assert targets.delete(other) == targets.Change.MADE
    db.session.commit()
    target_id = target.id
    target = stored(target_id)
    with db.engine.begin() as connection:  # another request deletes it first
        connection.execute(sa.delete(Target).where(Target.id == target_id))
    assert targets.delete(target) == targets.Change.ALREADY
    assert not targets.update(target, values(value=20), languages=LANGUAGES)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == 0


def test_the_coordinators_list_shows_every_target_the_published_first(app):
    later = targets.create(values(deadline=date(2027, 6, 1), published=True),
                           languages=LANGUAGES)
    draft = targets.create(values(titles={}), languages=LANGUAGES)
    sooner = targets.create(values(published=True), languages=LANGUAGES)
    db.session.commit()
    assert targets.for_coordinators() == [sooner, later, draft]

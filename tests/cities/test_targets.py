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


def test_achieved_stays_achieved_after_the_deadline_and_caps_the_bar():
    p = evaluate(130, 100, START, DEADLINE, date(2027, 3, 1))
    assert p.status == TargetStatus.ACHIEVED
    assert (p.fraction, p.percent, p.remaining, p.days_left, p.deadline_passed) == (
        1.0, 100, 0, 0, True)


def test_past_the_deadline_and_not_achieved_is_behind():
    p = evaluate(99, 100, START, DEADLINE, date(2027, 1, 1))
    assert (p.status, p.remaining, p.days_left, p.deadline_passed) == (
        TargetStatus.BEHIND, 1, 0, True)


def test_on_the_deadline_day_only_the_whole_value_is_enough():
    assert evaluate(99, 100, START, DEADLINE, DEADLINE).status == TargetStatus.BEHIND
    assert evaluate(100, 100, START, DEADLINE, DEADLINE).status == TargetStatus.ACHIEVED
    assert evaluate(99, 100, START, DEADLINE, DEADLINE).days_left == 0


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
    early = targets.progress(target, today=date(2026, 3, 1))  # 59 days: 49 expected
    assert (early.current, early.value, early.expected_now, early.status) == (
        150, 300, 49, TargetStatus.ON_TRACK)
    late = targets.progress(target, today=date(2026, 10, 1))  # 273 days: 225 expected
    assert (late.expected_now, late.status, late.remaining, late.days_left) == (
        225, TargetStatus.BEHIND, 150, 91)
    assert targets.progress(target, today=date(2026, 10, 1), current=300).status == (
        TargetStatus.ACHIEVED)


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

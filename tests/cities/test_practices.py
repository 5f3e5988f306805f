"""Best practices without HTTP: an ambassador submits one for their city, a coordinator publishes
it, and an edit takes it out of the public library until a coordinator has read it again. The
pages: tests/web/coordinate/test_pipeline_and_practices.py."""

from __future__ import annotations

import dataclasses

import pytest

from manifesto.cities import practices
from manifesto.extensions import db
from manifesto.models import BestPracticeStatus, PipelineStage, Role, Theme
from tests.support import factories

WRITTEN = practices.PracticeValues(
    title="Sign language at council meetings",
    summary="Every public meeting has an interpreter; the videos are captioned.",
    theme=Theme.DIGITAL_INCLUSION,
    language="pt",
    url="",
)


@pytest.fixture
def ambassador(app):
    city = factories.ambassador_city(name="Porto", stage=PipelineStage.AMBASSADOR)
    return factories.user(role=Role.AMBASSADOR, ambassador_city_id=city.id)


@pytest.fixture
def coordinator(app):
    return factories.user(role=Role.COORDINATOR)


def public() -> list[str]:
    return [p.title for p in practices.library()[0]]


def test_a_submitted_practice_is_the_authors_citys_and_waits_for_a_coordinator(ambassador):
    practice = practices.submit(ambassador, WRITTEN)
    db.session.commit()
    assert (practice.ambassador_city_id, practice.author_id, practice.status, practice.url) == (
        ambassador.ambassador_city_id, ambassador.id, BestPracticeStatus.SUBMITTED, None)
    assert practices.waiting() == [practice] and public() == []


def test_only_a_member_of_a_citys_team_submits(coordinator):
    with pytest.raises(ValueError):
        practices.submit(coordinator, WRITTEN)


def test_an_edit_unpublishes_and_says_whether_it_was_public(ambassador, coordinator):
    practice = practices.submit(ambassador, WRITTEN)
    practices.publish(practice, coordinator)
    db.session.commit()
    assert public() == [WRITTEN.title]

    edited = dataclasses.replace(WRITTEN, title="Interpreters",
                                 url="https://porto.example/interpreters")
    assert practices.update(practice, edited) is True
    db.session.commit()
    assert public() == []  # until a coordinator has read the change
    assert (practice.status, practice.published_at, practice.published_by_id) == (
        BestPracticeStatus.SUBMITTED, None, None)
    assert (practice.title, practice.url) == ("Interpreters", "https://porto.example/interpreters")
    assert practice.updated_at is not None
    assert practices.update(practice, WRITTEN) is False  # it was waiting already
    db.session.commit()
    assert practices.waiting() == [practice] and practice.url is None


def test_a_practice_of_another_city_is_not_the_ambassadors_own(ambassador):
    practice = practices.submit(ambassador, WRITTEN)
    other = factories.ambassador_city(name="Graz", country="AT")
    db.session.commit()
    assert practices.own_practice(ambassador.ambassador_city_id, practice.id) == practice
    assert practices.own_practice(other.id, practice.id) is None

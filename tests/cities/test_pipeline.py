"""The selection pipeline without HTTP: ``pipeline.move`` records what each stage needs, refuses
a move it does not allow (naming the missing details), and is a compare-and-set on the stage, so
a request that read the city before someone else moved it changes nothing. The pages:
tests/web/coordinate/test_pipeline_and_practices.py."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.cities import pipeline
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, PipelineEvent, PipelineStage, Role
from tests.support import factories

INTERVIEW = {"interview_date": date(2026, 1, 5), "interviewer": "Rui"}
COMMITMENT = {"commitment_date": date(2026, 2, 1), "commitment_statement": "We will.",
              "languages": ["pt", "en", "pt"], "countries": ["PT"]}


@pytest.fixture
def coordinator(app):
    return factories.user(role=Role.COORDINATOR)


def events(city: AmbassadorCity) -> list[tuple]:
    return [(e.from_stage, e.to_stage) for e in pipeline.history(city)]


def test_each_move_records_what_its_stage_needs_and_is_logged(coordinator):
    city = pipeline.add_candidate("Porto", "PT", coordinator)
    pipeline.move(city, PipelineStage.INTERVIEWED, coordinator, **INTERVIEW,
                  interview_notes="")
    pipeline.move(city, PipelineStage.AMBASSADOR, coordinator, **COMMITMENT)
    db.session.commit()
    db.session.expire_all()
    assert (city.stage, city.interviewer, city.interview_notes) == (
        PipelineStage.AMBASSADOR, "Rui", None)
    assert (city.languages, city.countries) == (["pt", "en"], ["PT"])
    assert events(city) == [(None, PipelineStage.CANDIDATE),
                            (PipelineStage.CANDIDATE, PipelineStage.INTERVIEWED),
                            (PipelineStage.INTERVIEWED, PipelineStage.AMBASSADOR)]


@pytest.mark.parametrize(("stage", "to_stage", "details", "missing"), [
    (PipelineStage.CANDIDATE, PipelineStage.INTERVIEWED, {"interview_date": date(2026, 1, 5),
                                                          "interviewer": ""}, ("interviewer",)),
    (PipelineStage.INTERVIEWED, PipelineStage.AMBASSADOR,
     {**COMMITMENT, "commitment_statement": "", "languages": []},
     ("commitment_statement", "languages")),
    (PipelineStage.CANDIDATE, PipelineStage.AMBASSADOR, COMMITMENT, ()),  # a stage skipped
    (PipelineStage.ALUMNI, PipelineStage.CANDIDATE, {}, ()),
])
def test_a_move_not_allowed_says_why_and_changes_nothing(coordinator, stage, to_stage, details,
                                                         missing):
    city = factories.ambassador_city(stage=stage)
    with pytest.raises(pipeline.MoveError) as refused:
        pipeline.move(city, to_stage, coordinator, **details)
    assert refused.value.missing == missing
    assert not isinstance(refused.value, pipeline.StageChanged)
    db.session.commit()
    db.session.expire_all()
    assert city.stage == stage and events(city) == []


def test_a_city_moved_meanwhile_is_not_moved_again(coordinator):
    city = factories.ambassador_city(stage=PipelineStage.CANDIDATE)
    pipeline.move(city, PipelineStage.INTERVIEWED, coordinator, **INTERVIEW)
    db.session.commit()
    # A second request read the city before the first one moved it.
    set_committed_value(city, "stage", PipelineStage.CANDIDATE)
    with pytest.raises(pipeline.StageChanged):
        pipeline.move(city, PipelineStage.INTERVIEWED, coordinator,
                      interview_date=date(2026, 1, 6), interviewer="Someone else")
    db.session.commit()
    db.session.expire_all()
    assert (city.stage, city.interviewer) == (PipelineStage.INTERVIEWED, "Rui")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PipelineEvent)) == 1

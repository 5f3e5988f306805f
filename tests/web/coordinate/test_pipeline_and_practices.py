"""Coordinators move cities through the pipeline and set their targets; ambassadors write best
practices; the public sees ambassador cities and published practices only."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    BestPractice,
    BestPracticeStatus,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    Role,
    Target,
    TargetScope,
)
from tests.support import factories


@pytest.fixture
def coordinator(client, auth):
    return auth.login_as(factories.user(role=Role.COORDINATOR, name="Clara Coordinator"))


def city_named(name: str) -> AmbassadorCity:
    return db.session.scalar(sa.select(AmbassadorCity).where(AmbassadorCity.name == name))


def test_a_city_goes_from_candidate_to_alumni_and_every_move_is_logged(client, coordinator):
    response = client.post("/en/coordinate/cities", data={"name": "Valencia", "country": "ES"})
    assert response.status_code == 303
    city = city_named("Valencia")
    assert city.stage == PipelineStage.CANDIDATE and city.referral_code

    page = client.get(f"/en/coordinate/cities/{city.id}").get_data(as_text=True)
    assert "Date of the interview" in page

    interviewed = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": "2026-10-02", "interviewer": "Ana Ruiz",
        "interview_notes": "Strong political backing; <b>budget</b> unclear.",
    })
    assert interviewed.status_code == 303
    committed = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "interviewed", "commitment_date": "2026-11-01",
        "commitment_statement": "Valencia will bring the Manifesto to 20 Spanish mayors.",
        "languages": ["es", "en"], "countries": ["ES", "PT"],
    })
    assert committed.status_code == 303
    db.session.expire_all()
    city = city_named("Valencia")
    assert city.stage == PipelineStage.AMBASSADOR
    assert city.languages == ["es", "en"] and city.countries == ["ES", "PT"]

    page = client.get(f"/en/coordinate/cities/{city.id}").get_data(as_text=True)
    assert "&lt;b&gt;budget&lt;/b&gt;" in page  # private notes, shown escaped
    assert page.count("Clara Coordinator") >= 3  # who made each move

    public = client.get("/es/ambassadors").get_data(as_text=True)
    assert "Valencia" in public and "20 Spanish mayors" in public
    assert "budget" not in public and "Ana Ruiz" not in public  # interview stays private

    assert client.post(f"/en/coordinate/cities/{city.id}/move",
                       data={"from_stage": "ambassador"}).status_code == 303
    events = db.session.scalars(sa.select(PipelineEvent).where(
        PipelineEvent.ambassador_city_id == city.id).order_by(PipelineEvent.id)).all()
    assert [(e.from_stage, e.to_stage) for e in events] == [
        (None, PipelineStage.CANDIDATE),
        (PipelineStage.CANDIDATE, PipelineStage.INTERVIEWED),
        (PipelineStage.INTERVIEWED, PipelineStage.AMBASSADOR),
        (PipelineStage.AMBASSADOR, PipelineStage.ALUMNI),
    ]
    assert all(e.by_user_id == coordinator.id for e in events)


def test_bad_pipeline_input_is_explained_and_kept(client, coordinator):
    assert client.post("/en/coordinate/cities", data={"name": "Porto", "country": "PT"}
                       ).status_code == 303
    duplicate = client.post("/en/coordinate/cities", data={"name": "porto", "country": "PT"})
    assert duplicate.status_code == 400
    assert "already in the pipeline" in duplicate.get_data(as_text=True)
    unknown = client.post("/fr/coordinate/cities", data={"name": "Atlantis", "country": "XX"})
    assert unknown.status_code == 400 and "Choisissez le pays" in unknown.get_data(as_text=True)

    city = city_named("Porto")
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": future, "interviewer": "Rui",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The date cannot be in the future." in page
    assert 'value="Rui"' in page
    response = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": "2010-01-01", "interviewer": "Rui",
    })
    page = response.get_data(as_text=True)
    assert "The date cannot be before the campaign" in page and "November 23, 2016" in page
    response = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": "31/02/2026", "interviewer": "Rui",
    })
    assert response.status_code == 400
    # A page loaded before someone else moved the city changes nothing.
    stale = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "interviewed", "commitment_date": "2026-11-01",
        "commitment_statement": "x", "languages": ["pt"], "countries": ["PT"]})
    assert stale.status_code == 303
    db.session.expire_all()
    assert city_named("Porto").stage == PipelineStage.CANDIDATE


@pytest.mark.parametrize(("stage", "data", "field", "message"), [
    (PipelineStage.CANDIDATE, {"interview_date": "2026-01-05", "interviewer": "   "},
     "interviewer", "Enter who led the interview."),
    (PipelineStage.INTERVIEWED, {"commitment_date": "2026-01-05", "commitment_statement": " ",
                                 "languages": ["pt"], "countries": ["PT"]},
     "commitment_statement", "Enter the commitment statement."),
])
def test_a_detail_of_spaces_only_is_asked_for_again_not_a_server_error(
    client, coordinator, stage, data, field, message
):
    city = factories.ambassador_city(name="Porto", country="PT", stage=stage)
    response = client.post(f"/en/coordinate/cities/{city.id}/move",
                           data={"from_stage": stage.value, **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and f'href="#{field}"' in page
    db.session.expire_all()
    assert city_named("Porto").stage == stage
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PipelineEvent)) == 0


def test_a_city_moved_by_someone_else_while_the_request_runs_is_not_moved_twice(
    client, coordinator, monkeypatch
):
    from manifesto.cities import pipeline

    city = factories.ambassador_city(name="Porto", country="PT", stage=PipelineStage.CANDIDATE)
    real_move = pipeline.move

    def someone_else_first(*args, **kwargs):
        with db.engine.begin() as connection:  # another coordinator's request, committed
            connection.execute(sa.update(AmbassadorCity).where(AmbassadorCity.id == city.id)
                               .values(stage=PipelineStage.INTERVIEWED, interviewer="Ana"))
        return real_move(*args, **kwargs)

    monkeypatch.setattr(pipeline, "move", someone_else_first)
    response = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": "2026-01-05", "interviewer": "Rui"},
        follow_redirects=True)
    assert "moved by someone else in the meantime" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (city_named("Porto").stage, city_named("Porto").interviewer) == (
        PipelineStage.INTERVIEWED, "Ana")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PipelineEvent)) == 0


@pytest.fixture
def server_time_zone():
    """Sets the server process's local time zone (``TZ``) for the test."""
    before = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_an_interview_held_today_is_not_in_the_future_whatever_the_servers_time_zone(
        client, coordinator, server_time_zone):
    """Where the coordinator is, today may already be tomorrow for the server: a date that is
    today somewhere on Earth is accepted, as in the outreach log."""
    server_time_zone("Etc/GMT+12")  # UTC-12, where each day begins last
    city = factories.ambassador_city(name="Apia", country="WS", stage=PipelineStage.CANDIDATE)
    today_in_samoa = (datetime.now(UTC) + timedelta(hours=13)).date()
    response = client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": today_in_samoa.isoformat(),
        "interviewer": "Rui",
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    assert city_named("Apia").stage == PipelineStage.INTERVIEWED


def test_coordinator_sets_and_deletes_a_city_target(client, coordinator):
    city = factories.ambassador_city(name="Lyon", country="FR", stage=PipelineStage.AMBASSADOR)
    bad = client.post(f"/en/coordinate/cities/{city.id}/targets", data={
        "metric": "mayors_signed", "value": "-5", "start_date": "2026-01-01",
        "deadline": "2025-12-31"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Enter a whole number from 1 to 10000000." in page
    assert "The deadline must be after the start date." in page
    good = client.post(f"/en/coordinate/cities/{city.id}/targets", data={
        "metric": "mayors_signed", "value": "5", "start_date": "2026-01-01",
        "deadline": "2026-12-31"})
    assert good.status_code == 303
    target = db.session.scalar(sa.select(Target))
    assert (target.scope, target.scope_ambassador_city_id, target.value) == (
        TargetScope.AMBASSADOR_CITY, city.id, 5)
    other = factories.ambassador_city(name="Graz", country="AT")
    assert client.post(f"/en/coordinate/cities/{other.id}/targets/{target.id}/delete"
                       ).status_code == 404
    assert client.post(f"/en/coordinate/cities/{city.id}/targets/{target.id}/delete"
                       ).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == 0


def test_best_practice_is_public_only_once_published(client, auth):
    city = factories.ambassador_city(name="Gent", country="BE", stage=PipelineStage.AMBASSADOR)
    other = factories.ambassador_city(name="Turku", country="FI", stage=PipelineStage.AMBASSADOR)
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=city)
    auth.login_as(ambassador)
    bad = client.post("/en/ambassador/practices", data={
        "title": "", "summary": "x" * 3001, "theme": "nonsense", "language": "en",
        "url": "javascript:alert(1)"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Enter a title.", "Use at most 3000 characters.", "Not a valid choice",
                    "Enter a web address such as https://example.org."):
        assert message in page, message
    assert client.post("/en/ambassador/practices", data={
        "title": "Breakfast with mayors <3", "summary": "Invite five mayors to breakfast.",
        "theme": "participation", "language": "en", "url": "gent.example/breakfast",
    }).status_code == 303
    practice = db.session.scalar(sa.select(BestPractice))
    assert practice.status == BestPracticeStatus.SUBMITTED and practice.url.startswith("https://")
    assert "Breakfast" not in client.get("/en/best-practices").get_data(as_text=True)

    foreign = BestPractice(ambassador_city_id=other.id, title="T", summary="S",
                           theme="mobility", language="fi")
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/en/ambassador/practices/{foreign.id}/edit").status_code == 404

    auth.login_as(factories.user(role=Role.COORDINATOR))
    queue = client.get("/en/coordinate/practices").get_data(as_text=True)
    assert "Breakfast with mayors &lt;3" in queue
    assert client.post(f"/en/coordinate/practices/{practice.id}/publish").status_code == 303
    library = client.get("/de/best-practices").get_data(as_text=True)
    assert "Breakfast with mayors &lt;3" in library and "Gent" in library
    assert "Turku" not in library  # nothing published there
    assert "Breakfast" not in client.get("/de/best-practices?theme=mobility").get_data(
        as_text=True)
    assert "Breakfast" in client.get(f"/de/best-practices?city={city.id}&language=en").get_data(
        as_text=True)
    assert client.get("/de/best-practices?city=abc&theme=%3Cx%3E&page=-1").status_code == 200

    auth.login_as(ambassador)
    assert client.post(f"/en/ambassador/practices/{practice.id}/edit", data={
        "title": "Breakfast with mayors", "summary": "Changed.", "theme": "participation",
        "language": "en"}).status_code == 303
    assert "Breakfast" not in client.get("/en/best-practices").get_data(as_text=True)


def test_the_public_page_shows_ambassador_cities_with_their_activity_totals(client):
    city = factories.ambassador_city(
        name="Tartu", country="EE", stage=PipelineStage.AMBASSADOR,
        commitment_statement="Tartu brings the Manifesto to Baltic mayors.",
        commitment_date=date(2026, 9, 1), languages=["en", "ru"], countries=["EE", "LV"])
    factories.ambassador_city(name="Candidate Town", country="EE")
    for people in (120, 30):
        db.session.add(OutreachActivity(
            ambassador_city_id=city.id, date=date(2026, 10, 1), type="workshop",
            title="Workshop", language="en", audience_reached=people, mayors_engaged=2,
            referral_code=f"workshop-{people}"))
    db.session.commit()
    page = client.get("/en/ambassadors").get_data(as_text=True)
    assert "Tartu" in page and "Baltic mayors" in page and "Latvia" in page
    assert "2 activities, 150 people reached, 4 mayors" in page
    assert "Candidate Town" not in page

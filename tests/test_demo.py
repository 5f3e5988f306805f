"""`flask --app wsgi demo`: plausible data, the campaign's targets, two logins; idempotent."""

from datetime import date

import sqlalchemy as sa

from manifesto.access.passwords import verify_password
from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from manifesto.extensions import db
from manifesto.models import (
    ActivityType,
    AmbassadorCity,
    BestPractice,
    BestPracticeStatus,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    Signatory,
    Signature,
    SignatureCount,
    Target,
    TargetMetric,
    User,
)

PASSWORD = "demo-password-2016"


def table_sizes():
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, AmbassadorCity, OutreachActivity, Signatory, Signature, Target,
                      BestPractice, PipelineEvent)}


def test_demo_loads_the_campaign_and_prints_the_logins(runner):
    result = runner.invoke(args=["demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert COORDINATOR_EMAIL in result.output and AMBASSADOR_EMAIL in result.output
    assert PASSWORD in result.output

    coordinator = db.session.scalar(sa.select(User).filter_by(email=COORDINATOR_EMAIL))
    assert verify_password(coordinator.password_hash, PASSWORD)

    stages = set(db.session.scalars(sa.select(AmbassadorCity.stage)))
    assert stages == set(PipelineStage)

    targets = {(t.metric, t.value, t.deadline) for t in db.session.scalars(sa.select(Target))}
    assert (TargetMetric.MAYORS_SIGNED, 50, date(2017, 12, 31)) in targets
    assert (TargetMetric.MAYORS_SIGNED, 150, date(2019, 12, 31)) in targets
    assert any(m == TargetMetric.ORGANISATIONS_SIGNED and v == 150 for m, v, _ in targets)
    assert any(m == TargetMetric.AMBASSADOR_CITIES and v == 10 for m, v, _ in targets)

    types = [a.type for a in db.session.scalars(sa.select(OutreachActivity))]
    assert types.count(ActivityType.WEBINAR) == 18
    for kind in (ActivityType.WORKSHOP, ActivityType.INTERVIEW, ActivityType.MEDIA):
        assert kind in types

    languages = set(db.session.scalars(sa.select(Signature.language)))
    assert languages == {"en", "fr", "de", "it", "pt", "ru", "es"}

    # The public library has practices in several languages, and one waits for a coordinator.
    practices = list(db.session.scalars(sa.select(BestPractice)))
    published = [p for p in practices if p.status == BestPracticeStatus.PUBLISHED]
    assert len({p.language for p in published}) >= 5
    assert any(p.status == BestPracticeStatus.SUBMITTED for p in practices)
    # Every city's history ends at its current stage.
    for city in db.session.scalars(sa.select(AmbassadorCity)):
        last = db.session.scalars(sa.select(PipelineEvent).filter_by(ambassador_city_id=city.id)
                                  .order_by(PipelineEvent.at.desc())).first()
        assert last.to_stage == city.stage
    # The demo ambassador's city has its own targets.
    lisbon = db.session.scalar(sa.select(AmbassadorCity).filter_by(name="Lisbon"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target).filter_by(
        scope_ambassador_city_id=lisbon.id)) == 3


def test_the_demo_pages_show_practices_history_and_targets(runner, client):
    runner.invoke(args=["demo", "--password", PASSWORD])
    library = client.get("/en/best-practices").get_data(as_text=True)
    assert "Eighteen short webinars instead of one conference" in library
    assert "Mapas de accesibilidad" not in library  # not published yet
    # Each practice's own words are marked with its language, the page's words are not.
    assert '<h2 id="bp-' in library and 'lang="ru">Открытые данные на трёх языках</h2>' in library
    assert 'lang="en">Eighteen short webinars' in library


def test_demo_is_idempotent(runner):
    assert runner.invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    before = table_sizes()
    result = runner.invoke(args=["demo", "--password", "another-password-1"])
    assert result.exit_code == 0, result.output
    assert table_sizes() == before
    coordinator = db.session.scalar(sa.select(User).filter_by(email=COORDINATOR_EMAIL))
    assert verify_password(coordinator.password_hash, "another-password-1")


def test_counters_equal_the_signature_rows(runner):
    runner.invoke(args=["demo", "--password", PASSWORD])
    counted = db.session.scalar(sa.select(sa.func.sum(SignatureCount.count)))
    assert counted == db.session.scalar(sa.select(sa.func.count()).select_from(Signature))


def test_demo_refuses_a_short_password(runner):
    result = runner.invoke(args=["demo", "--password", "short"])
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output


def test_demo_on_an_empty_database_says_to_upgrade(make_app):
    app = make_app(tables=False)
    result = app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "run: flask --app wsgi db upgrade" in result.output
    assert "Traceback" not in result.output


def test_demo_login_works_in_the_browser_flow(runner, auth):
    runner.invoke(args=["demo", "--password", PASSWORD])
    response = auth.login(COORDINATOR_EMAIL, PASSWORD, follow_redirects=True)
    assert "Logged in as Demo Coordinator" in response.get_data(as_text=True)

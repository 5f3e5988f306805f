"""Coordinators set, edit, publish and delete the campaign's targets; the public targets page
and the badges show the published ones, in the visitor's language, with honest numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from manifesto.cities import targets
from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    Role,
    SignatoryKind,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
)
from manifesto.signatures.counts import rebuild_signature_counts
from tests.support import factories

LANGS = ("en", "fr", "de", "it", "pt", "ru", "es")
TITLES = {
    "en": "20 organisations in Portugal", "fr": "20 organisations au Portugal",
    "de": "20 Organisationen in Portugal", "it": "20 organizzazioni in Portogallo",
    "pt": "20 organizações em Portugal", "ru": "20 организаций в Португалии",
    "es": "20 organizaciones en Portugal",
}


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def form(**changes) -> dict:
    data = {"metric": "organisations_signed", "scope": "country", "country": "PT",
            "ambassador_city": "", "value": "20", "start_date": "2026-01-01",
            "deadline": "2026-12-31", "published": "y",
            **{f"title_{lang}": title for lang, title in TITLES.items()}}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def coordinator(client, auth):
    return auth.login_as(factories.user(role=Role.COORDINATOR))


def signed(country: str, day: datetime, n: int = 1) -> None:
    for _ in range(n):
        signature = factories.signature(kind=SignatoryKind.ORGANISATION,
                                        status=SignatureStatus.CONFIRMED, country=country)
        signature.created_at = signature.confirmed_at = day
    db.session.commit()


def test_a_published_country_target_shows_in_every_language(client, coordinator, monkeypatch):
    signed("PT", datetime(2026, 3, 1, 10, tzinfo=UTC), 4)
    signed("PT", datetime(2026, 6, 1, 10, tzinfo=UTC), 2)
    signed("ES", datetime(2026, 6, 1, 10, tzinfo=UTC), 9)  # another country: not counted
    rebuild_signature_counts()
    db.session.commit()

    response = client.post("/en/coordinate/targets", data=form())
    assert response.status_code == 303
    target = db.session.scalar(sa.select(Target))
    assert (target.scope, target.scope_country, target.published) == (
        TargetScope.COUNTRY, "PT", True)
    assert target.titles == TITLES

    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 7, 1))
    page = text(client.get("/fr/targets"))
    assert "20 organisations au Portugal" in page
    assert "6 sur 20 (30 %)" in page
    # 2 in the last 90 days (April to July): 14 to go at 2/90 a day is 630 days.
    assert "22 mars 2028" in page
    page = text(client.get("/ru/targets"))
    assert "20 организаций в Португалии" in page

    badge = client.get(f"/de/targets/{target.id}/badge.svg")
    assert badge.status_code == 200 and badge.mimetype == "image/svg+xml"
    assert "max-age=300" in badge.headers["Cache-Control"]
    body = badge.get_data(as_text=True)
    assert "20 Organisationen in Portugal" in body and "6 von 20" in body
    assert "<script" not in body


def test_after_the_deadline_every_page_says_met_or_missed_and_forecasts_nothing(
        client, coordinator, monkeypatch):
    """Four organisations by June 30, two more in July: the target of five was missed, with 4
    at the deadline and 6 today; the same target of three was met on March 1st."""
    signed("PT", datetime(2025, 12, 31, 10, tzinfo=UTC), 3)  # before the start: not counted
    signed("PT", datetime(2026, 3, 1, 10, tzinfo=UTC), 3)
    signed("PT", datetime(2026, 6, 30, 23, tzinfo=UTC), 1)  # the deadline day counts
    signed("PT", datetime(2026, 7, 15, 10, tzinfo=UTC), 2)  # after it: today's count only
    rebuild_signature_counts()
    db.session.commit()
    assert client.post("/en/coordinate/targets", data=form(
        value="5", deadline="2026-06-30")).status_code == 303
    target = db.session.scalar(sa.select(Target))
    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 8, 1))

    public = text(client.get("/en/targets"))
    assert "Missed Missed 80%" not in public  # the label once, then the bar
    assert "Missed: 4 of 5 at the deadline. The deadline passed on June 30, 2026." in public
    assert "Counting what came after it: 6 today." in public
    assert "At the pace" not in public and "to go" not in public
    dashboard = text(client.get("/en/coordinate/dashboard"))
    assert ("Missed Missed: 4 of 5 at the deadline. The deadline passed on Jun 30, 2026. "
            "Counting what came after it: 6 today.") in dashboard
    assert "At the pace of the last 90 days it will be reached" not in dashboard
    listing = text(client.get("/en/coordinate/targets"))
    assert "4 of 5 at the deadline 6 today Missed" in listing
    badge = client.get(f"/en/targets/{target.id}/badge.svg").get_data(as_text=True)
    assert "Missed: 4 of 5 at the deadline · 6 today" in badge

    target.value = 3
    db.session.commit()
    public = text(client.get("/en/targets"))
    assert "Met on March 1, 2026. 4 of 3 at the deadline." in public
    assert "At the pace" not in public
    assert "Met Met on Mar 1, 2026. 4 of 3 at the deadline." in text(
        client.get("/en/coordinate/dashboard"))
    assert "Met Reached on Mar 1, 2026." in text(client.get("/en/coordinate/targets"))
    assert "Met: 4 of 3 at the deadline" in client.get(
        f"/en/targets/{target.id}/badge.svg").get_data(as_text=True)
    page = text(client.get("/fr/targets"))
    assert "Atteint le 1 mars 2026." in page


def test_bad_input_is_explained_and_kept(client, coordinator):
    cases = [
        (form(deadline="2025-12-31"), "The deadline must be after the start date."),
        (form(value="0"), "Enter a whole number from 1 to 10000000."),
        (form(value="-5"), "Enter a whole number from 1 to 10000000."),
        (form(country=""), "Choose the country."),
        (form(country="XX"), "Choose the country from the list."),
        (form(scope="ambassador_city"), "Choose the ambassador city."),
        (form(scope="ambassador_city", ambassador_city="999"),
         "Choose the ambassador city from the list."),
        (form(title_ru=""), "Enter the title in this language."),
        (form(title_de="x" * 201), "Use at most 200 characters."),
        (form(start_date="2016-01-01"), "The date cannot be before the campaign"),
        (form(metric="everything"), "Not a valid choice"),
    ]
    for data, message in cases:
        response = client.post("/en/coordinate/targets", data=data)
        assert response.status_code == 400, message
        body = response.get_data(as_text=True)
        assert message in text(response), message
        assert 'value="20 organizações em Portugal"' in body  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == 0


def test_edit_publish_unpublish_and_delete(client, coordinator):
    client.post("/en/coordinate/targets", data=form(published=None))
    target = db.session.scalar(sa.select(Target))
    assert not target.published
    assert "No target is published yet." in text(client.get("/en/targets"))
    assert client.get(f"/en/targets/{target.id}/badge.svg").status_code == 404

    edit = client.get(f"/en/coordinate/targets/{target.id}/edit")
    assert 'value="20 организаций в Португалии"' in edit.get_data(as_text=True)
    client.post(f"/en/coordinate/targets/{target.id}/edit",
                data=form(value="25", title_en="25 organisations in Portugal", published=None))
    db.session.refresh(target)
    assert target.value == 25 and target.titles["en"] == "25 organisations in Portugal"

    client.post(f"/en/coordinate/targets/{target.id}/publish")
    assert "25 organisations in Portugal" in text(client.get("/en/targets"))
    client.post(f"/en/coordinate/targets/{target.id}/unpublish")
    assert "No target is published yet." in text(client.get("/en/targets"))
    target_id = target.id
    client.post(f"/en/coordinate/targets/{target_id}/delete")
    db.session.expire_all()
    assert db.session.get(Target, target_id) is None


def test_a_target_without_every_title_cannot_be_published(client, coordinator):
    city = factories.ambassador_city(name="Lisbon", country="PT")
    target = Target(metric=TargetMetric.ACTIVITIES, scope=TargetScope.AMBASSADOR_CITY,
                    scope_ambassador_city_id=city.id, value=5, start_date=date(2026, 1, 1),
                    deadline=date(2026, 12, 31), titles={"en": "Five activities"})
    db.session.add(target)
    db.session.commit()
    response = client.post(f"/en/coordinate/targets/{target.id}/publish", follow_redirects=True)
    assert "Give the target a title in every language" in text(response)
    db.session.refresh(target)
    assert not target.published


def test_a_second_click_is_answered_alike_and_logged_once(client, coordinator):
    client.post("/en/coordinate/targets", data=form(published=None))
    target = db.session.scalar(sa.select(Target))
    for _ in range(2):
        response = client.post(f"/en/coordinate/targets/{target.id}/publish",
                               follow_redirects=True)
        assert "The target is published." in text(response)
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["create_target", "publish_target"]


def test_the_campaign_badge_counts_signatories_in_the_visitors_language(client):
    signed("FR", datetime(2026, 3, 1, tzinfo=UTC), 3)
    rebuild_signature_counts()
    db.session.commit()
    body = client.get("/fr/badge.svg").get_data(as_text=True)
    assert "3 signataires" in body
    assert 'lang="fr"' in body


@pytest.mark.parametrize(
    ("series", "today", "achieved_on", "projected_on"),
    [
        ([(date(2026, 1, 10), 5), (date(2026, 5, 1), 10)], date(2026, 6, 1), date(2026, 5, 1), None),
        ([(date(2026, 1, 10), 2)], date(2026, 6, 1), None, None),  # nothing in 90 days
        # 3 in the last 90 days, 7 to go: 210 days from today.
        ([(date(2026, 1, 10), 0), (date(2026, 4, 1), 3)], date(2026, 6, 1), None,
         date(2026, 12, 28)),
    ],
)
def test_forecast(series, today, achieved_on, projected_on):
    forecast = targets.forecast(10, series, today)
    assert (forecast.achieved_on, forecast.projected_on) == (achieved_on, projected_on)

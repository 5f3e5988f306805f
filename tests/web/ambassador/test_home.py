"""The ambassador's home: their own city, link, targets, signatures and outreach; no one else's."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from manifesto.cities import targets
from manifesto.extensions import db
from manifesto.models import (
    PipelineStage,
    Role,
    SignatoryKind,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
)
from tests.support import factories
from tests.support.outreach import activity, ambassador, attribute, city


@pytest.fixture
def client(app):
    factories.manifesto()
    return app.test_client()


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).split())


def add_target(of, metric=TargetMetric.ACTIVITIES, value=10, title="Ten activities", **values):
    values.setdefault("start_date", date(2026, 1, 1))
    values.setdefault("deadline", date(2026, 12, 31))
    target = Target(metric=metric, scope=TargetScope.AMBASSADOR_CITY,
                    scope_ambassador_city_id=of.id, value=value, titles={"en": title}, **values)
    db.session.add(target)
    db.session.commit()
    return target


def test_anonymous_visitors_log_in_and_others_are_refused(client, auth):
    response = client.get("/en/ambassador/")
    assert response.status_code == 302 and "/en/login" in response.headers["Location"]
    auth.login_as(Role.COORDINATOR)
    assert client.get("/en/ambassador/").status_code == 403
    assert client.get("/en/ambassador/activities").status_code == 403


def test_home_shows_the_city_and_its_absolute_referral_link(client):
    own, _user = ambassador(client, name="Lisbon", country="PT", referral_code="lisbon-code")
    response = client.get("/pt/ambassador/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Lisbon</h1>" in page
    assert "Portugal" in page
    assert re.search(r'<input[^>]+readonly value="http://localhost/pt/sign\?ref=lisbon-code"', page)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_home_shows_only_the_citys_own_numbers_and_targets(client):
    own, _user = ambassador(client, name="Lisbon")
    other = city(name="Bologna", country="IT")
    activity(own, audience_reached=120, mayors_engaged=3, organisations_engaged=4)
    activity(own, audience_reached=30, mayors_engaged=0, organisations_engaged=1)
    activity(other, audience_reached=9999, mayors_engaged=77, organisations_engaged=88)
    add_target(own, title="Lisbon: ten activities")
    add_target(other, title="Bologna: fifty activities", value=50)
    attribute(factories.signature(), of=own)
    attribute(factories.signature(), of=other)
    attribute(factories.signature(), of=other)

    page = text(client.get("/en/ambassador/"))
    assert "Lisbon: ten activities" in page
    assert "Bologna" not in page
    assert "2 activities logged" in page
    assert "150 people reached" in page
    assert "3 mayors engaged" in page
    assert "5 organisations engaged" in page
    # Whole numbers only: a referral code or a token in the page may hold the digits "77".
    assert not re.search(r"\b(9,999|77|88)\b", page)
    assert "1 signature through your links, 1 of them counted." in page


@pytest.mark.parametrize(
    ("today", "status", "details"),
    [
        (date(2026, 3, 1), "On track", "2 of 10 (20%). 8 to go. 305 days left."),
        (date(2026, 10, 1), "Behind", "2 of 10 (20%). 8 to go. 91 days left. To be on track: 8 by today."),
        (date(2027, 2, 1), "Missed",
         "Missed: 2 of 10 at the deadline. The deadline passed on December 31, 2026."),
        (date(2026, 12, 31), "Behind", "The deadline is today."),
    ],
)
def test_target_status_on_fixed_days(client, monkeypatch, today, status, details):
    own, _user = ambassador(client)
    activity(own, date=date(2026, 1, 10))
    activity(own, date=date(2026, 2, 20))
    activity(own, date=date(2025, 12, 31))  # before the target's start: not counted
    target = add_target(own, value=10)
    monkeypatch.setattr(targets, "today_utc", lambda: today)
    response = client.get("/en/ambassador/")
    page = text(response)
    assert "Ten activities Outreach activities ·" in page
    assert f"{status} 20%" in page
    assert details in page
    raw = response.get_data(as_text=True)
    assert re.search(rf'<progress class="target-bar" max="10" value="2"\s+aria-labelledby='
                     rf'"target-{target.id}"', raw)


def test_after_the_deadline_what_came_later_is_todays_count_only(client, monkeypatch):
    own, _user = ambassador(client)
    activity(own, date=date(2026, 1, 10))
    activity(own, date=date(2026, 12, 31))  # the deadline day counts
    for day in (1, 2):
        activity(own, date=date(2027, 1, day))  # after it: not toward the target
    target = add_target(own, value=3)
    monkeypatch.setattr(targets, "today_utc", lambda: date(2027, 2, 1))
    response = client.get("/en/ambassador/")
    page = text(response)
    assert "Missed: 2 of 3 at the deadline." in page
    assert "Counting what came after it: 4 today." in page
    assert "Achieved" not in page and "to go" not in page
    assert re.search(rf'<progress class="target-bar" max="3" value="2"\s+aria-labelledby='
                     rf'"target-{target.id}"', response.get_data(as_text=True))
    activity(own, date=date(2026, 6, 1))
    page = text(client.get("/en/ambassador/"))
    assert "Met 100% Met on December 31, 2026. 3 of 3 at the deadline." in page
    assert "Counting what came after it: 5 today." in page


def test_an_achieved_target_and_an_unpublished_one(client, monkeypatch):
    own, _user = ambassador(client)
    for day in (1, 2, 3):
        activity(own, audience_reached=100, date=date(2026, 1, day))
    add_target(own, metric=TargetMetric.PEOPLE_REACHED, value=250, title="Reach 250 people",
               published=False)
    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 2, 1))
    page = text(client.get("/en/ambassador/"))
    assert "Reach 250 people" in page and "not published" in page
    assert "Achieved" in page and "300 of 250 (100%). Target reached." in page


def test_signatures_are_counts_by_status_and_kind_never_names(client):
    own, _user = ambassador(client)
    made = [
        (SignatoryKind.ORGANISATION, SignatureStatus.PENDING),
        (SignatoryKind.ORGANISATION, SignatureStatus.CONFIRMED),
        (SignatoryKind.MAYOR, SignatureStatus.CONFIRMED),
        (SignatoryKind.MAYOR, SignatureStatus.VERIFIED),
        (SignatoryKind.DELEGATE, SignatureStatus.VERIFIED),
        (SignatoryKind.ORGANISATION, SignatureStatus.WITHDRAWN),
    ]
    signatures = [attribute(factories.signature(kind=k, status=s), of=own) for k, s in made]
    flagged = attribute(factories.signature(), of=own)
    flagged.flagged = True
    db.session.commit()
    response = client.get("/en/ambassador/")
    page = text(response)
    assert "5 signatures through your links, 3 of them counted." in page
    assert "Waiting for e-mail confirmation 1" in page
    assert "Confirmed 2" in page
    assert "Confirmed and verified 2" in page
    assert "Counted 3" in page
    assert "Organisation 2" in page and "Mayor 2" in page and "Mayor (signed by a delegate) 1" in page
    raw = response.get_data(as_text=True)
    for signature in [*signatures, flagged]:
        who = signature.signatory
        assert who.contact_email not in raw and who.contact_name not in raw
        assert (who.organisation_name or who.mayor_name) not in raw


def test_a_city_that_is_not_an_ambassador_is_told_its_links_do_not_attribute(client):
    ambassador(client, stage=PipelineStage.ALUMNI)
    page = text(client.get("/en/ambassador/"))
    assert "Alumni" in page
    assert "signatures made through its links are not attributed to it" in page


def test_home_offers_the_live_counter_to_embed(client):
    own, _user = ambassador(client, name="Lisbon")
    page = client.get("/fr/ambassador/").get_data(as_text=True)
    assert '<img src="http://localhost/fr/badge.svg" width="380" height="64"' in page
    # The snippet links to the sign page through the city's referral link.
    import html
    snippet = html.unescape(re.search(r'<textarea id="badge-1"[^>]*>(.*?)</textarea>', page).group(1))
    assert snippet == (f'<a href="http://localhost/fr/sign?ref={own.referral_code}"><img '
                       'src="http://localhost/fr/badge.svg" width="380" height="64" '
                       'alt="Manifeste pour des villes intelligentes inclusives"></a>')

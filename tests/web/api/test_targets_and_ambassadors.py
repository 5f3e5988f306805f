"""/targets: published targets with the progress and projection the campaign's own rules give;
/ambassadors: the public page's cities, their totals and published practices."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from config import LANGUAGES
from manifesto.cities import targets
from manifesto.extensions import db
from manifesto.models import ActivityType, OutreachActivity
from tests.support.api import campaign

TODAY = date(2026, 3, 15)


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(targets, "today_utc", lambda: TODAY)
    return campaign()


def test_only_published_targets_nearest_deadline_first(world, client):
    answer = client.get("/api/v1/targets").get_json()
    assert answer["today"] == "2026-03-15"
    ids = [t["id"] for t in answer["targets"]]
    assert ids == [world.targets[name].id for name in ("ghent", "world", "italy")]


def test_a_target_of_a_city_not_public_is_left_out(world, client):
    """Publishing a target must not publish a candidate city."""
    candidate = world.targets["candidate"]
    assert candidate.published
    assert candidate.id not in [t["id"] for t in client.get("/api/v1/targets").get_json()["targets"]]


def test_progress_and_forecast_are_the_campaigns_own(world, client):
    for item in client.get("/api/v1/targets").get_json()["targets"]:
        target = next(t for t in world.targets.values() if t.id == item["id"])
        progress = targets.progress(target, TODAY)
        forecast = targets.forecast(target.value, targets.target_history(target), TODAY,
                                    target.start_date, target.deadline)
        assert item["progress"] == {
            "current": progress.current, "percent": progress.percent,
            "status": progress.status.value, "remaining": progress.remaining,
            "days_left": progress.days_left, "expected_now": progress.expected_now,
            "deadline_passed": progress.deadline_passed,
            "reached_on": progress.reached_on and progress.reached_on.isoformat(),
            "value_today": progress.value_today,
        }
        assert item["forecast"] == {
            "pace_per_day": round(forecast.pace_per_day, 4),
            "achieved_on": forecast.achieved_on and forecast.achieved_on.isoformat(),
            "projected_on": forecast.projected_on and forecast.projected_on.isoformat(),
        }


def test_a_target_in_detail(world, client):
    ghent, world_target, italy = client.get("/api/v1/targets").get_json()["targets"]
    assert ghent == {
        "id": world.targets["ghent"].id,
        "metric": "activities",
        "scope": "ambassador_city",
        "scope_country": None,
        "scope_ambassador_city": {"id": world.cities["ghent"].id, "name": "Ghent"},
        "value": 2,
        "start_date": "2026-01-01",
        "deadline": "2026-06-30",
        "titles": {lang: "Two activities" for lang in LANGUAGES},
        "progress": {"current": 2, "percent": 100, "status": "achieved", "remaining": 0,
                     "days_left": 107, "expected_now": 1, "deadline_passed": False,
                     "reached_on": "2026-03-09", "value_today": 2},
        "forecast": {"pace_per_day": round(2 / 73, 4), "achieved_on": "2026-03-09",
                     "projected_on": None},
    }
    # Three organisations count (confirmed since the start) of ten by the end of the year.
    assert world_target["progress"]["current"] == 3
    assert world_target["forecast"]["projected_on"] is not None
    assert (italy["scope"], italy["scope_country"], italy["scope_ambassador_city"]) == (
        "country", "IT", None)
    assert italy["progress"]["current"] == 1


def test_after_the_deadline_met_or_missed_and_no_forecast(world, client, monkeypatch):
    """Ghent's two activities by June 30 were met on March 9; what it logs after the deadline
    is today's count only; the others, still running, keep their forecast."""
    ghent = world.cities["ghent"]
    db.session.add(OutreachActivity(
        ambassador_city_id=ghent.id, date=date(2026, 7, 2), type=ActivityType.EVENT,
        title="After the deadline", language="en", audience_reached=1, mayors_engaged=0,
        referral_code="after-the-deadline"))
    db.session.commit()
    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 7, 15))
    ghent_target = client.get("/api/v1/targets").get_json()["targets"][0]
    assert ghent_target["progress"] == {
        "current": 2, "percent": 100, "status": "met", "remaining": 0, "days_left": 0,
        "expected_now": 2, "deadline_passed": True, "reached_on": "2026-03-09",
        "value_today": 3}
    assert ghent_target["forecast"]["projected_on"] is None
    world.targets["ghent"].value = 3
    db.session.commit()
    item = client.get("/api/v1/targets").get_json()["targets"][0]
    assert (item["progress"]["status"], item["progress"]["current"],
            item["progress"]["reached_on"], item["progress"]["value_today"]) == (
        "missed", 2, None, 3)
    assert item["forecast"] == {"pace_per_day": item["forecast"]["pace_per_day"],
                                "achieved_on": None, "projected_on": None}
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/targets.csv").get_data(as_text=True).removeprefix("\ufeff"))))
    assert (rows[0]["status"], rows[0]["current"], rows[0]["deadline_passed"],
            rows[0]["reached_on"], rows[0]["value_today"], rows[0]["projected_on"]) == (
        "missed", "2", "true", "", "3", "")


def test_titles_in_every_language_english_where_missing(world, client):
    titles = client.get("/api/v1/targets").get_json()["targets"][1]["titles"]
    assert titles == {"en": "Ten organisations", "fr": "Dix organisations",
                      "de": "Ten organisations", "it": "Ten organisations",
                      "pt": "Ten organisations", "ru": "Десять организаций",
                      "es": "Ten organisations"}
    body = client.get("/api/v1/targets").get_data()
    assert "Десять организаций".encode() in body  # UTF-8 as such, not \u escapes


def test_targets_csv(world, client):
    response = client.get("/api/v1/targets.csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [world.targets[n].id for n in ("ghent", "world", "italy")]
    assert rows[0]["scope_ambassador_city_name"] == "Ghent"
    assert rows[0]["status"] == "achieved" and rows[0]["achieved_on"] == "2026-03-09"
    assert rows[1]["title_ru"] == "Десять организаций" and rows[1]["title_de"] == "Ten organisations"
    assert rows[1]["scope_ambassador_city_id"] == ""


# --- ambassador cities ---------------------------------------------------------------------------


def test_ambassador_cities_are_the_public_pages(world, client):
    cities = client.get("/api/v1/ambassadors").get_json()["cities"]
    page = client.get("/en/ambassadors").get_data(as_text=True)
    on_page = [name for name in re.findall(r'<h2 id="city-\d+">([^,<]+),', page)]
    assert [c["name"] for c in cities] == on_page == ["Ghent", "Lisbon"]
    assert [c["stage"] for c in cities] == ["ambassador", "alumni"]


def test_an_ambassador_city_in_detail(world, client):
    ghent, lisbon = client.get("/api/v1/ambassadors").get_json()["cities"]
    [practice] = ghent.pop("best_practices")
    assert ghent == {
        "id": world.cities["ghent"].id,
        "name": "Ghent",
        "country": "BE",
        "stage": "ambassador",
        "commitment_date": "2026-02-01",
        "commitment_statement": "We commit to bring ten mayors.",
        "languages": ["nl", "fr"],
        "countries": ["BE", "NL"],
        "outreach": {"activities": 2, "people_reached": 140, "mayors_engaged": 3,
                     "organisations_engaged": 5},
    }
    assert {k: practice[k] for k in ("title", "theme", "language", "url")} == {
        "title": "Mayors' breakfast", "theme": "participation", "language": "en",
        "url": "https://ghent.example/bp"}
    assert lisbon["outreach"] == {"activities": 0, "people_reached": 0, "mayors_engaged": 0,
                                  "organisations_engaged": 0}
    assert lisbon["best_practices"] == []


def test_ambassadors_csv(world, client):
    world.cities["lisbon"].commitment_statement = "=1+1"
    db.session.commit()
    text = client.get("/api/v1/ambassadors.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(r["name"], r["stage"], r["activities"], r["people_reached"], r["best_practices"])
            for r in rows] == [("Ghent", "ambassador", "2", "140", "1"),
                               ("Lisbon", "alumni", "0", "0", "0")]
    assert rows[0]["languages"] == "nl fr"
    assert rows[1]["commitment_statement"] == "'=1+1"

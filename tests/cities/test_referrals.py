"""Referral codes: one generator for cities and activities, never a code already in use."""

from __future__ import annotations

import re
from datetime import date

from manifesto.cities import outreach, pipeline, referrals
from tests.support.outreach import activity, city


def drawn(monkeypatch, *codes: str) -> None:
    """The generator draws ``codes``, in this order."""
    pending = iter(codes)
    monkeypatch.setattr(referrals, "_code", lambda: next(pending))


def test_codes_are_sixteen_url_safe_characters_and_differ(app):
    codes = referrals.new_codes(50)
    assert len(set(codes)) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", code) for code in codes)


def test_a_code_a_city_or_an_activity_already_has_is_not_given_again(app, monkeypatch):
    own = city(referral_code="city-code")
    activity(own, referral_code="activity-code")
    drawn(monkeypatch, "city-code", "activity-code", "fresh-1", "fresh-2")
    assert sorted(referrals.new_codes(2)) == ["fresh-1", "fresh-2"]


def test_a_new_candidate_city_gets_a_code_no_activity_has(app, monkeypatch):
    activity(city(), referral_code="taken-by-an-activity")
    drawn(monkeypatch, "taken-by-an-activity", "the-citys-own")
    made = pipeline.add_candidate("Braga", "PT", None)
    assert made.referral_code == "the-citys-own"


def test_a_new_activity_gets_a_code_no_city_has(app, monkeypatch):
    own = city(referral_code="taken-by-a-city")
    drawn(monkeypatch, "taken-by-a-city", "the-activitys-own")
    values = {"date": date(2024, 5, 1), "type": "workshop", "title": "Workshop",
              "language": "pt"}
    assert outreach.create(own, None, values).referral_code == "the-activitys-own"

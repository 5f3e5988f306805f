"""Which targets the public sees: one rule (``targets.public_targets``) for the page /targets,
the badges and the API. A target a coordinator published for a city that is only a candidate
stays hidden everywhere: publishing it must not publish the candidacy."""

from __future__ import annotations

import re
from datetime import date

import pytest

from manifesto import targets
from manifesto.extensions import db
from manifesto.models import PipelineStage
from tests.support.api import campaign


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 3, 15))
    return campaign()


def page_ids(client) -> list[int]:
    html = client.get("/en/targets").get_data(as_text=True)
    return [int(n) for n in re.findall(r'<article class="target" aria-labelledby="target-(\d+)"', html)]


def api_ids(client) -> list[int]:
    return [t["id"] for t in client.get("/api/v1/targets").get_json()["targets"]]


def test_the_page_and_the_api_list_the_same_targets(world, client):
    candidate = world.targets["candidate"]
    assert candidate.published and candidate.scope_ambassador_city.stage == PipelineStage.CANDIDATE
    expected = [world.targets[name].id for name in ("ghent", "world", "italy")]
    assert page_ids(client) == api_ids(client) == expected
    assert [t.id for t in targets.public_targets()] == expected
    html = client.get("/en/targets").get_data(as_text=True)
    assert "Candidate&#39;s goal" not in html and "Candidate's goal" not in html


def test_a_candidate_citys_target_has_no_badge(world, client):
    candidate = world.targets["candidate"]
    assert client.get(f"/en/targets/{candidate.id}/badge.svg").status_code == 404
    assert client.get(f"/en/targets/{world.targets['hidden'].id}/badge.svg").status_code == 404
    assert client.get(f"/en/targets/{world.targets['ghent'].id}/badge.svg").status_code == 200


def test_the_target_appears_everywhere_once_its_city_is_selected(world, client):
    candidate = world.targets["candidate"]
    candidate.scope_ambassador_city.stage = PipelineStage.AMBASSADOR
    db.session.commit()
    assert candidate.id in page_ids(client)
    assert page_ids(client) == api_ids(client)
    assert client.get(f"/en/targets/{candidate.id}/badge.svg").status_code == 200
    assert targets.is_public(candidate)

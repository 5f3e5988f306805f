"""The pages and the API say the same thing, for every rule they share: who is on the public
list (``public_list``), what has been counted (``counts``), which targets are public
(``targets.public_targets``). Each rule is written once; these tests would catch a copy that
drifted from it, as the targets rule once did (a candidate city's target was on /targets and
its badge, but not in the API).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from babel.dates import format_date
from flask_babel import force_locale

from manifesto.cities import targets
from manifesto.core import csvsafe
from manifesto.core.i18n import country_name
from manifesto.core.labels import KIND_SHORT_LABELS
from manifesto.extensions import db
from manifesto.models import PipelineStage, SignatoryKind, SignatureStatus
from manifesto.signatures import signing
from manifesto.signatures.counts import rebuild_signature_counts
from manifesto.web.public import routes as public_routes
from tests.support import factories
from tests.support.api import (
    CONFIRMED,
    DELEGATE,
    MAYOR,
    ORG,
    VERIFIED,
    campaign,
    signature,
    stat_values,
)


@pytest.fixture
def world(app, monkeypatch):
    """``tests.web.api.campaign`` (listed: two organisations, a mayor and a delegate; never listed:
    one who did not agree, one unconfirmed, an unverified mayor, a flagged one), and more names
    to search for, a second mayor and delegate, and signatures withdrawn and rejected after
    they were listed."""
    monkeypatch.setattr(targets, "today_utc", lambda: date(2026, 3, 15))
    world = campaign()
    world.listed += [
        signature(ORG, VERIFIED, "DE", "de", name="Straße der Zukunft e.V.",
                  themes=["participation", "energy"]),
        signature(MAYOR, VERIFIED, "PT", "pt", name="Óbidos", themes=["energy"]),
        signature(DELEGATE, VERIFIED, "FR", "fr", name="Villeneuve", themes=["mobility"]),
        signature(ORG, CONFIRMED, "IT", "it", name="VILLE Aperta", themes=["housing"]),
    ]
    for n, made in enumerate(world.listed[-4:]):  # after the campaign's, one a day
        made.public_since = datetime(2026, 5, 1 + n, 23, 30, tzinfo=UTC)
    withdrawn = signature(ORG, CONFIRMED, "FR", "fr", name="Ville Retirée", themes=["energy"])
    rejected = signature(MAYOR, VERIFIED, "PT", "pt", name="Évoramonte", themes=["energy"])
    assert withdrawn.public_since is not None and rejected.public_since is not None
    assert signing.withdraw(withdrawn)
    assert signing.reject(rejected, factories.user(), "No mandate") == signing.Decision.DONE
    db.session.commit()
    world.hidden += [withdrawn, rejected]
    world.listed.sort(key=lambda made: made.public_since, reverse=True)
    rebuild_signature_counts()
    db.session.commit()
    return world


HIDDEN_NAMES = ("Quiet Cooperative", "Pending Society", "Toledo", "Flagged Fabrik",
                "Ville Retirée", "Évoramonte")


# --- who is on the list --------------------------------------------------------------------------


def page_rows(client, query: str) -> list[tuple[str, str, str, str, str]]:
    """The list page's rows as a visitor reads them: name, kind, city, country, date."""
    page = client.get("/en/signatories" + query)
    assert page.status_code == 200
    listing = page.get_data(as_text=True).split('id="by-country"')[0]
    return [tuple(html.unescape(cell).strip() for cell in row) for row in re.findall(
        r'<tr>\s*<th scope="row">(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>'
        r'\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>', listing)]


def api_items(client, query: str, per_page: int = 200) -> dict:
    sep = "&" if query else "?"
    answer = client.get(f"/api/v1/signatories{query}{sep}per_page={per_page}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def as_on_the_page(item: dict) -> tuple[str, str, str, str, str]:
    """An API item written as the English list page writes it."""
    kind = SignatoryKind(item["kind"])
    with force_locale("en"):
        label = str(KIND_SHORT_LABELS[kind])
        name = item["name"] if kind == SignatoryKind.ORGANISATION else f"Mayor of {item['name']}"
        return (name, label, item["city"], country_name(item["country"], "en"),
                format_date(date.fromisoformat(item["listed_on"]), "medium", locale="en"))


def csv_names(client, query: str) -> list[str]:
    text = client.get("/api/v1/signatories.csv" + query).get_data(as_text=True)
    return [csvsafe.restore(row["name"])  # a name that looks like a formula is neutralised
            for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))]


FILTERS = [
    "",
    "?kind=mayor",  # mayors and the delegates who sign for them
    "?kind=delegate",
    "?kind=organisation",
    "?country=FR",
    "?country=pt",
    "?theme=energy",
    "?theme=housing",
    "?language=fr",
    "?language=it",
    "?q=VILLE",
    "?q=ville",
    "?q=" + quote("ÉVORA"),
    "?q=" + quote("évora"),
    "?q=STRASSE",  # "ß" folds to "ss"
    "?q=" + quote("  ville   ouv "),
    "?q=" + quote("óbidos"),
    "?q=nobody",
    "?kind=mayor&country=PT",
    "?kind=mayor&country=FR",
    "?kind=organisation&country=FR&theme=energy",
    "?kind=organisation&language=de&theme=participation",
    "?country=FR&q=ville",
    "?theme=energy&language=pt&kind=mayor",
    "?kind=organisation&country=IT&theme=housing&language=it&q=aperta",
]


def test_the_page_and_the_api_list_the_same_signatories(world, client):
    for query in FILTERS:
        items = api_items(client, query)["items"]
        assert page_rows(client, query) == [as_on_the_page(item) for item in items], query
        assert csv_names(client, query) == [item["name"] for item in items], query
        assert not set(HIDDEN_NAMES) & {item["name"] for item in items}, query


def test_the_filters_are_not_empty_handed(world, client):
    """The spread above means something: each kind of filter finds someone, and someone else
    not; "mayor" includes the delegates."""
    def names(query):
        return sorted(item["name"] for item in api_items(client, query)["items"])

    assert len(names("")) == 8
    assert names("?kind=mayor") == ["Bologna", "Villeneuve", "Évora", "Óbidos"]
    assert names("?kind=mayor&country=FR") == ["Villeneuve"]
    assert names("?q=" + quote("ÉVORA")) == ["Évora"]
    assert names("?q=STRASSE") == ["Straße der Zukunft e.V."]
    assert names("?q=VILLE") == names("?q=ville") == [
        "VILLE Aperta", "Ville Ouverte", "Villeneuve"]
    assert names("?kind=organisation&country=IT&theme=housing&language=it&q=aperta") == [
        "VILLE Aperta"]


def test_who_is_hidden_is_in_neither(world, client):
    """Not agreed to be listed, unconfirmed, a mayor not verified, flagged, withdrawn, rejected:
    on no page of the list and in no answer of the API, whatever the search."""
    for made in world.hidden:
        assert made.public_since is None
    statuses = {made.status for made in world.hidden}
    assert {SignatureStatus.WITHDRAWN, SignatureStatus.REJECTED, SignatureStatus.PENDING} <= statuses
    for name in HIDDEN_NAMES:
        query = "?q=" + quote(name)
        assert page_rows(client, query) == []
        assert api_items(client, query)["items"] == []
        assert csv_names(client, query) == []


def test_page_after_page_the_same_rows(world, client, monkeypatch):
    monkeypatch.setattr(public_routes, "PER_PAGE", 3)
    for query in ("", "?kind=mayor", "?country=FR&q=ville"):
        everyone = api_items(client, query)["items"]
        for number in (1, 2, 3):
            sep = "&" if query else "?"
            answer = api_items(client, f"{query}{sep}page={number}", per_page=3)
            on_the_page = page_rows(client, f"{query}{sep}page={number}")
            assert on_the_page == [as_on_the_page(item) for item in answer["items"]]
            assert answer["items"] == everyone[(number - 1) * 3:number * 3]
            page = client.get(f"/en/signatories{query}{sep}page={number}").get_data(as_text=True)
            assert ('rel="next"' in page) is (answer["next"] is not None)


# --- what has been counted -----------------------------------------------------------------------


def test_the_home_page_counts_are_the_apis(world, client):
    counted = client.get("/api/v1/counts").get_json()["counted"]
    home = client.get("/en/").get_data(as_text=True)
    mayors, organisations, countries, cities = stat_values(home)
    assert counted == {"organisations": organisations, "mayors": mayors,
                       "total": organisations + mayors, "countries": countries,
                       "ambassador_cities": cities}
    # Counted: 4 organisations (one not listed); 4 mayors (2 by delegates); the withdrawn
    # and the rejected no more, the unconfirmed, unverified and flagged not yet.
    assert (counted["organisations"], counted["mayors"]) == (5, 4)
    assert api_items(client, "")["total"] == counted["total"]


def test_the_home_pages_countries_are_the_apis(world, client):
    by_country = client.get("/api/v1/counts").get_json()["by_country"]
    home = client.get("/en/").get_data(as_text=True)
    shown = {html.unescape(name): int(n) for name, n in re.findall(
        r'<tr><th scope="row">(.*?)</th><td class="num">([\d,]+)</td></tr>', home)}
    assert shown == {country_name(code, "en"): c["organisations"] + c["mayors"]
                     for code, c in by_country.items()}


def test_the_list_pages_counts_are_the_apis(world, client):
    counts = client.get("/api/v1/counts").get_json()
    page = client.get("/en/signatories").get_data(as_text=True)
    organisations, mayors, countries = map(int, re.search(
        r"(\d+) organisations and (\d+) mayors have signed the Manifesto in (\d+) countries",
        page).groups())
    counted = counts["counted"]
    assert (organisations, mayors, countries) == (
        counted["organisations"], counted["mayors"], counted["countries"])
    table = page.split('id="by-country"')[1]
    shown = {html.unescape(name): [int(o), int(m)] for name, o, m in re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
        table)}
    assert shown == {country_name(code, "en"): [c["organisations"], c["mayors"]]
                     for code, c in counts["by_country"].items()}


@pytest.mark.parametrize("query", ["?kind=organisation", "?kind=mayor", "?country=PT",
                                   "?kind=mayor&country=PT"])
def test_a_filtered_total_is_the_counters(world, client, query):
    """The API's ``total`` for a kind or a country is what the counters the pages show say."""
    counts = client.get("/api/v1/counts").get_json()
    by_country = counts["by_country"]
    kind = re.search(r"kind=(\w+)", query)
    country = re.search(r"country=(\w+)", query)
    expected = sum(
        (c["organisations"] if kind is None or kind[1] == "organisation" else 0)
        + (c["mayors"] if kind is None or kind[1] == "mayor" else 0)
        for code, c in by_country.items() if country is None or code == country[1])
    assert api_items(client, query)["total"] == expected


# --- which targets are public --------------------------------------------------------------------


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


def test_every_public_targets_badge_says_what_the_api_says(world, client):
    for target in client.get("/api/v1/targets").get_json()["targets"]:
        badge = client.get(f"/en/targets/{target['id']}/badge.svg").get_data(as_text=True)
        progress = target["progress"]
        assert f"{progress['current']} of {target['value']}" in badge


@pytest.mark.parametrize("today", [date(2026, 3, 15), date(2026, 7, 15), date(2027, 1, 15)])
def test_the_page_the_badge_and_the_api_give_each_target_the_same_status(
        world, client, monkeypatch, today):
    """Before, around and after the deadlines (Ghent's is June 30): achieved, on track or
    behind, then met or missed, alike everywhere."""
    monkeypatch.setattr(targets, "today_utc", lambda: today)
    html = client.get("/en/targets").get_data(as_text=True)
    on_page = dict(re.findall(
        r'<article class="target" aria-labelledby="target-(\d+)">.*?class="status status-(\w+)"',
        html, re.S))
    answer = client.get("/api/v1/targets").get_json()
    assert answer["today"] == today.isoformat()
    in_api = {str(t["id"]): t["progress"]["status"] for t in answer["targets"]}
    assert on_page == in_api
    for target in answer["targets"]:
        badge = client.get(f"/en/targets/{target['id']}/badge.svg").get_data(as_text=True)
        label = {"achieved": "Achieved", "on_track": "On track", "behind": "Behind",
                 "met": "Met", "missed": "Missed"}[target["progress"]["status"]]
        assert label in badge
        passed = date.fromisoformat(target["deadline"]) < today
        assert target["progress"]["deadline_passed"] == passed
        assert (target["progress"]["status"] in {"met", "missed"}) == passed
        if passed:
            assert target["forecast"]["projected_on"] is None

"""/signatories: the list page's rows and filters, page by page; only public fields; and who
did not agree, is not counted yet, or is held for a coordinator is never there."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import public_name
from tests.support.api import FORMULA, campaign


@pytest.fixture
def world(app):
    return campaign()


def listing(client, query: str = "") -> dict:
    response = client.get("/api/v1/signatories" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def names(client, query: str = "") -> list[str]:
    return [item["name"] for item in listing(client, query)["items"]]


def html_rows(client, query: str = "") -> list[str]:
    page = client.get("/en/signatories" + query).get_data(as_text=True)
    return [html.unescape(name) for name in re.findall(r'<th scope="row">(.*?)</th>',
                                                       page.split('id="by-country"')[0])]


def as_on_the_page(item: dict) -> str:
    return item["name"] if item["kind"] == "organisation" else f"Mayor of {item['name']}"


@pytest.mark.parametrize("query", ["", "?kind=mayor", "?kind=organisation", "?country=FR",
                                   "?language=it", "?theme=energy", "?q=VILLE", "?q=évora"])
def test_the_rows_are_the_list_pages_rows_in_its_order(world, client, query):
    items = listing(client, query)["items"]
    assert items
    assert [as_on_the_page(item) for item in items] == html_rows(client, query)


def test_total_is_the_count_the_list_page_gives(world, client):
    page = client.get("/en/signatories").get_data(as_text=True)
    organisations, mayors = map(int, re.search(
        r"(\d+) organisations and (\d+) mayors have signed", page).groups())
    assert listing(client)["total"] == organisations + mayors == 5
    # One counted organisation did not agree to be listed: the list has a row fewer.
    assert len(listing(client)["items"]) == 4


def test_total_follows_the_kind_and_country_filters_only(world, client):
    assert listing(client, "?kind=organisation")["total"] == 3
    assert listing(client, "?kind=mayor")["total"] == 2
    assert listing(client, "?kind=delegate")["total"] == 1
    assert listing(client, "?country=fr")["total"] == 2
    assert listing(client, "?country=FR&kind=mayor")["total"] == 0
    for query in ("?theme=energy", "?language=fr", "?q=ville"):
        assert listing(client, query)["total"] is None


def test_only_public_fields_are_given(world, client):
    first = world.listed[-1]  # listed first, so last on the newest-first list
    item = listing(client)["items"][-1]
    assert item == {
        "kind": "organisation",
        "name": "Ville Ouverte",
        "organisation_type": "ngo",
        "city": first.signatory.city,
        "country": "FR",
        "language": "fr",
        "themes": ["energy", "mobility"],
        "listed_on": "2026-04-01",
    }
    delegate = listing(client)["items"][0]
    assert (delegate["kind"], delegate["name"], delegate["organisation_type"]) == (
        "delegate", "Évora", None)


def test_filters(world, client):
    assert names(client, "?kind=mayor") == ["Évora", "Bologna"]  # a delegate signs for a mayor
    assert names(client, "?kind=delegate") == ["Évora"]
    assert names(client, "?kind=organisation") == [FORMULA, "Ville Ouverte"]
    assert names(client, "?country=de") == [FORMULA]
    assert names(client, "?language=it") == ["Bologna"]
    assert names(client, "?theme=energy") == [FORMULA, "Ville Ouverte"]
    assert names(client, "?theme=energy&country=FR") == ["Ville Ouverte"]
    assert names(client, "?q=  ville   ouv ") == ["Ville Ouverte"]
    assert names(client, "?q=100%25") == []  # a LIKE wildcard is searched for as itself
    assert names(client, "?q=_") == []
    assert names(client, "?theme=skills") == []


def test_pages_follow_one_another_with_the_filters_kept(world, client):
    everyone = names(client)
    first = listing(client, "?per_page=3")
    assert (first["page"], first["per_page"], len(first["items"])) == (1, 3, 3)
    following = urlsplit(first["next"])
    assert (following.scheme, following.netloc, following.path) == (
        "http", "localhost", "/api/v1/signatories")
    assert parse_qs(following.query) == {"page": ["2"], "per_page": ["3"]}
    second = client.get(first["next"]).get_json()
    assert second["page"] == 2 and second["next"] is None
    assert [i["name"] for i in first["items"] + second["items"]] == everyone
    mayors = listing(client, "?kind=mayor&per_page=1")
    assert parse_qs(urlsplit(mayors["next"]).query) == {
        "page": ["2"], "per_page": ["1"], "kind": ["mayor"]}
    assert listing(client, "?page=9")["items"] == []
    assert listing(client, "?page=9")["next"] is None


def test_the_deepest_page_has_no_next_and_one_deeper_is_refused(world, client):
    deepest = listing(client, "?per_page=200&page=500")
    assert deepest["items"] == [] and deepest["next"] is None
    response = client.get("/api/v1/signatories?per_page=200&page=501")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "page"
    assert "signatories.csv" in response.get_json()["error"]["message"]


def test_whoever_is_not_on_the_list_page_is_not_in_the_api(world, client):
    shown = set(names(client, "?per_page=200"))
    for made in world.hidden:
        assert public_name(made.signatory) not in shown
    # Not consenting, pending, unverified mayor, flagged: each is hidden for its own reason.
    unlisted, pending, unverified, flagged = (m.signatory for m in world.hidden)
    assert not unlisted.listed_publicly and pending.listed_publicly and flagged.listed_publicly
    for made in world.hidden:
        assert made.public_since is None


def test_no_personal_data_in_any_answer(world, client):
    """Contact e-mails and names, mayors' and delegates' names, mandates, websites, interview
    notes, referral codes, accounts, unpublished targets and practices: in no answer."""
    for path in [rule.rule for rule in client.application.url_map.iter_rules()
                 if rule.rule.startswith("/api/v1/")]:
        for query in ("", "?per_page=200"):
            body = client.get(path + query).get_data(as_text=True)
            for secret in world.secrets:
                assert secret not in body, (path, secret)
            assert "@example.org" not in body and "@example.net" not in body, path


def test_the_list_is_never_counted_in_full(world, client):
    """The list page counts no rows for its figures; nor does the API."""
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        listing(client)
        listing(client, "?kind=mayor&country=IT")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert [s for s in statements if "from signature " in s]  # the rows were read…
    assert not [s for s in statements if "count(" in s and "from signature " in s]  # …not counted

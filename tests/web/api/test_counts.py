"""/counts and /history: the numbers of the home page and the list page, from the counters and
their daily history, never from counting signature rows."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import SignatoryKind, SignatureCount
from manifesto.signatures.counts import MAYOR_KINDS, counted_history
from tests.support.api import campaign, stat_values


@pytest.fixture
def world(app):
    return campaign()


def rows_of(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_counts_equal_the_home_page(world, client):
    counted = client.get("/api/v1/counts").get_json()["counted"]
    mayors, organisations, countries, cities = stat_values(
        client.get("/en/").get_data(as_text=True))
    assert counted == {"organisations": organisations, "mayors": mayors,
                       "total": organisations + mayors, "countries": countries,
                       "ambassador_cities": cities}
    # What the campaign made: organisations in FR (two, one unlisted) and DE; a mayor in IT
    # and a delegate for one in PT; Ghent is an ambassador city, Lisbon alumni.
    assert counted == {"organisations": 3, "mayors": 2, "total": 5, "countries": 4,
                       "ambassador_cities": 1}


def test_counts_by_country_equal_the_list_pages_table(world, client):
    by_country = client.get("/api/v1/counts").get_json()["by_country"]
    assert by_country == {
        "DE": {"organisations": 1, "mayors": 0},
        "FR": {"organisations": 2, "mayors": 0},
        "IT": {"organisations": 0, "mayors": 1},
        "PT": {"organisations": 0, "mayors": 1},
    }
    page = client.get("/en/signatories").get_data(as_text=True).split('id="by-country"')[1]
    for code, names in (("DE", "Germany"), ("FR", "France"), ("IT", "Italy"), ("PT", "Portugal")):
        row = page.split(f'<th scope="row">{names}</th>')[1].split("</tr>")[0]
        figures = [int(n) for n in row.replace('<td class="num">', "|").replace("</td>", "")
                   .split("|")[1:]]
        assert figures == [by_country[code]["organisations"], by_country[code]["mayors"]]


def test_by_status_is_every_counter_summed_and_never_a_flagged_signature(world, client):
    by_status = client.get("/api/v1/counts").get_json()["by_status"]
    stored = {}
    for row in db.session.scalars(sa.select(SignatureCount)):
        key = (row.status.value, row.kind.value)
        stored[key] = stored.get(key, 0) + row.count
    for status, kinds in by_status.items():
        for kind, n in kinds.items():
            assert n == stored.get((status, kind), 0), (status, kind)
    # Two organisations confirmed in France (one of them unlisted); the flagged one is in none.
    assert by_status["confirmed"] == {"organisation": 2, "mayor": 1, "delegate": 0}
    assert by_status["verified"] == {"organisation": 1, "mayor": 1, "delegate": 1}
    assert by_status["pending"] == {"organisation": 1, "mayor": 0, "delegate": 0}
    assert set(by_status) == {"pending", "confirmed", "verified", "rejected", "withdrawn"}


def test_counts_csv_has_one_row_per_country(world, client):
    response = client.get("/api/v1/counts.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="manifesto-counts.csv"'
    assert rows_of(response) == [["country", "organisations", "mayors", "total"],
                                 ["DE", "1", "0", "1"], ["FR", "2", "0", "2"],
                                 ["IT", "0", "1", "1"], ["PT", "0", "1", "1"]]


def test_no_signature_row_is_counted_for_counts(world, client):
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        client.get("/api/v1/counts")
        client.get("/api/v1/history")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert statements
    assert not [s for s in statements if "from signature " in s or "join signature " in s]


# --- history -------------------------------------------------------------------------------------


def series(client, query: str = "") -> list[tuple[str, int]]:
    response = client.get("/api/v1/history" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(point["date"], point["count"]) for point in response.get_json()["series"]]


def test_history_is_the_counted_total_day_by_day(world, client):
    # The campaign's counted signatures were made on 1-5 March; 6-8 March are not counted.
    assert series(client) == [("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-03", 3),
                              ("2026-03-04", 4), ("2026-03-05", 5)]
    assert series(client)[-1][1] == client.get("/api/v1/counts").get_json()["counted"]["total"]
    assert series(client) == [(d.isoformat(), n) for d, n in counted_history()]


def test_history_by_kind_counts_a_delegate_as_a_mayor(world, client):
    assert series(client, "?kind=organisation") == [
        ("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-05", 3)]
    assert series(client, "?kind=mayor") == [("2026-03-03", 1), ("2026-03-04", 2)]
    assert series(client, "?kind=mayor") == [
        (d.isoformat(), n) for d, n in counted_history(MAYOR_KINDS)]
    assert series(client, "?kind=organisation")[-1][1] == 3 == client.get(
        "/api/v1/counts").get_json()["counted"]["organisations"]
    assert SignatoryKind.DELEGATE in MAYOR_KINDS


def test_history_by_country_in_either_case(world, client):
    assert series(client, "?country=fr") == [("2026-03-01", 1), ("2026-03-05", 2)]
    assert series(client, "?country=FR&kind=mayor") == []
    assert series(client, "?country=NO") == []


def test_history_from_starts_at_the_value_it_had_then(world, client):
    assert series(client, "?from=2026-03-03&to=2026-03-04") == [
        ("2026-03-03", 3), ("2026-03-04", 4)]
    assert series(client, "?from=2026-02-01") == [
        ("2026-02-01", 0), ("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-03", 3),
        ("2026-03-04", 4), ("2026-03-05", 5)]
    assert series(client, "?from=2026-03-02&to=2026-03-02") == [("2026-03-02", 2)]
    assert series(client, "?from=2026-03-20") == [("2026-03-20", 5)]
    assert series(client, "?from=2026-03-04&kind=organisation") == [
        ("2026-03-04", 2), ("2026-03-05", 3)]


def test_history_to_ends_the_series(world, client):
    assert series(client, "?to=2026-03-02") == [("2026-03-01", 1), ("2026-03-02", 2)]
    assert series(client, "?to=2026-02-28") == []


def test_history_csv_is_the_same_series(world, client):
    response = client.get("/api/v1/history.csv?kind=organisation&from=2026-03-02")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="manifesto-history.csv"')
    assert rows_of(response) == [["date", "count"], ["2026-03-02", "2"], ["2026-03-05", "3"]]

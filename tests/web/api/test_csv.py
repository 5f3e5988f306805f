"""The CSV downloads: UTF-8 with a byte order mark, a header row, formulas made harmless, and
the whole filtered list of signatories streamed rather than paged."""

from __future__ import annotations

import csv
import io

import pytest

from manifesto.web.api import data
from tests.support.api import FORMULA, campaign
from tests.support.served import served

DOWNLOADS = {
    "/api/v1/counts.csv": ("manifesto-counts.csv", ["country", "organisations", "mayors", "total"]),
    "/api/v1/history.csv": ("manifesto-history.csv", ["date", "count"]),
    "/api/v1/signatories.csv": ("manifesto-signatories.csv", [
        "kind", "name", "organisation_type", "city", "country", "language", "themes",
        "listed_on"]),
    "/api/v1/targets.csv": ("manifesto-targets.csv", None),
    "/api/v1/ambassadors.csv": ("manifesto-ambassadors.csv", None),
}


@pytest.fixture
def world(app):
    return campaign()


def rows_of(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_every_csv_rule_is_checked_here(app):
    csv_rules = {r.rule for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/") and r.rule.endswith(".csv")}
    assert csv_rules == set(DOWNLOADS)


@pytest.mark.parametrize("path", DOWNLOADS)
def test_a_download_is_utf8_with_a_bom_and_a_header(world, client, path):
    filename, header = DOWNLOADS[path]
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    assert body.count("\ufeff".encode()) == 1
    assert b"\r\n" in body
    rows = rows_of(response)
    if header is not None:
        assert rows[0] == header
    assert len(rows) > 1
    assert all(len(row) == len(rows[0]) for row in rows)


def test_a_formula_in_a_name_is_escaped(world, client):
    body = client.get("/api/v1/signatories.csv").get_data(as_text=True)
    names = [row[1] for row in rows_of(client.get("/api/v1/signatories.csv"))[1:]]
    assert "'" + FORMULA in names
    assert FORMULA not in names
    for row in rows_of(client.get("/api/v1/signatories.csv")):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert "HYPERLINK" in body  # escaped, not dropped


def test_the_json_keeps_the_name_as_it_is(world, client):
    """Escaping is for spreadsheets: the JSON gives the name unchanged."""
    names = [i["name"] for i in client.get("/api/v1/signatories").get_json()["items"]]
    assert FORMULA in names


def test_signatories_csv_is_every_row_streamed_in_batches(world, client, monkeypatch):
    monkeypatch.setattr(data, "STREAM_BATCH", 3)  # four rows: two batches
    response = client.get("/api/v1/signatories.csv")
    assert response.is_streamed
    assert "Content-Length" not in response.headers
    rows = rows_of(response)[1:]
    items = client.get("/api/v1/signatories").get_json()["items"]
    assert rows == [[i["kind"], "'" + i["name"] if i["name"] == FORMULA else i["name"],
                     i["organisation_type"] or "", i["city"], i["country"], i["language"],
                     " ".join(i["themes"]), i["listed_on"]] for i in items]


@pytest.mark.parametrize("query", ["", "?theme=energy", "?theme=energy&kind=organisation",
                                   "?kind=mayor", "?country=FR"])
def test_signatories_csv_is_whole_when_read_after_the_request_as_a_server_reads_it(
        world, client, monkeypatch, query):
    """The body read after Flask has torn the request down, in batches of one: this failed
    before (the result's session was gone) while the plain test client passed."""
    monkeypatch.setattr(data, "STREAM_BATCH", 1)
    response, body = served(client, "/api/v1/signatories.csv" + query)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body.decode().removeprefix("\ufeff"))))[1:]
    items = client.get("/api/v1/signatories" + query).get_json()["items"]
    assert items
    assert [(r[0], r[3], r[6], r[7]) for r in rows] == [
        (i["kind"], i["city"], " ".join(i["themes"]), i["listed_on"]) for i in items]


def test_signatories_csv_takes_the_lists_filters(world, client):
    mayors = rows_of(client.get("/api/v1/signatories.csv?kind=mayor"))[1:]
    assert [(r[0], r[1]) for r in mayors] == [("delegate", "Évora"), ("mayor", "Bologna")]
    energy = rows_of(client.get("/api/v1/signatories.csv?theme=energy&country=fr"))[1:]
    assert [r[1] for r in energy] == ["Ville Ouverte"]
    assert energy[0][6] == "energy mobility"
    assert rows_of(client.get("/api/v1/signatories.csv?q=nobody"))[1:] == []


def test_a_bad_filter_on_a_download_is_a_json_400(world, client):
    response = client.get("/api/v1/signatories.csv?kind=robot")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert "Content-Disposition" not in response.headers
    assert response.get_json()["error"]["parameter"] == "kind"

"""CSV export (opens in spreadsheet apps, formulas defused) and import (all or nothing by
default, a report per row, the same rules as the form)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from manifesto.cities import outreach
from manifesto.core import streaming
from manifesto.extensions import db
from manifesto.models import ActivityType, OutreachActivity
from manifesto.web.ambassador import csv_import
from tests.support import factories
from tests.support.outreach import activity, ambassador, attribute, city
from tests.support.served import served

HEADER = ("date,type,title,description,language,audience_reached,mayors_engaged,"
          "organisations_engaged,evidence_url")
GOOD_ROWS = [
    "2024-05-01,workshop,Co-design workshop,\"Forty people, six municipalities\",pt,40,2,6,"
    "https://example.org/a",
    "2024-06-12,webinar,Webinar on participation,,en,120,0,3,",
    "2024-07-01,mayor_meeting,Meeting with the mayor of Sintra,,PT,1,1,0,example.org/sintra",
]


@pytest.fixture
def client(app):
    return app.test_client()


def text(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).split())


def all_activities() -> list[OutreachActivity]:
    return list(db.session.scalars(sa.select(OutreachActivity).order_by(OutreachActivity.id)))


def upload(client, content: bytes | str, name="activities.csv", import_valid=False):
    data = content.encode("utf-8") if isinstance(content, str) else content
    form = {"file": (io.BytesIO(data), name)}
    if import_valid:
        form["import_valid"] = "y"
    return client.post("/en/ambassador/activities/import", data=form,
                       content_type="multipart/form-data")


def report(response) -> dict[int, str]:
    """The report's rows: row number -> what is wrong, as text."""
    page = response.get_data(as_text=True)
    rows = re.findall(r'<th scope="row" class="num">(\d+)</th>\s*<td>(.*?)</td>', page, re.S)
    return {int(n): " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for n, cell in rows}


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


# --- export --------------------------------------------------------------------------------------


def test_export_opens_in_spreadsheet_apps_with_formulas_defused(client):
    own, _user = ambassador(client)
    made = activity(own, title='=HYPERLINK("http://evil.example","Click")',
                    description="+SUM(A1:A9)", audience_reached=12,
                    evidence_url="https://example.org/ok")
    activity(own, date=date(2024, 1, 1), title="-minus", description="@mention\nsecond line")
    attribute(factories.signature(), activity=made)
    response = client.get("/en/ambassador/activities.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="outreach-activities-')
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(outreach.CSV_COLUMNS)
    assert rows[1] == [
        "2024-05-01", "workshop", "'=HYPERLINK(\"http://evil.example\",\"Click\")",
        "'+SUM(A1:A9)", "en", "12", "0", "0", "https://example.org/ok",
        f"http://localhost/en/sign?ref={made.referral_code}", "1",
    ]
    assert rows[2][2:4] == ["'-minus", "'@mention\nsecond line"]


def test_export_uses_the_lists_filters_and_only_the_citys_activities(client):
    own, _user = ambassador(client)
    activity(own, type=ActivityType.EVENT, title="An event")
    activity(own, type=ActivityType.MEDIA, title="In the press")
    activity(city(), type=ActivityType.EVENT, title="Someone else's event")
    body = client.get("/en/ambassador/activities.csv?type=event").get_data().decode("utf-8-sig")
    assert "An event" in body
    assert "In the press" not in body and "Someone else" not in body


def test_export_is_whole_when_read_after_the_request_as_a_server_reads_it(client, monkeypatch):
    """Read after Flask has torn the request down, in batches of two (five rows: three
    batches), newest first, each with its referral link."""
    monkeypatch.setattr(streaming, "BATCH", 2)
    own, _user = ambassador(client)
    for day in (3, 1, 5, 2, 4):
        activity(own, date=date(2024, 1, day), title=f"Webinar {day}")
    response, body = served(client, "/en/ambassador/activities.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert [r[2] for r in rows[1:]] == [f"Webinar {day}" for day in (5, 4, 3, 2, 1)]
    codes = dict(db.session.execute(sa.select(OutreachActivity.title,
                                              OutreachActivity.referral_code)).all())
    assert all(codes.values())
    assert [r[9] for r in rows[1:]] == [
        f"http://localhost/en/sign?ref={codes[f'Webinar {day}']}" for day in (5, 4, 3, 2, 1)]


def test_the_list_links_to_the_export_with_its_filters(client):
    ambassador(client)
    page = client.get("/en/ambassador/activities?type=event").get_data(as_text=True)
    assert 'href="/en/ambassador/activities.csv?type=event"' in page


# --- import, through the page --------------------------------------------------------------------


def test_import_a_good_file(client):
    own, user = ambassador(client)
    response = upload(client, "\ufeff" + csv_text(*GOOD_ROWS))
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/ambassador/activities"
    assert "3 activities imported." in text(client.get(response.headers["Location"]))
    made = all_activities()
    assert [a.title for a in made] == [
        "Co-design workshop", "Webinar on participation", "Meeting with the mayor of Sintra"]
    first, second, third = made
    assert (first.date, first.type, first.description, first.language) == (
        date(2024, 5, 1), ActivityType.WORKSHOP, "Forty people, six municipalities", "pt")
    assert (first.audience_reached, first.mayors_engaged, first.organisations_engaged) == (40, 2, 6)
    assert second.evidence_url is None and second.description == ""
    assert third.language == "pt" and third.evidence_url == "https://example.org/sintra"
    assert all(a.ambassador_city_id == own.id and a.created_by_id == user.id for a in made)
    codes = {a.referral_code for a in made}
    assert len(codes) == 3 and all(len(c) == 16 for c in codes)


def test_import_without_bom_and_with_semicolons(client):
    ambassador(client)
    content = csv_text("2024-05-01;event;Réunion à Lyon;;fr;30;1;2;",
                       header=HEADER.replace(",", ";"))
    assert upload(client, content).status_code == 303
    [made] = all_activities()
    assert (made.title, made.language, made.organisations_engaged) == ("Réunion à Lyon", "fr", 2)


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_row(client):
    ambassador(client)
    content = csv_text(
        GOOD_ROWS[0],
        "2099-01-01,workshop,From the future,,en,1,0,0,",
        "2024-05-02,party,,,en,-3,lots,0,javascript:alert(1)",
        GOOD_ROWS[1],
    )
    response = upload(client, content)
    assert response.status_code == 400
    assert all_activities() == []
    page = text(response)
    assert "Nothing was imported" in page
    assert "2 rows of 4 have problems." in page
    rows = report(response)
    assert list(rows) == [3, 4]
    assert rows[3] == "date : The date cannot be in the future."
    assert "type : Choose one of the types of activity offered." in rows[4]
    assert "title : Enter a title." in rows[4]
    assert "audience_reached : Enter 0 or more." in rows[4]
    assert "mayors_engaged : Enter a whole number" in rows[4]
    assert "evidence_url : Enter a web address such as https://example.org." in rows[4]


def test_import_the_valid_rows_anyway(client):
    ambassador(client)
    content = csv_text(GOOD_ROWS[0], "2024-05-02,party,Bad type,,en,1,0,0,", GOOD_ROWS[1])
    response = upload(client, content, import_valid=True)
    assert response.status_code == 200
    assert [a.title for a in all_activities()] == ["Co-design workshop", "Webinar on participation"]
    page = text(response)
    assert "2 activities imported. 1 row with problems was left out." in page
    assert report(response) == {3: "type : Choose one of the types of activity offered."}


def test_a_latin_1_file_is_refused_naming_the_problem(client):
    ambassador(client)
    response = upload(client, csv_text("2024-05-01,event,Réunion à Lyon,,fr,1,0,0,").encode(
        "latin-1"))
    assert response.status_code == 400
    assert all_activities() == []
    page = text(response)
    assert "The file is not in UTF-8: the byte 0xE9 on line 2 is not UTF-8 text" in page
    assert "CSV UTF-8" in page


def test_a_missing_column_is_refused(client):
    ambassador(client)
    header = HEADER.replace("language,", "")
    response = upload(client, csv_text("2024-05-01,event,Title,,1,0,0,", header=header))
    assert response.status_code == 400
    assert "The first row must name the columns. Missing: language." in text(response)
    assert all_activities() == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "activities.csv", "Choose a CSV file to upload."),  # the browser sends no file
        (b"\xef\xbb\xbf\r\n", "activities.csv", "The file is empty."),
        (HEADER.encode() + b"\r\n", "activities.csv", "The file has a header row but no activities."),
        (b"PK\x03\x04rest of a zip", "activities.csv", "This is a spreadsheet workbook, not a CSV file."),
        (b"date,type\r\n", "activities.xlsx", "Upload a CSV file (a name ending in .csv)"),
        ("date,type".encode("utf-16"), "activities.csv", "The file is in UTF-16"),
    ],
)
def test_files_that_cannot_be_used_are_refused_clearly(client, content, name, message):
    ambassador(client)
    form = {"file": (io.BytesIO(content), name)} if content else {}
    response = client.post("/en/ambassador/activities/import", data=form,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text(response)


def test_too_many_rows_are_refused(client):
    ambassador(client)
    rows = [f"2024-05-01,event,Event {n},,en,1,0,0," for n in range(outreach.IMPORT_MAX_ROWS + 1)]
    response = upload(client, csv_text(*rows))
    assert response.status_code == 400
    assert "The file has more than 2,000 rows: split it into smaller files." in text(response)
    assert all_activities() == []


def test_a_file_over_one_megabyte_is_refused(client):
    ambassador(client)
    big = csv_text(*(["2024-05-01,event,Event,\"" + "x" * 4000 + "\",en,1,0,0,"] * 300))
    assert len(big) > outreach.IMPORT_MAX_BYTES
    # Encoded in memory: the test client would spool a body this size to a temporary file
    # that nothing closes when the app refuses to read it.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(big.encode()), "activities.csv")})
    response = client.post("/en/ambassador/activities/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "The file is larger than 1 MB: split it into smaller files." in text(response)
    assert all_activities() == []


def test_the_import_page_explains_the_columns_and_values(client):
    ambassador(client, languages=["et"])
    page = text(client.get("/en/ambassador/activities/import"))
    for column in outreach.CSV_COLUMNS:
        assert column in page
    assert "mayor_meeting Meeting with a mayor" in page
    assert "et Estonian" in page


# --- import, without HTTP ------------------------------------------------------------------------


def test_an_exported_file_imports_back_as_the_same_activities(app):
    own = city()
    other = city()
    activity(own, title="=1+1", description="- first point\n- second point",
             evidence_url="https://example.org/x", audience_reached=3)
    with app.test_request_context("/en/ambassador/activities.csv"):
        activities = list(db.session.scalars(outreach.activities_query(own.id)))
        exported = outreach.export_csv(activities, lambda code: f"http://x/?ref={code}", {})
        # Into the same log: already there, refused; into another city's: the same values.
        again = csv_import.read_csv(exported.encode("utf-8"), "export.csv", own)
        assert [p.message for r in again.rows for p in r.problems] == [
            "Already in your log: an activity of this type with this title on this date."]
        elsewhere = csv_import.read_csv(exported.encode("utf-8"), "export.csv", other)
    [row] = elsewhere.valid
    assert row.values["title"] == "=1+1"
    assert row.values["description"] == "- first point\n- second point"
    assert (row.values["audience_reached"], row.values["evidence_url"]) == (
        3, "https://example.org/x")


def test_a_row_repeated_in_the_file_is_refused(app):
    with app.test_request_context("/en/"):
        result = csv_import.read_csv(csv_text(GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]).encode(),
                                   "a.csv", city())
    assert [r.number for r in result.valid] == [2, 3]
    [repeated] = result.rejected
    assert repeated.number == 4
    assert repeated.problems[0].message == "The same activity as row 2."


def test_rows_use_exactly_the_forms_rules(app):
    rows = [
        "2016-11-22,event,Before the launch,,en,1,0,0,",
        "2024-05-01,event,Bidi \u202eoverride,,en,1,0,0,",
        "2024-05-01,event,Count too large,,en,10000001,0,0,",
        "24-5-1,event,Bad date,,en,1,0,0,",
        "2024-05-01,event," + "t" * 201 + ",,en,1,0,0,",
        "2024-05-01,event,Too many cells,,en,1,0,0,,extra",
    ]
    with app.test_request_context("/en/"):
        result = csv_import.read_csv(csv_text(*rows).encode(), "a.csv", city())
    problems = {r.number: [(p.column, p.message) for p in r.problems] for r in result.rows}
    assert problems[2] == [("date", "The date cannot be before the campaign's launch on "
                                    "November 23, 2016.")]
    assert problems[3] == [("title", "Remove the invisible or control characters from this "
                                     "field.")]
    assert problems[4] == [("audience_reached", "Enter at most 10,000,000.")]
    assert problems[5] == [("date", "Write the date as YYYY-MM-DD, for example 2026-03-31.")]
    assert problems[6] == [("title", "Use at most 200 characters.")]
    assert problems[7][0][0] == "" and "more cells than the header" in problems[7][0][1]
    assert result.valid == []


def test_extra_columns_are_ignored_and_said_so(app):
    with app.test_request_context("/en/"):
        result = csv_import.read_csv(
            csv_text(GOOD_ROWS[1] + ",note,http://x/?ref=a,4",
                     header=HEADER + ",notes,referral_link,signatures_attributed").encode(),
            "a.csv", city())
    assert len(result.valid) == 1 and result.ignored_columns == ["notes"]


def test_with_csrf_on_an_upload_works_and_a_big_one_is_refused_before_the_token_check(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    ambassador(client)
    page = client.get("/en/ambassador/activities/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/en/ambassador/activities/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv_text(GOOD_ROWS[0]).encode()), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303 and len(all_activities()) == 1
    boundary, body = encode_multipart({
        "csrf_token": token,
        "file": FileStorage(io.BytesIO(b"x" * (outreach.IMPORT_MAX_BYTES + 70_000)), "a.csv")})
    response = client.post("/en/ambassador/activities/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in text(response)

"""The outreach log: add, edit, delete, filter, page; bad values refused and kept; only one's own."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import ActivityType, OutreachActivity, Signature
from tests.support import factories
from tests.support.outreach import GOOD, activity, ambassador, attribute, city


@pytest.fixture
def client(app):
    return app.test_client()


def text(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).split())


def all_activities() -> list[OutreachActivity]:
    return list(db.session.scalars(sa.select(OutreachActivity).order_by(OutreachActivity.id)))


def test_add_an_activity_gets_its_own_referral_link(client):
    own, user = ambassador(client, languages=["pt"])
    form = client.get("/en/ambassador/activities/new").get_data(as_text=True)
    assert '<option selected value="pt">Portuguese</option>' in form  # the city's language
    response = client.post("/en/ambassador/activities/new", data=GOOD)
    assert response.status_code == 303
    [made] = all_activities()
    assert response.headers["Location"] == f"/en/ambassador/activities/{made.id}/edit"
    assert (made.ambassador_city_id, made.created_by_id) == (own.id, user.id)
    assert (made.date, made.type, made.title, made.language) == (
        date(2024, 5, 1), ActivityType.WORKSHOP, GOOD["title"], "pt")
    assert (made.audience_reached, made.mayors_engaged, made.organisations_engaged) == (40, 2, 6)
    assert made.evidence_url == "https://example.org/workshop"
    assert len(made.referral_code) == 16
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'readonly value="http://localhost/en/sign?ref={made.referral_code}"' in page
    assert "0 signatures came through this link" in text(client.get(response.headers["Location"]))


def test_html_is_kept_as_text_and_shown_escaped(client):
    ambassador(client)
    client.post("/en/ambassador/activities/new",
                data={**GOOD, "title": "<script>alert(1)</script>", "description": "<b>x</b>"})
    [made] = all_activities()
    assert made.title == "<script>alert(1)</script>"
    page = client.get("/en/ambassador/activities").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_counts_may_be_empty_or_grouped_with_spaces(client):
    ambassador(client)
    client.post("/en/ambassador/activities/new", data={
        **GOOD, "audience_reached": "1 200", "mayors_engaged": "", "organisations_engaged": " 0 "})
    [made] = all_activities()
    assert (made.audience_reached, made.mayors_engaged, made.organisations_engaged) == (1200, 0, 0)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("date", "", "Enter the date of the activity."),
        ("date", "31/03/2024", "Write the date as YYYY-MM-DD, for example 2026-03-31."),
        ("date", (date.today() + timedelta(days=3)).isoformat(), "The date cannot be in the future."),
        ("date", "2016-11-22", "The date cannot be before the campaign's launch on November 23, 2016."),
        ("type", "", "Choose the type of activity."),
        ("type", "party", "Choose one of the types of activity offered."),
        ("title", "   ", "Enter a title."),
        ("title", "x" * 201, "Use at most 200 characters."),
        ("title", "Evil\u202eelif", "Remove the invisible or control characters from this field."),
        ("title", "Bell\x07", "Remove the invisible or control characters from this field."),
        ("description", "y" * 5001, "Use at most 5000 characters."),
        ("language", "xx", "Choose one of the languages offered."),
        ("language", "", "Choose the language."),
        ("audience_reached", "-5", "Enter 0 or more."),
        ("audience_reached", "lots", "Enter a whole number, such as 120, without dots or commas."),
        ("mayors_engaged", "2.5", "Enter a whole number, such as 120, without dots or commas."),
        ("organisations_engaged", "1,000", "Enter a whole number, such as 120, without dots or commas."),
        ("audience_reached", "10000001", "Enter at most 10,000,000."),
        ("audience_reached", "9" * 40, "Enter at most 10,000,000."),
        ("evidence_url", "javascript:alert(1)", "Enter a web address such as https://example.org."),
        ("evidence_url", "ftp://example.org/file", "Enter a web address such as https://example.org."),
        ("evidence_url", "https://example.org/" + "a" * 300, "Use at most 300 characters."),
    ],
)
def test_bad_values_are_refused_with_a_message_and_kept(client, field, typed, message):
    ambassador(client)
    response = client.post("/en/ambassador/activities/new", data={**GOOD, field: typed})
    assert response.status_code == 400
    assert all_activities() == []
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    assert 'class="error-summary"' in page
    # What was typed is still in the form (the title too, whatever was wrong).
    if field in ("title", "evidence_url", "audience_reached", "mayors_engaged",
                 "organisations_engaged", "date") and typed.strip():
        assert f'value="{html.escape(typed)}"' in page
    if field != "title":
        assert f'value="{GOOD["title"]}"' in page
    if field == "description":
        assert "y" * 5001 in page


def test_the_largest_count_is_allowed(client):
    ambassador(client)
    assert client.post("/en/ambassador/activities/new",
                       data={**GOOD, "audience_reached": "10000000"}).status_code == 303
    assert all_activities()[0].audience_reached == 10_000_000


def test_languages_of_the_city_are_offered_besides_the_seven(client):
    ambassador(client, languages=["et", "ru"])
    page = client.get("/en/ambassador/activities/new").get_data(as_text=True)
    assert re.search(r'<option (selected )?value="et">Estonian</option>', page)
    assert client.post("/en/ambassador/activities/new",
                       data={**GOOD, "language": "et"}).status_code == 303
    assert all_activities()[0].language == "et"


def test_edit_an_activity(client):
    own, _user = ambassador(client)
    made = activity(own, title="Old title", audience_reached=5)
    form = client.get(f"/en/ambassador/activities/{made.id}/edit").get_data(as_text=True)
    assert 'value="Old title"' in form and 'value="5"' in form
    response = client.post(f"/en/ambassador/activities/{made.id}/edit",
                           data={**GOOD, "title": "New title", "audience_reached": "55"})
    assert response.status_code == 303
    db.session.refresh(made)
    assert (made.title, made.audience_reached, made.updated_at is not None) == (
        "New title", 55, True)
    assert made.referral_code.startswith("act-")  # editing keeps the link people have


def test_delete_asks_first_then_deletes_and_signatures_stay_with_the_city(client):
    own, _user = ambassador(client)
    made = activity(own, title="To go")
    signature = attribute(factories.signature(), activity=made)
    page = client.get(f"/en/ambassador/activities/{made.id}/delete")
    assert page.status_code == 200
    body = text(page)
    assert "Delete this activity?" in body and "To go" in body
    assert "1 signature came through its link" in body
    assert re.search(rf'<form method="post" action="/en/ambassador/activities/{made.id}/delete"',
                     page.get_data(as_text=True))
    assert all_activities() == [made]  # asking deletes nothing
    response = client.post(f"/en/ambassador/activities/{made.id}/delete")
    assert response.status_code == 303
    assert all_activities() == []
    signature = db.session.get(Signature, signature.id)
    assert (signature.ambassador_city_id, signature.outreach_activity_id) == (own.id, None)


def test_delete_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    own, _user = ambassador(client)
    made = activity(own)
    assert client.post(f"/en/ambassador/activities/{made.id}/delete").status_code == 400
    assert all_activities() == [made]


def test_another_citys_activity_is_not_found(client):
    ambassador(client)
    theirs = activity(city(), title="Theirs", audience_reached=7)
    for method, path in [
        ("get", "edit"), ("post", "edit"), ("get", "delete"), ("post", "delete"),
    ]:
        response = getattr(client, method)(f"/en/ambassador/activities/{theirs.id}/{path}",
                                           data={**GOOD, "title": "Mine now"})
        assert response.status_code == 404, (method, path)
    db.session.refresh(theirs)
    assert (theirs.title, theirs.audience_reached) == ("Theirs", 7)
    assert "Theirs" not in client.get("/en/ambassador/activities").get_data(as_text=True)


def test_the_list_is_newest_first_with_links_and_signature_counts(client):
    own, _user = ambassador(client)
    older = activity(own, date=date(2023, 1, 10), title="Older")
    newer = activity(own, date=date(2024, 2, 10), title="Newer")
    for _ in range(2):
        attribute(factories.signature(), activity=newer)
    page = client.get("/en/ambassador/activities").get_data(as_text=True)
    assert page.index("Newer") < page.index("Older")
    assert f'value="http://localhost/en/sign?ref={newer.referral_code}"' in page
    assert f'value="http://localhost/en/sign?ref={older.referral_code}"' in page
    row = page[page.index("Newer"):page.index("Older")]
    assert '<td class="num">2</td>' in row


def test_reading_the_log_writes_nothing(client):
    """Every activity has its link from the start: the list, the export and the edit form
    only read."""
    own, _user = ambassador(client)
    made = activity(own)
    writes = []

    def count_writes(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count_writes)
    try:
        for path in ("/en/ambassador/activities", "/en/ambassador/activities.csv",
                     f"/en/ambassador/activities/{made.id}/edit"):
            response = client.get(path)
            assert response.status_code == 200
            response.get_data()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count_writes)
    assert writes == []


def test_filters_and_totals_for_the_filtered_activities(client):
    own, _user = ambassador(client)
    activity(own, date=date(2024, 1, 5), type=ActivityType.WEBINAR, language="en",
             title="Webinar January", audience_reached=10, mayors_engaged=1)
    activity(own, date=date(2024, 3, 5), type=ActivityType.WEBINAR, language="fr",
             title="Webinar March", audience_reached=20, organisations_engaged=2)
    activity(own, date=date(2024, 6, 5), type=ActivityType.EVENT, language="en",
             title="Event June", audience_reached=300)
    page = text(client.get("/en/ambassador/activities?type=webinar"))
    assert "Webinar January" in page and "Webinar March" in page and "Event June" not in page
    assert ("For the activities that match: 2 activities · 30 people reached · 1 mayor "
            "engaged · 2 organisations engaged") in page
    page = text(client.get("/en/ambassador/activities?language=en&date_from=2024-02-01"))
    assert "Event June" in page and "Webinar January" not in page and "Webinar March" not in page
    page = text(client.get("/en/ambassador/activities?date_from=2024-01-01&date_to=2024-03-05"))
    assert "Webinar March" in page and "Webinar January" in page and "Event June" not in page
    page = text(client.get("/en/ambassador/activities"))
    assert "All your activities: 3 activities · 330 people reached" in page
    page = text(client.get("/en/ambassador/activities?type=media"))
    assert "No activity matches these filters." in page


def test_an_inverted_date_range_is_explained(client):
    own, _user = ambassador(client)
    activity(own, title="Anything")
    response = client.get("/en/ambassador/activities?date_from=2024-06-01&date_to=2024-01-01")
    assert response.status_code == 400
    page = text(response)
    assert ("The end date (Jan 1, 2024) is before the start date (Jun 1, 2024): swap them to see "
            "the activities in between.") in page
    assert "Anything" not in page
    # The export with the same filters goes to the list, which says what is wrong.
    export = client.get("/en/ambassador/activities.csv?date_from=2024-06-01&date_to=2024-01-01")
    assert export.status_code == 303 and "/en/ambassador/activities?" in export.headers["Location"]


def test_a_filter_date_that_is_not_a_date_or_a_type_not_offered(client):
    ambassador(client)
    response = client.get("/en/ambassador/activities?date_from=2024-13-01&type=party")
    assert response.status_code == 400
    page = text(response)
    assert "Write the date as YYYY-MM-DD" in page
    assert "Choose one of the types of activity offered." in page
    assert 'value="2024-13-01"' in response.get_data(as_text=True)


def test_fifty_activities_a_page(client):
    own, _user = ambassador(client)
    for n in range(55):
        db.session.add(OutreachActivity(
            ambassador_city_id=own.id, date=date(2024, 1, 1) + timedelta(days=n),
            type=ActivityType.EVENT, title=f"Event number {n:02d}", language="en",
            audience_reached=1, referral_code=f"page-{n}"))
    db.session.commit()
    first = text(client.get("/en/ambassador/activities?type=event"))
    assert "Event number 54" in first and "Event number 05" in first
    assert "Event number 04" not in first
    assert "page 1 of 2" in first and "55 activities · 55 people reached" in first
    second = client.get("/en/ambassador/activities?type=event&page=2")
    assert "Event number 04" in text(second) and "Event number 05" not in text(second)
    assert 'href="/en/ambassador/activities?page=1&amp;type=event" rel="prev"' in (
        second.get_data(as_text=True))
    # A page past the end shows the last one, not an error.
    assert "Event number 00" in text(client.get("/en/ambassador/activities?page=9"))

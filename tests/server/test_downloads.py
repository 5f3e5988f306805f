"""Streamed downloads under gunicorn: every one arrives whole, row for row what the database or
the JSON API holds, and the audit log records the rows that were actually sent.

These failed before (issue 17, point 5): the coordinators' exports sent their header and then
dropped the connection ("identity map is no longer valid"), and ``/api/v1/signatories.csv``
with a theme did the same ("abort due to ROLLBACK" on SQLite), while the audit log already
claimed the full download. In-process clients did not see it: the test's app context kept
the request's session alive under the generator.
"""

from __future__ import annotations

import csv
import io
import socket
import time
from datetime import date

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import AmbassadorCity, AuditEvent, OutreachActivity, Signatory, Signature
from manifesto.reporting.dashboard import Period, made_in

httpx = pytest.importorskip("httpx")

COORDINATOR = "coordinator@manifesto.example"
DEMO_START, DEMO_END = date(2016, 1, 1), date.today()
# A period of its own for the large export's rows, far from the demo's (2016-2019).
LARGE_START, LARGE_END = date(2003, 1, 1), date(2003, 12, 31)
LARGE_ROWS = 40_000  # ~21 MB of CSV: many batches, and more than loopback buffers hold
EXPORT_ACTIONS = ("export_signatories", "export_activities")


def rows_of(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def export(client, kind: str, start: date, end: date, country: str = ""):
    """The dashboard's export form for that period, posted with its CSRF token."""
    query = f"start={start.isoformat()}&end={end.isoformat()}&country={country}"
    return client.form(f"/en/coordinate/dashboard?{query}",
                       {"start": start.isoformat(), "end": end.isoformat(), "country": country},
                       to=f"/en/coordinate/exports/{kind}.csv")


def last_event_id(server) -> int:
    with server.app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0


def events_after(server, marker: int) -> list[AuditEvent]:
    with server.app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > marker).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(events)


def wait_for_events(server, marker: int, count: int) -> list[AuditEvent]:
    """The entries after ``marker`` once there are ``count`` (the second entry of a download
    is written when the server notices the stream has ended)."""
    deadline = time.monotonic() + 60
    while True:
        events = events_after(server, marker)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def assert_logged(server, marker: int, action: str, rows: int, country: str = "") -> None:
    """Two entries for the download: asked for, then sent with exactly ``rows`` rows."""
    events = wait_for_events(server, marker, 2)
    assert [(e.action, e.user_email) for e in events] == [
        (action, COORDINATOR), (f"{action}_sent", COORDINATOR)]
    started, sent = events
    assert "rows" not in started.detail  # nothing is claimed before the rows have gone
    assert sent.detail["rows"] == rows
    assert sent.detail["download"] == started.id
    assert started.detail["country"] == sent.detail["country"] == (country or None)


@pytest.fixture
def coordinator(http):
    http.login(COORDINATOR)
    return http


@pytest.mark.parametrize("country", ["", "PT"])
def test_the_signatories_export_is_whole_and_logged_with_its_rows(server, coordinator, country):
    marker = last_event_id(server)
    response = export(coordinator, "signatories", DEMO_START, DEMO_END, country)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    received = rows_of(response.content)

    with server.app.app_context():
        query = (sa.select(Signature.id, Signatory.contact_email, Signature.status,
                           Signatory.country)
                 .join(Signatory, Signatory.id == Signature.signatory_id)
                 .where(*made_in(Period(DEMO_START, DEMO_END)))
                 .order_by(Signature.id))
        if country:
            query = query.where(Signatory.country == country)
        expected = [(str(i), email, status.value, c) for i, email, status, c in
                    db.session.execute(query)]
    assert len(expected) > 10
    assert [(r["signature_id"], r["contact_email"], r["status"], r["country"])
            for r in received] == expected
    assert_logged(server, marker, "export_signatories", len(expected), country)


def test_the_activities_export_is_whole_and_logged_with_its_rows(server, coordinator):
    marker = last_event_id(server)
    response = export(coordinator, "activities", DEMO_START, DEMO_END)
    assert response.status_code == 200
    received = rows_of(response.content)
    with server.app.app_context():
        expected = [(d.isoformat(), title, city) for d, title, city in db.session.execute(
            sa.select(OutreachActivity.date, OutreachActivity.title, AmbassadorCity.name)
            .join(AmbassadorCity)
            .where(OutreachActivity.date.between(DEMO_START, DEMO_END))
            .order_by(OutreachActivity.date, OutreachActivity.id))]
    assert len(expected) > 10
    assert [(r["date"], r["title"], r["ambassador_city"]) for r in received] == expected
    assert_logged(server, marker, "export_activities", len(expected))


def api_items(client, query: str) -> list[dict]:
    """Every item of ``/api/v1/signatories`` for the query, following ``next``."""
    items = []
    url = f"/api/v1/signatories?per_page=7&{query}"  # several pages even for a few rows
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        url = page.json()["next"]
    return items


@pytest.mark.parametrize("query", [
    "", "theme=energy", "theme=energy&kind=organisation", "theme=digital_inclusion&kind=mayor",
    "country=PT", "theme=energy&country=IT", "kind=mayor&language=it", "q=porto",
])
def test_the_api_csv_is_whole_and_row_for_row_the_json(server, http, query):
    response = http.get(f"/api/v1/signatories.csv?{query}")
    assert response.status_code == 200
    received = rows_of(response.content)
    expected = api_items(http, query)
    assert [(r["kind"], r["name"], r["organisation_type"], r["city"], r["country"],
             r["language"], r["themes"], r["listed_on"]) for r in received] == [
        (i["kind"], i["name"], i["organisation_type"] or "", i["city"], i["country"],
         i["language"], " ".join(i["themes"]), i["listed_on"]) for i in expected]
    if query in ("", "theme=energy", "country=PT"):
        assert len(expected) > 7  # more than one page of JSON to compare with


def test_the_ambassadors_export_is_whole(server, http):
    """The ambassador's own log (not audited: it is the city's own data), newest first."""
    http.login("ambassador.lisbon@manifesto.example")
    response = http.get("/en/ambassador/activities.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    received = rows_of(response.content)
    with server.app.app_context():
        expected = [(d.isoformat(), title, code) for d, title, code in db.session.execute(
            sa.select(OutreachActivity.date, OutreachActivity.title,
                      OutreachActivity.referral_code)
            .join(AmbassadorCity).where(AmbassadorCity.name == "Lisbon")
            .order_by(OutreachActivity.date.desc(), OutreachActivity.id.desc()))]
    assert len(expected) >= 4
    assert [(r["date"], r["title"], r["referral_link"].rpartition("ref=")[2])
            for r in received] == expected
    assert all(r["referral_link"].startswith(f"{server.url}/en/sign?ref=") for r in received)


@pytest.fixture(scope="module")
def large_period(server):
    """LARGE_ROWS activities of a demo city in a period of their own; removed afterwards."""
    title = "Webinar on citizens' voices in the smart city, with questions from the audience. "
    with server.app.app_context():
        city_id = db.session.scalar(sa.select(AmbassadorCity.id).where(
            AmbassadorCity.name == "Lisbon"))
        db.session.execute(sa.insert(OutreachActivity), [
            {"ambassador_city_id": city_id, "date": date(2003, 1 + n % 12, 1 + n % 28),
             "type": "webinar", "title": f"{n:05d} {title * 3}"[:200], "language": "pt",
             "audience_reached": n % 90, "description": "", "referral_code": f"large-{n}",
             "evidence_url": f"https://lisboa.example/outreach/{n:05d}/" + "x" * 250}
            for n in range(LARGE_ROWS)])
        db.session.commit()
    yield
    with server.app.app_context():
        db.session.execute(sa.delete(OutreachActivity).where(
            OutreachActivity.date.between(LARGE_START, LARGE_END)))
        db.session.commit()


def test_a_large_export_arrives_whole_across_many_batches(server, coordinator, large_period):
    marker = last_event_id(server)
    response = export(coordinator, "activities", LARGE_START, LARGE_END)
    assert response.status_code == 200
    assert len(response.content) > 16_000_000
    received = rows_of(response.content)
    assert len(received) == LARGE_ROWS
    assert len({r["title"][:5] for r in received}) == LARGE_ROWS  # each row once
    assert [(r["date"], r["title"][:5]) for r in received] == sorted(
        (r["date"], r["title"][:5]) for r in received)
    assert_logged(server, marker, "export_activities", LARGE_ROWS)


def test_a_client_that_hangs_up_is_not_logged_as_a_full_download(server, large_period):
    # A small receive buffer, so that the server cannot hand the whole file to the kernel.
    transport = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)])
    with server.client(transport=transport) as client:
        client.login(COORDINATOR)
        page = client.get(f"/en/coordinate/dashboard?start={LARGE_START}&end={LARGE_END}")
        from tests.server.conftest import csrf_token

        marker = last_event_id(server)
        with client.stream("POST", "/en/coordinate/exports/activities.csv", data={
            "csrf_token": csrf_token(page.text), "start": LARGE_START.isoformat(),
            "end": LARGE_END.isoformat(), "country": "",
        }) as response:
            assert response.status_code == 200
            first = next(response.iter_raw())
            assert first.startswith("\ufeff".encode())
        # Leaving the block closes the connection with most of the file unread.

    events = wait_for_events(server, marker, 2)
    assert [e.action for e in events] == ["export_activities", "export_activities_cut_off"]
    started, cut_off = events
    assert cut_off.detail["download"] == started.id
    assert 0 <= cut_off.detail["rows"] < LARGE_ROWS
    # The audit page says so, in words.
    with server.client() as reader:
        reader.login(COORDINATOR)
        page = reader.get("/en/coordinate/audit").text
    assert "A download of the outreach activities stopped before the end" in page
    assert "sent before it stopped" in page

"""The coordinators' dashboard shows the same numbers as the signature rows, for any period and
country; its statistics follow every status change; exports of personal data are logged."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from manifesto.core import streaming
from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    OutreachActivity,
    PipelineStage,
    Role,
    SignatoryKind,
    Signature,
    SignatureStatus,
    Target,
    TargetMetric,
    Theme,
)
from manifesto.reporting import dashboard
from manifesto.signatures import counts, signing
from manifesto.signatures.counts import rebuild_signature_counts, stats_drift
from manifesto.web import charts
from tests.support import factories
from tests.support.served import first_chunks, served
from tests.support.signing import DELEGATE, MAYOR, ORGANISATION, link, outbox, sign


def text_of(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def text(response) -> str:
    return text_of(response.get_data(as_text=True))


@pytest.fixture
def coordinator(client, auth):
    return auth.login_as(factories.user(role=Role.COORDINATOR, name="Clara Coordinator"))


def made(country: str, day: datetime, kind=SignatoryKind.ORGANISATION,
         status=SignatureStatus.CONFIRMED, language="en", themes=()) -> Signature:
    signature = factories.signature(kind=kind, status=status, country=country, language=language)
    signature.created_at = day
    signature.signatory.themes = list(themes)
    db.session.commit()
    return signature


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def row(body: str, label: str) -> str:
    """The numbers in the table row headed ``label``, space-separated."""
    match = re.search(r'<th scope="row">(?:<a [^>]*>)?' + re.escape(label)
                      + r'(?:</a>[^<]*<span[^>]*>[^<]*</span>)?</th>\s*((?:<td class="num">[^<]*</td>\s*)+)',
                      body)
    assert match, label
    return " ".join(re.findall(r'<td class="num">([^<]*)</td>', match.group(1)))


def test_pieces_cover_the_range_with_whole_months_and_ragged_days():
    assert dashboard.pieces(date(2025, 1, 1), date(2025, 12, 31)) == [
        ("m", date(2025, 1, 1), date(2025, 12, 1))]
    assert dashboard.pieces(date(2025, 1, 15), date(2025, 3, 10)) == [
        ("m", date(2025, 2, 1), date(2025, 2, 1)),
        ("d", date(2025, 1, 15), date(2025, 1, 31)),
        ("d", date(2025, 3, 1), date(2025, 3, 10))]
    assert dashboard.pieces(date(2025, 1, 15), date(2025, 1, 20)) == [
        ("d", date(2025, 1, 15), date(2025, 1, 20))]
    assert dashboard.pieces(date(2024, 2, 1), date(2024, 2, 29)) == [
        ("m", date(2024, 2, 1), date(2024, 2, 1))]


def test_statistics_give_the_same_counts_as_the_rows_for_any_period(app):
    rng = random.Random(5)
    countries, languages = ("FR", "PT", "DE"), ("en", "fr", "pt")
    for _ in range(60):
        made(rng.choice(countries), at(2025, 1, 1) + timedelta(days=rng.randrange(400)),
             kind=rng.choice(list(SignatoryKind)), status=rng.choice(list(SignatureStatus)),
             language=rng.choice(languages), themes=rng.sample(list(Theme), rng.randrange(3)))
    rebuild_signature_counts()
    db.session.commit()
    assert stats_drift() == 0
    rows = db.session.scalars(sa.select(Signature)).all()
    for _ in range(25):
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(400))
        end = start + timedelta(days=rng.randrange(200))
        country = rng.choice((None, *countries))
        period = dashboard.Period(start, end, country)
        expected = [r for r in rows if start <= r.created_at.date() <= end
                    and (country is None or r.signatory.country == country)]
        by_language = dashboard.facet_counts("language", period)
        assert sum(by_language.values()) == len(expected)
        counted = sum(1 for r in expected if counts.is_counted(r.signatory.kind, r.status))
        figures = dashboard.signature_figures(period, list(languages))
        assert figures.by_kind.counted == counted
        assert figures.by_country.counted == counted
        assert figures.funnel.made == len(expected)
        themed = sum(len(r.signatory.themes) for r in expected
                     if r.status != SignatureStatus.WITHDRAWN)
        assert sum(dashboard.facet_counts("theme", period).values()) == themed


def test_statistics_follow_the_sign_flow_and_every_status_change(client, coordinator):
    factories.manifesto()
    assert sign(client, "fr", **ORGANISATION).status_code == 303
    assert sign(client, "pt", **MAYOR).status_code == 303
    assert sign(client, "de", **DELEGATE).status_code == 303
    assert stats_drift() == 0
    for message in outbox("confirm"):
        client.post(link(message, "confirm"))
    assert stats_drift() == 0
    mayor = db.session.scalar(sa.select(Signature).where(Signature.language == "pt"))
    assert client.post(f"/en/coordinate/signatures/{mayor.id}/verify").status_code == 303
    delegate = db.session.scalar(sa.select(Signature).where(Signature.language == "de"))
    assert client.post(f"/en/coordinate/signatures/{delegate.id}/reject",
                       data={f"s{delegate.id}-reason": "The mandate is not signed."}
                       ).status_code == 303
    organisation = db.session.scalar(sa.select(Signature).where(Signature.language == "fr"))
    with client.application.test_request_context("/en/"):
        signing.withdraw(organisation)
        db.session.commit()
    assert stats_drift() == 0

    page = text(client.get("/en/coordinate/dashboard"))
    # Made: 3; confirmed or beyond: the mayor (verified); verified 1; withdrawn 1; rejected 1.
    assert "3 signatures made in the period; 1 confirmed or verified; 1 verified; 0 still " \
           "waiting; 1 withdrawn; 1 not accepted." in page
    assert row(client.get("/en/coordinate/dashboard").get_data(as_text=True), "Portugal") == "1 1"
    assert "Participation" in page  # the mayor's theme


def test_dashboard_shows_every_chart_with_a_table_and_filters_by_period_and_country(
        client, coordinator):
    made("PT", at(2025, 3, 1), language="pt", themes=[Theme.MOBILITY])
    made("PT", at(2025, 3, 20), language="pt", themes=[Theme.MOBILITY, Theme.ENERGY])
    made("FR", at(2025, 3, 5), language="fr")
    made("FR", at(2025, 6, 1), language="fr")
    made("MT", at(2025, 3, 7), kind=SignatoryKind.MAYOR, status=SignatureStatus.VERIFIED)
    made("DE", at(2025, 3, 9), status=SignatureStatus.PENDING, language="de")
    city = factories.ambassador_city(name="Lisbon", country="PT", stage=PipelineStage.AMBASSADOR)
    db.session.add(OutreachActivity(ambassador_city=city, date=date(2025, 3, 2), type="webinar",
                                    title="Webinar", language="pt", audience_reached=200,
                                    mayors_engaged=3, referral_code="webinar"))
    db.session.add(Target(metric=TargetMetric.ORGANISATIONS_SIGNED, value=10,
                          start_date=date(2025, 1, 1), deadline=date(2025, 12, 31),
                          titles={"en": "Ten organisations"}, published=True))
    rebuild_signature_counts()
    db.session.commit()

    response = client.get("/en/coordinate/dashboard?start=2025-03-01&end=2025-03-31")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    page = text(response)
    # Every chart is an SVG with a title and a description, and a table follows it.
    svgs = re.findall(r'<svg class="chart[^"]*" role="img" aria-labelledby="([\w-]+)-title \1-desc"', body)
    assert {"chart-funnel", "map", "chart-kind", "chart-language", "chart-theme",
            "chart-cities", "chart-types"} <= set(svgs)
    ids = re.findall(r' id="([^"]+)"', body)
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert any(s.startswith("burnup-chart-") for s in svgs)
    assert body.count("<table") == 8  # a burn-up, the funnel, 4 breakdowns, cities, types
    # March 2025 only: 2 Portuguese, 1 French, 1 Maltese mayor (verified), 1 German pending.
    assert row(body, "Portugal") == "2 2"
    assert row(body, "France") == "1 1"
    assert row(body, "Malta") == "1 1"
    assert row(body, "Germany") == "0 1"
    assert row(body, "Mobility") == "2 2"
    assert row(body, "Energy") == "1 1"
    assert "Ten organisations" in page
    assert row(body, "Lisbon") == "1 200 3 0 0 0.0"
    assert row(body, "Webinar") == "1 200 0 0.0 0.0"
    # Malta is too small to see at this scale: it gets a dot, with its number.
    assert re.search(r'<circle [^>]*><title>Malta: 1</title></circle>', body)
    assert re.search(r'<path d="M[^"]+" fill="#[0-9a-f]{6}" class="map-country"><title>Portugal: 2</title>', body)

    body = client.get("/en/coordinate/dashboard?start=2025-03-01&end=2025-06-30&country=FR"
                      ).get_data(as_text=True)
    assert "2025, France, as they stand today" in text_of(body)
    assert row(body, "France") == "2 2"
    assert "<title>Portugal: 0</title>" in body

    page = text(client.get("/fr/coordinate/dashboard?start=2025-03-01&end=2025-03-31"))
    assert "Tableau de bord" in page


@pytest.mark.parametrize("query, message", [
    ("start=2025-06-01&end=2025-03-01",
     "The end date (Mar 1, 2025) is before the start date (Jun 1, 2025)"),
    ("country=XX", "Choose one of the countries offered."),
    ("start=2025-13-01", "Write the date as YYYY-MM-DD"),
    ("start=%00%3Cscript%3E", "Write the date as YYYY-MM-DD"),
])
def test_bad_filters_are_explained_and_kept(client, coordinator, query, message):
    response = client.get(f"/en/coordinate/dashboard?{query}")
    assert response.status_code == 400
    assert message in text(response)
    assert "<script>" not in response.get_data(as_text=True)
    if "start=2025-06-01" in query:
        assert 'value="2025-06-01"' in response.get_data(as_text=True)


def test_exports_give_the_contact_emails_and_are_written_to_the_audit_log(client, coordinator):
    made("PT", at(2025, 3, 1), language="pt")
    made("FR", at(2025, 3, 2))
    city = factories.ambassador_city(name="Lisbon", country="PT", stage=PipelineStage.AMBASSADOR)
    db.session.add(OutreachActivity(ambassador_city=city, date=date(2025, 3, 2), type="webinar",
                                    title="=HYPERLINK(\"x\")", language="pt", audience_reached=20,
                                    referral_code="formula"))
    db.session.commit()
    page = client.get("/en/coordinate/dashboard?start=2025-03-01&end=2025-03-31&country=PT")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True))
    data = {"start": "2025-03-01", "end": "2025-03-31", "country": "PT"}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/en/coordinate/exports/signatories.csv", data=data)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["country"] == "PT"
    assert rows[0]["contact_email"].endswith("@example.org")

    response = client.post("/en/coordinate/exports/activities.csv", data=data)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"x\")"]  # formula-safe

    # Each download: an entry before the first byte, and one with the rows sent at its end.
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.user_email, e.detail.get("rows"), e.detail["country"])
            for e in events] == [
        ("export_signatories", coordinator.email, None, "PT"),
        ("export_signatories_sent", coordinator.email, 1, "PT"),
        ("export_activities", coordinator.email, None, "PT"),
        ("export_activities_sent", coordinator.email, 1, "PT")]
    assert events[1].detail["download"] == events[0].id
    assert events[3].detail["download"] == events[2].id
    page = text(client.get("/en/coordinate/audit"))
    assert "Started downloading the signatories with their contact e-mails" in page
    assert "Downloaded the signatories with their contact e-mails" in page
    assert "Clara Coordinator" in page and "1 row" in page


def _five_signatures_and_three_activities() -> None:
    for day in range(1, 6):
        made("PT", at(2025, 3, day))
    city = factories.ambassador_city(name="Lisbon", country="PT", stage=PipelineStage.AMBASSADOR)
    for day in (3, 1, 2):
        db.session.add(OutreachActivity(ambassador_city=city, date=date(2025, 3, day),
                                        type="webinar", title=f"Webinar {day}", language="pt",
                                        referral_code=f"webinar-{day}"))
    db.session.commit()


PERIOD = {"start": "2025-03-01", "end": "2025-03-31", "country": ""}


def test_exports_are_whole_when_read_after_the_request_as_a_server_reads_them(
        client, coordinator, monkeypatch):
    """The body read after Flask has torn the request down, in batches of two: this failed
    before ("identity map is no longer valid") while the plain test client passed."""
    monkeypatch.setattr(streaming, "BATCH", 2)
    _five_signatures_and_three_activities()
    response, body = served(client, "/en/coordinate/exports/signatories.csv", "POST",
                            data=PERIOD)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body.decode().removeprefix("\ufeff"))))
    ids = db.session.scalars(sa.select(Signature.id).order_by(Signature.id)).all()
    assert [int(r["signature_id"]) for r in rows] == ids and len(ids) == 5

    response, body = served(client, "/en/coordinate/exports/activities.csv", "POST",
                            data=PERIOD)
    rows = list(csv.DictReader(io.StringIO(body.decode().removeprefix("\ufeff"))))
    assert [r["title"] for r in rows] == ["Webinar 1", "Webinar 2", "Webinar 3"]

    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.detail.get("rows")) for e in events] == [
        ("export_signatories", None), ("export_signatories_sent", 5),
        ("export_activities", None), ("export_activities_sent", 3)]


def test_an_export_abandoned_halfway_is_logged_as_cut_off_with_the_rows_sent(
        client, coordinator, monkeypatch):
    """The client reads the header and two batches of two, then hangs up. Before, the log
    said 5 rows; now it says the download stopped, after the rows the server had handed
    over (the batch it was sending when the client left is not counted)."""
    monkeypatch.setattr(streaming, "BATCH", 2)
    _five_signatures_and_three_activities()
    response, body = served(client, "/en/coordinate/exports/signatories.csv", "POST",
                            read=first_chunks(3), data=PERIOD)
    assert response.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(body.decode().removeprefix("\ufeff"))))) == 4
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.detail.get("rows")) for e in events] == [
        ("export_signatories", None), ("export_signatories_cut_off", 2)]
    assert events[1].detail["download"] == events[0].id
    page = text(client.get("/en/coordinate/audit"))
    assert "A download of the signatories stopped before the end" in page
    assert "2 rows sent before it stopped" in page


def test_burnup_geometry_stays_in_the_plot_and_the_table_is_in_date_order():
    series = [(date(2025, 2, 1), 3), (date(2025, 5, 1), 9)]
    chart = charts.burnup(series, 20, date(2025, 1, 1), date(2025, 12, 31), date(2025, 6, 1),
                          pace_per_day=0.1)
    for pair in (chart.actual + " " + chart.target + " " + chart.projection).split():
        x, y = map(float, pair.split(","))
        assert charts.PAD_LEFT <= x <= charts.BURNUP_WIDTH - charts.PAD_RIGHT
        assert charts.PAD_TOP <= y <= charts.BURNUP_HEIGHT - charts.PAD_BOTTOM
    days = [r[0] for r in chart.table]
    assert days == sorted(days) and days[0] == date(2025, 1, 1) and days[-1] == date(2025, 12, 31)
    assert dict((r[0], r[1]) for r in chart.table)[date(2025, 5, 1)] == 9
    assert chart.table[-1][3] == 9 + int(0.1 * (date(2025, 12, 31) - date(2025, 6, 1)).days)


def test_the_map_comes_from_the_dataset_with_iso_codes():
    width, height, shapes = charts.europe_shapes()
    codes = {s.code for s in shapes}
    assert {"FR", "DE", "PT", "MT", "LU", "IS", "UA", "GB"} <= codes
    assert all(s.d.startswith("M") for s in shapes if s.d)
    assert next(s for s in shapes if s.code == "MT").dot


def test_an_export_with_changed_hidden_fields_is_refused_explained_and_not_logged(
        client, coordinator):
    response = client.post("/en/coordinate/exports/signatories.csv",
                           data={"start": "2025-06-01", "end": "2025-03-01", "country": "XX"})
    assert response.status_code == 400
    page = text(response)
    assert "The end date (Mar 1, 2025) is before the start date (Jun 1, 2025)" in page
    assert "Choose one of the countries offered." in page
    assert 'value="2025-06-01"' in response.get_data(as_text=True)  # shown in the filters
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0

"""The shared web kit: one-button forms (``post_button``) work as the page gives them, with
the CSRF check on."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

from manifesto.extensions import db
from manifesto.models import (
    OutreachActivity,
    PipelineStage,
    Role,
    SignatoryKind,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
)
from tests.support import factories
from tests.support.auth import AuthActions


class _Forms(HTMLParser):
    """The POST forms of a page: their action, their inputs and the text of their button."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self._form = {"action": attrs.get("action"), "fields": {}, "visible": 0,
                          "button": ""}
        elif self._form is not None and tag in ("input", "textarea", "select"):
            if attrs.get("type") == "hidden":
                self._form["fields"][attrs["name"]] = attrs.get("value", "")
            else:
                self._form["visible"] += 1
        elif self._form is not None and tag == "button":
            self._in_button = True

    def handle_data(self, data):
        if self._in_button:
            self._form["button"] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def button_forms(page: str) -> list[dict]:
    """The forms that are only a button (hidden fields at most)."""
    parser = _Forms()
    parser.feed(page)
    return [form for form in parser.forms if not form["visible"]]


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).login_as(user)
    return client


def test_every_one_button_form_works_with_the_token_its_page_gives(make_app):
    """Each button a coordinator or an ambassador sees posts its own CSRF token (never the
    "form has expired" page), says what it does, and names what it acts on where the same
    label is repeated."""
    app = make_app(WTF_CSRF_ENABLED=True)
    factories.manifesto()
    city = factories.ambassador_city(name="Braga", stage=PipelineStage.AMBASSADOR)
    flagged = factories.signature()
    flagged.flagged = True
    flagged.flag_reasons = "too_fast"
    factories.signature(kind=SignatoryKind.DELEGATE)
    activity = OutreachActivity(ambassador_city_id=city.id, date=date(2026, 10, 1),
                                type="event", title="Event", language="en",
                                referral_code="kit-act")
    db.session.add_all([activity, Target(
        metric=TargetMetric.ACTIVITIES, scope=TargetScope.AMBASSADOR_CITY,
        scope_ambassador_city_id=city.id, value=10, titles={"en": "Ten"},
        start_date=date(2026, 1, 1), deadline=date(2026, 12, 31))])
    db.session.commit()
    coordinator = factories.user(role=Role.COORDINATOR)
    factories.user(role=Role.AMBASSADOR, ambassador_city=city, name="Ana")
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=city, name="Bea")
    pages = [  # the ambassador first: the coordinator's buttons deactivate their account
        (ambassador, f"/en/ambassador/activities/{activity.id}/delete"),
        (coordinator, "/en/coordinate/review"),
        (coordinator, "/en/coordinate/targets"),
        (coordinator, f"/en/coordinate/cities/{city.id}"),
        (coordinator, "/en/coordinate/users"),
        (coordinator, "/en/coordinate/dashboard"),
    ]
    seen = set()
    for user, path in pages:
        client = signed_in(app, user)
        page = client.get(path).get_data(as_text=True)
        forms = button_forms(page)
        assert forms, path
        # Logging out ends the session the tokens belong to: that button goes last.
        for form in sorted(forms, key=lambda form: (form["action"] or "").endswith("/logout")):
            assert form["fields"].get("csrf_token"), (path, form)
            assert form["button"].strip(), (path, form)
            action = form["action"] or path
            response = client.post(action, data=form["fields"])
            assert response.status_code != 400, (path, form["button"])
            assert "The form has expired" not in response.get_data(as_text=True)
            seen.add(" ".join(form["button"].split()))
    db.session.expire_all()
    assert flagged.status == SignatureStatus.CONFIRMED and not flagged.flagged  # cleared
    # Buttons repeated down a list or table name their object for screen readers.
    assert "Deactivate (Ana)" in seen
    assert {"Log out", "Verify", "Clear the flag", "Delete the activity"} <= seen


# --- pagination ---------------------------------------------------------------------------------


def test_a_page_number_that_is_not_on_offer_shows_the_first_page(app):
    from manifesto.web.pagination import page_arg

    for asked, page in [("2", 2), ("002", 2), ("2000", 2000), ("", 1), ("abc", 1), ("0", 1),
                        ("-3", 1), ("2001", 1), ("²", 1), ("٣", 1), ("9" * 5000, 1)]:
        with app.test_request_context("/en/signatories", query_string={"page": asked}):
            assert page_arg(2000) == page, asked
    with app.test_request_context("/en/signatories"):
        assert page_arg(2000) == 1


def test_one_row_more_than_a_page_holds_says_another_page_follows():
    from manifesto.web.pagination import Page

    page = Page.of_rows(["a", "b", "c"], 4, per_page=2)
    assert (list(page.items), page.page, page.has_next, page.has_prev) == (["a", "b"], 4, True, True)
    last = Page.of_rows(["a", "b"], 1, per_page=2)
    assert (list(last.items), last.has_next, last.has_prev) == (["a", "b"], False, False)
    assert Page.counted(["x"], 3, pages=3).has_next is False


def _pager(page: str) -> str:
    """The page's pagination, which must be the only one."""
    assert page.count('<nav aria-label="Pages">') == 1
    return page.split('<nav aria-label="Pages">')[1].split("</nav>")[0]


def test_every_long_list_links_its_pages_the_same_way_keeping_its_filters(make_app):
    """Signatories, best practices, an ambassador's activities and the audit log: one
    navigation landmark with previous and next links (rel=prev/next) that keep the filters;
    a page number that is not on offer shows the first page."""
    from datetime import UTC, datetime, timedelta

    from manifesto.models import AuditEvent, BestPractice, BestPracticeStatus

    app = make_app()
    factories.manifesto()
    city = factories.ambassador_city(name="Braga", stage=PipelineStage.AMBASSADOR)
    coordinator = factories.user(role=Role.COORDINATOR)
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=city)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(51):
        signature = factories.signature(status=SignatureStatus.VERIFIED)
        signature.signatory.listed_publicly = True
        signature.public_since = at + timedelta(minutes=n)
        db.session.add_all([
            OutreachActivity(ambassador_city_id=city.id, date=date(2026, 1, 1), type="event",
                             title=f"Event {n}", language="en", referral_code=f"kit-{n}"),
            BestPractice(ambassador_city_id=city.id, title=f"Practice {n}", summary="S",
                         theme="mobility", language="en", status=BestPracticeStatus.PUBLISHED,
                         published_at=at + timedelta(minutes=n)),
            AuditEvent(user_id=coordinator.id, user_email=coordinator.email,
                       action="verify", detail={}, at=at + timedelta(minutes=n)),
        ])
    db.session.commit()
    lists = [
        (None, "/en/signatories", "kind=organisation", ("Previous page", "Next page")),
        (None, "/en/best-practices", "theme=mobility", ("Previous page", "Next page")),
        (ambassador, "/en/ambassador/activities", "type=event", ("Previous page", "Next page")),
        (coordinator, "/en/coordinate/audit", "action=verify", ("Newer", "Older")),
    ]
    for user, path, query, (previous, following) in lists:
        client = signed_in(app, user) if user else app.test_client()
        first = _pager(client.get(f"{path}?{query}").get_data(as_text=True))
        assert f'href="{path}?page=2&amp;{query}" rel="next">{following}</a>' in first, path
        assert 'rel="prev"' not in first, path
        second = _pager(client.get(f"{path}?{query}&page=2").get_data(as_text=True))
        assert f'href="{path}?page=1&amp;{query}" rel="prev">{previous}</a>' in second, path
        assert 'rel="next"' not in second, path
        for odd in ("0", "abc", "9" * 5000):
            response = client.get(f"{path}?{query}&page={odd}")
            assert response.status_code == 200, (path, odd)
            assert 'rel="prev"' not in _pager(response.get_data(as_text=True)), (path, odd)


# --- private pages -------------------------------------------------------------------------------


def test_every_coordinator_answer_is_for_their_browser_only(client, auth):
    """Pages, refusals and downloads of personal data alike: ``private, no-store``, and
    nothing that would let a shared cache keep them."""
    factories.manifesto()
    signature = factories.signature()
    auth.login_as(Role.COORDINATOR)
    email = signature.signatory.contact_email
    period = {"start": "2026-01-01", "end": "2026-01-31", "country": ""}
    answers = {
        "dashboard": client.get("/en/coordinate/dashboard"),
        "dashboard, bad filters": client.get("/en/coordinate/dashboard?start=x"),
        "export": client.post("/en/coordinate/exports/signatories.csv", data=period),
        "export, bad filters": client.post("/en/coordinate/exports/activities.csv",
                                           data={"start": "x"}),
        "audit log": client.get("/en/coordinate/audit"),
        "audit log, bad filters": client.get("/en/coordinate/audit?action=nothing"),
        "privacy": client.get("/en/coordinate/privacy"),
        "notice": client.get("/en/coordinate/privacy/notice/fr"),
        "notice, refused": client.post("/en/coordinate/privacy/notice/fr", data={}),
        "subject": client.post("/en/coordinate/privacy/subject", data={"email": email}),
        "subject, refused": client.post("/en/coordinate/privacy/subject", data={}),
        "subject's data": client.post("/en/coordinate/privacy/subject/export",
                                      data={"email": email}),
        "erase, refused": client.post("/en/coordinate/privacy/subject/erase",
                                      data={"email": email}),
    }
    for what, response in answers.items():
        response.get_data()
        assert response.status_code in (200, 400), what
        assert response.headers["Cache-Control"] == "private, no-store", what


def test_a_required_text_of_spaces_alone_is_asked_for_again(app):
    """Trimmed, a text of spaces is empty: a rejection without a reason would e-mail the
    signatory an empty "The reason:", a practice could be saved with no title."""
    from werkzeug.datastructures import MultiDict

    from manifesto.web.ambassador.forms import PracticeForm
    from manifesto.web.coordinate.forms import RejectForm

    with app.test_request_context(method="POST"):
        reject = RejectForm(formdata=MultiDict({"reason": "  \n\t "}), meta={"csrf": False})
        assert not reject.validate()
        assert reject.reason.errors == ["Give the reason for the rejection."]
        practice = PracticeForm(formdata=MultiDict({"title": "   ", "summary": "What we did.",
                                                    "theme": "mobility", "language": "en"}),
                                meta={"csrf": False})
        assert not practice.validate()
        assert practice.title.errors == ["Enter a title."]
        assert 'required' in str(practice.title)  # still marked required for browsers
        kept = RejectForm(formdata=MultiDict({"reason": "  No mandate. "}), meta={"csrf": False})
        assert kept.validate() and kept.reason.data == "No mandate."

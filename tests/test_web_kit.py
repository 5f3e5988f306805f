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
from tests import factories


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
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
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

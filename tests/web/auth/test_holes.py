"""Issue 17's smaller holes in accounts: a logout ends every copy of the session (and of a
remember cookie), a login starts a fresh session with a new CSRF secret, and every first
password, through "Forgot your password?" too, records the consent to the privacy notice."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_login.utils import encode_cookie

from manifesto.extensions import db
from manifesto.models import ConsentAction, ConsentMethod, ConsentRecord, Role
from tests.support import factories
from tests.support.auth import AuthActions
from tests.web.auth.test_accounts import (
    GOOD_PASSWORD,
    invited_user,
    link_in,
    messages,
    set_password,
)


def copy_of(app, client, name: str = "session"):
    """Another browser holding a copy of ``client``'s cookie."""
    other = app.test_client()
    other.set_cookie(name, client.get_cookie(name).value)
    return other


def sends_to_login(response) -> bool:
    return response.status_code == 302 and "/en/login" in response.headers["Location"]


def test_logout_ends_every_copy_of_the_session_cookie(app, client, auth):
    user = factories.user(role=Role.COORDINATOR)
    assert auth.login(user.email, factories.PASSWORD).status_code == 302
    copy = copy_of(app, client)
    assert copy.get("/en/account").status_code == 200  # the copy works as well as the original

    assert auth.logout().status_code == 302
    response = copy.get("/en/account")
    assert sends_to_login(response)
    # The copy is not renewed: whatever cookie comes back, it logs nobody in.
    assert sends_to_login(copy.get("/en/coordinate/review"))
    assert sends_to_login(client.get("/en/account"))
    # Logging in again works, and only for the browser that does it.
    assert auth.login(user.email, factories.PASSWORD).status_code == 302
    assert client.get("/en/account").status_code == 200
    assert sends_to_login(copy.get("/en/account"))


def test_logout_ends_the_sessions_of_other_browsers_too(app, client, auth):
    user = factories.user(role=Role.COORDINATOR)
    elsewhere = app.test_client()
    assert auth.login(user.email, factories.PASSWORD).status_code == 302
    assert AuthActions(elsewhere).login(user.email, factories.PASSWORD).status_code == 302
    auth.logout()
    assert sends_to_login(elsewhere.get("/en/account"))


def test_a_remember_cookie_made_before_the_logout_stops_working(app, client, auth):
    user = factories.user(role=Role.COORDINATOR)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", encode_cookie(user.get_id()))
    assert remembered.get("/en/account").status_code == 200  # it would log in, before
    remembered = app.test_client()
    remembered.set_cookie("remember_token", encode_cookie(user.get_id()))

    assert auth.login(user.email, factories.PASSWORD).status_code == 302
    auth.logout()
    assert sends_to_login(remembered.get("/en/account"))


def test_login_starts_a_fresh_session_with_a_new_csrf_secret(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = factories.user(role=Role.COORDINATOR)
    page = client.get("/en/login").get_data(as_text=True)  # its CSRF secret is in the session
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with client.session_transaction() as s:
        before = s["csrf_token"]
        s["planted"] = "by someone else"  # session fixation: what was there must not stay
    response = client.post("/en/login", data={"email": user.email, "password": factories.PASSWORD,
                                              "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/en/account").get_data(as_text=True)
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["csrf_token"] != before
        assert s["_user_id"] == user.get_id()
    # A form token from before the login is refused; the page's new one works.
    assert client.post("/en/logout", data={"csrf_token": token}).status_code == 400
    assert client.get("/en/account").status_code == 200
    fresh = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/en/logout", data={"csrf_token": fresh}).status_code == 302
    assert sends_to_login(client.get("/en/account"))


def consents(user) -> list[ConsentRecord]:
    return list(db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.user_id == user.id)))


def test_an_invited_person_using_forgot_password_gives_the_consent(client):
    user = invited_user(role=Role.AMBASSADOR, email="ana@porto.example", locale="pt",
                        ambassador_city=factories.ambassador_city())
    client.post("/en/account/reset", data={"email": "ana@porto.example"})
    [mail] = messages("reset")
    path, lang, _raw = link_in(mail)
    assert lang == "pt"

    page = client.get(path).get_data(as_text=True)
    assert 'name="consent_privacy"' in page  # the same box as the invitation's form
    assert 'href="/pt/privacy"' in page

    refused = set_password(client, path, GOOD_PASSWORD, consent=False)
    assert refused.status_code == 400
    assert 'name="consent_privacy"' in refused.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash is None and consents(user) == []

    assert set_password(client, path, GOOD_PASSWORD).status_code == 303
    db.session.refresh(user)
    assert user.password_hash is not None
    [record] = consents(user)
    assert record.action == ConsentAction.GIVEN and record.method == ConsentMethod.PASSWORD_FORM
    assert record.notice_language == "pt"


def test_a_new_password_for_an_account_that_has_one_asks_no_consent_again(client):
    user = factories.user(role=Role.COORDINATOR)
    client.post("/en/account/reset", data={"email": user.email})
    path, _lang, _raw = link_in(messages("reset")[0])
    assert 'name="consent_privacy"' not in client.get(path).get_data(as_text=True)
    before = len(consents(user))
    assert set_password(client, path, GOOD_PASSWORD, consent=False).status_code == 303
    assert len(consents(user)) == before

"""Accounts as people meet them: an invitation by e-mail, choosing a password from the link,
forgetting it, the password rules, login throttling, deactivation, and one's own language."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from manifesto.access import accounts
from manifesto.extensions import db
from manifesto.models import OutboxMessage, Role, User, UserToken, UserTokenPurpose, utcnow
from tests.support import factories
from tests.support.auth import AuthActions

GOOD_PASSWORD = "blue-Harbour-Lantern-7"
LINK = re.compile(r"https?://[^\s]+/(\w\w)/account/set-password/([A-Za-z0-9_-]+)")


def messages(kind=None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def link_in(message: OutboxMessage) -> tuple[str, str, str]:
    """(path, language, token) of the set-password link in an e-mail."""
    match = LINK.search(message.body_text)
    assert match, message.body_text
    lang, token = match.groups()
    return f"/{lang}/account/set-password/{token}", lang, token


def set_password(client, path, password, confirm=None, consent=True):
    """Post the set-password form; an invitation also asks for consent to the privacy notice
    (a reset ignores the box)."""
    data = {"password": password, "confirm": password if confirm is None else confirm}
    if consent:
        data["consent_privacy"] = "y"
    return client.post(path, data=data)


def invite(client, lang="en", **values):
    data = {"name": "Ana Ferreira", "email": "ana@porto.example", "role": "ambassador",
            "ambassador_city": "", "locale": "en", **values}
    return client.post(f"/{lang}/coordinate/users", data=data)


@pytest.fixture
def coordinator(client, auth):
    user = factories.user(role=Role.COORDINATOR, name="Maria Coordinator")
    auth.login_as(user)
    return user


def invited_user(**values) -> User:
    """An account that has not chosen its password yet."""
    user = factories.user(**values)
    user.password_hash = None
    db.session.commit()
    return user


def is_logged_in(client) -> bool:
    return client.get("/en/account").status_code == 200


# --- Invitations -------------------------------------------------------------------------------


def test_invitation_email_in_the_invitees_language_leads_to_a_password_and_a_login(
    app, client, coordinator
):
    city = factories.ambassador_city(name="Porto", country="PT")
    response = invite(client, ambassador_city=str(city.id), locale="fr")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to Ana Ferreira (ana@porto.example)." in page
    assert "Invited, not yet accepted" in page

    user = db.session.scalar(sa.select(User).where(User.email == "ana@porto.example"))
    assert user.password_hash is None and user.role == Role.AMBASSADOR
    assert user.ambassador_city_id == city.id and user.locale == "fr"

    [mail] = messages("invite")
    assert mail.to_address == "ana@porto.example" and mail.language == "fr"
    assert "Des questions ? Écrivez à" in mail.body_text  # the footer, in French
    assert "Porto" in mail.body_text and "Maria Coordinator" in mail.body_text
    path, lang, raw = link_in(mail)
    assert lang == "fr"

    # Only the SHA-256 of the link's secret is stored, and the link expires in 7 days.
    [token] = db.session.scalars(sa.select(UserToken)).all()
    assert token.purpose == UserTokenPurpose.INVITE
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in token.token_hash
    assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert '<label for="password">' in page.get_data(as_text=True)
    assert '<label for="confirm">' in page.get_data(as_text=True)

    response = set_password(invitee, path, GOOD_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/ambassador/"
    assert is_logged_in(invitee)
    assert user.password_hash.startswith("$argon2id$")
    assert token.used_at is not None and user.last_login_at is not None

    # Single use: the same link now explains itself instead of working again.
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "Ce lien a déjà été utilisé" in again.get_data(as_text=True)
    assert set_password(app.test_client(), path, "another-Harbour-Lantern-8").status_code == 410

    # And the new password logs in.
    other = app.test_client()
    assert AuthActions(other).login("ana@porto.example", GOOD_PASSWORD).status_code == 302


def test_invited_coordinator_lands_on_the_review_page_in_their_language(app, client, coordinator):
    invite(client, name="Jonas Weber", email="jonas@example.org", role="coordinator", locale="de")
    path, lang, _raw = link_in(messages("invite")[0])
    assert lang == "de"
    response = set_password(app.test_client(), path, GOOD_PASSWORD)
    assert response.headers["Location"] == "/de/coordinate/review"


def test_invite_form_explains_each_mistake_and_keeps_what_was_typed(client, coordinator):
    factories.user(email="Taken@Example.org")
    response = invite(client, name="Ana <b>F</b>", email="TAKEN@example.ORG", role="ambassador")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is already an account with this e-mail address" in html
    assert "Choose the city this ambassador works for." in html
    assert 'value="Ana &lt;b&gt;F&lt;/b&gt;"' in html
    assert 'value="TAKEN@example.ORG"' in html

    html = invite(client, name="", email="not-an-address", role="king", locale="xx").get_data(
        as_text=True)
    assert "Enter the person's name." in html
    assert "Enter an e-mail address such as name@example.org." in html
    assert "Choose one of the roles." in html
    assert "Choose one of the languages in the list." in html
    assert html.count("There is a problem") == 1

    html = invite(client, ambassador_city="99999").get_data(as_text=True)
    assert "Choose a city from the list." in html
    assert messages() == []


def test_invite_form_labels_every_field_and_offers_the_cities(client, coordinator):
    factories.ambassador_city(name="Porto", country="PT")
    html = client.get("/en/coordinate/users").get_data(as_text=True)
    for field in ("name", "email", "ambassador_city", "locale"):
        assert f'<label for="{field}">' in html
    assert "<legend>Role</legend>" in html
    assert "Porto (Portugal)" in html
    assert ">Français</option>" in html


def test_a_coordinator_needs_no_city_and_any_city_sent_is_ignored(client, coordinator):
    city = factories.ambassador_city()
    assert invite(client, role="coordinator", ambassador_city=str(city.id)).status_code == 303
    user = accounts.user_by_email("ana@porto.example")
    assert user.role == Role.COORDINATOR and user.ambassador_city_id is None


def test_resending_an_invitation_makes_the_old_link_stop_working(app, client, coordinator):
    invite(client, role="coordinator")
    old_path, _lang, _raw = link_in(messages("invite")[0])
    user = accounts.user_by_email("ana@porto.example")
    response = client.post(f"/en/coordinate/users/{user.id}/resend-invitation")
    assert response.status_code == 303
    assert "A new invitation is on its way" in client.get("/en/coordinate/users").get_data(
        as_text=True)
    first, second = messages("invite")
    new_path, _lang, _raw = link_in(second)
    assert new_path != old_path

    old = app.test_client().get(old_path)
    assert old.status_code == 410
    assert "This link has expired" in old.get_data(as_text=True)
    assert set_password(app.test_client(), new_path, GOOD_PASSWORD).status_code == 303

    # Once accepted, there is nothing to re-send.
    client.post(f"/en/coordinate/users/{user.id}/resend-invitation")
    assert len(messages("invite")) == 2


def test_an_expired_link_gives_a_friendly_page_with_a_way_to_a_new_one(app, client, coordinator):
    invite(client, role="coordinator")
    path, _lang, _raw = link_in(messages("invite")[0])
    token = db.session.scalar(sa.select(UserToken))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    response = app.test_client().get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This link has expired" in html
    assert 'action="/en/account/reset"' in html and '<label for="email">' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert set_password(app.test_client(), path, GOOD_PASSWORD).status_code == 410
    assert accounts.user_by_email("ana@porto.example").password_hash is None


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "a" * 500, "%00%0a"])
def test_an_unknown_link_is_a_friendly_404(client, token):
    response = client.get(f"/it/account/set-password/{token}")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert 'action="/it/account/reset"' in response.get_data(as_text=True)


def test_users_list_shows_role_city_status_and_last_login(client, coordinator):
    city = factories.ambassador_city(name="Lyon", country="FR")
    active = factories.user(role=Role.AMBASSADOR, name="Paul Active", ambassador_city=city,
                            last_login_at=utcnow())
    factories.user(role=Role.AMBASSADOR, name="Zoe Gone", active=False,
                   deactivated_at=utcnow())
    invite(client, name="Ines Invited", role="coordinator")
    html = client.get("/en/coordinate/users").get_data(as_text=True)
    row = lambda name: re.search(rf"<tr>\s*<th scope=\"row\">{name}.*?</tr>", html, re.S).group(0)  # noqa: E731
    assert "Lyon (France)" in row("Paul Active") and "Active" in row("Paul Active")
    assert active.email in row("Paul Active") and "never" not in row("Paul Active")
    assert "Deactivated" in row("Zoe Gone") and "Reactivate" in row("Zoe Gone")
    assert "Invited, not yet accepted" in row("Ines Invited")
    assert "Send the invitation again" in row("Ines Invited") and "never" in row("Ines Invited")
    assert "Deactivate" not in row("Maria Coordinator")  # not oneself


# --- Deactivation ------------------------------------------------------------------------------


def test_deactivation_ends_the_users_sessions_and_logins_until_reactivated(
    app, client, coordinator
):
    city = factories.ambassador_city()
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=city)
    theirs = app.test_client()
    their_auth = AuthActions(theirs)
    their_auth.login_as(ambassador)
    assert theirs.get("/en/ambassador/").status_code == 200

    assert client.post(f"/en/coordinate/users/{ambassador.id}/deactivate").status_code == 303
    assert not ambassador.active and ambassador.deactivated_at is not None
    response = theirs.get("/en/ambassador/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/en/login")
    html = their_auth.login(ambassador.email, factories.PASSWORD).get_data(as_text=True)
    assert "The e-mail address or the password is not right." in html
    # A reset link asked for now does nothing either.
    theirs.post("/en/account/reset", data={"email": ambassador.email})
    assert messages("reset") == []

    assert client.post(f"/en/coordinate/users/{ambassador.id}/reactivate").status_code == 303
    assert ambassador.active and ambassador.deactivated_at is None
    assert their_auth.login(ambassador.email, factories.PASSWORD).status_code == 302


def test_a_coordinator_cannot_deactivate_themself(client, coordinator):
    client.post(f"/en/coordinate/users/{coordinator.id}/deactivate")
    html = client.get("/en/coordinate/users").get_data(as_text=True)
    assert "You cannot deactivate your own account." in html
    assert coordinator.active


def test_actions_on_an_unknown_user_are_404(client, coordinator):
    for action in ("deactivate", "reactivate", "resend-invitation"):
        assert client.post(f"/en/coordinate/users/999/{action}").status_code == 404


# --- Who may use the coordinators' pages ------------------------------------------------------

COORDINATOR_ONLY = [
    ("GET", "/en/coordinate/users"),
    ("POST", "/en/coordinate/users"),
    ("POST", "/en/coordinate/users/1/resend-invitation"),
    ("POST", "/en/coordinate/users/1/deactivate"),
    ("POST", "/en/coordinate/users/1/reactivate"),
]


def test_coordinator_pages_refuse_ambassadors(client, auth):
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=factories.ambassador_city())
    auth.login_as(ambassador)
    for method, url in COORDINATOR_ONLY:
        assert client.open(url, method=method).status_code == 403, url
    assert ambassador.active


def test_coordinator_and_account_pages_send_anonymous_visitors_to_login(client):
    factories.user()
    for method, url in [*COORDINATOR_ONLY, ("GET", "/en/account"),
                        ("POST", "/en/account/language"), ("POST", "/en/account/password")]:
        response = client.open(url, method=method)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/en/login"), url


# --- Password reset ---------------------------------------------------------------------------


def test_password_reset_by_email_in_the_users_language_ends_other_sessions(app, client):
    user = factories.user(role=Role.COORDINATOR, email="Maria@Example.org", locale="de")
    elsewhere = app.test_client()
    AuthActions(elsewhere).login_as(user)

    login_page = client.get("/en/login").get_data(as_text=True)
    assert 'href="/en/account/reset"' in login_page and "Forgot your password?" in login_page
    response = client.post("/en/account/reset", data={"email": " maria@EXAMPLE.org "})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/account/reset/sent"
    sent = client.get("/en/account/reset/sent").get_data(as_text=True)
    assert "If an account uses maria@EXAMPLE.org, we have sent a link" in sent

    [mail] = messages("reset")
    assert mail.to_address == "Maria@Example.org" and mail.language == "de"
    path, lang, _raw = link_in(mail)
    assert lang == "de"
    token = db.session.scalar(sa.select(UserToken))
    assert token.purpose == UserTokenPurpose.RESET
    assert timedelta(minutes=59) < token.expires_at - utcnow() <= timedelta(hours=1)

    old_nonce = user.session_nonce
    response = set_password(client, path, GOOD_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/de/coordinate/review"
    assert user.session_nonce != old_nonce
    assert is_logged_in(client)
    assert not is_logged_in(elsewhere)  # the other session ended
    fresh = AuthActions(app.test_client())
    assert "not right" in fresh.login(user.email, factories.PASSWORD).get_data(as_text=True)
    assert fresh.login(user.email, GOOD_PASSWORD).status_code == 302


def test_reset_gives_the_same_answer_for_an_unknown_address(client):
    factories.user(email="known@example.org")
    known = client.post("/en/account/reset", data={"email": "known@example.org"})
    unknown = client.post("/en/account/reset", data={"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert "If an account uses stranger@example.org, we have sent a link" in page
    assert [m.to_address for m in messages()] == ["known@example.org"]


def test_reset_form_explains_a_bad_address(client):
    response = client.post("/en/account/reset", data={"email": "nope"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter an e-mail address such as name@example.org." in html
    assert 'value="nope"' in html


def test_reset_requests_beyond_the_limits_quietly_do_nothing(make_app):
    app = make_app(RESET_RATE_LIMIT_PER_ADDRESS="2 per hour", RESET_RATE_LIMIT_PER_IP="3 per hour")
    client = app.test_client()
    factories.user(email="a@example.org")
    factories.user(email="b@example.org")
    for _ in range(3):
        response = client.post("/en/account/reset", data={"email": "a@example.org"})
        assert response.status_code == 303
    assert len(messages("reset")) == 2  # the address has used its 2
    response = client.post("/en/account/reset", data={"email": "b@example.org"})
    assert response.status_code == 303
    assert len(messages("reset")) == 2  # the network address has used its 3
    other_ip = {"REMOTE_ADDR": "192.0.2.9"}
    client.post("/en/account/reset", data={"email": "b@example.org"}, environ_base=other_ip)
    assert len(messages("reset")) == 3


def test_a_new_reset_link_replaces_the_previous_one(app, client):
    factories.user(email="known@example.org")
    client.post("/en/account/reset", data={"email": "known@example.org"})
    client.post("/en/account/reset", data={"email": "known@example.org"})
    first, second = messages("reset")
    assert app.test_client().get(link_in(first)[0]).status_code == 410
    assert app.test_client().get(link_in(second)[0]).status_code == 200


# --- Password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Choose a password."),
        ("Short-1", None, "Use at least 12 characters."),
        ("x7" * 65, None, "Use at most 128 characters."),
        ("qwerty123456", None, "This is one of the most common passwords."),
        ("aaaaaaaaaaaaaaaa", None, "This password is too easy to guess."),
        ("abcdefgh12345678", None, "This password is too easy to guess."),
        ("Maria-Rossi-and-7-dogs", None, "Do not use your name or your e-mail address"),
        ("my!mrossi!is-on-fire", None, "Do not use your name or your e-mail address"),
        (GOOD_PASSWORD, "something else entirely", "The two passwords are not the same."),
    ],
)
def test_weak_or_mistyped_passwords_are_refused_with_a_message(
    client, password, confirm, message
):
    user = invited_user(name="Maria Rossi", email="mrossi@example.org")
    raw = accounts.issue_token(user, UserTokenPurpose.INVITE)
    db.session.commit()
    response = set_password(client, f"/en/account/set-password/{raw}", password, confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'id="password-error"' in html or 'id="confirm-error"' in html
    if password:
        assert password not in html  # never sent back
    assert user.password_hash is None
    assert not is_logged_in(client)


def test_password_rules_never_show_english_hints_from_the_library(client):
    user = invited_user()
    raw = accounts.issue_token(user, UserTokenPurpose.INVITE)
    db.session.commit()
    html = set_password(client, f"/fr/account/set-password/{raw}", "aaaaaaaaaaaaaaaa").get_data(
        as_text=True)
    assert "Repeats like" not in html and "Add another word" not in html


# --- Login throttling ---------------------------------------------------------------------------


def test_login_is_refused_after_failures_on_one_account_even_with_the_right_password(
    client, monkeypatch, auth
):
    user = factories.user(email="target@example.org")
    for _ in range(5):
        assert auth.login("target@example.org", "wrong password!").status_code == 200

    checked = []
    real_verify = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password",
                        lambda h, p: checked.append(h) or real_verify(h, p))
    response = auth.login("TARGET@example.org", factories.PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts to log in" in html and "wait 15 minutes" in html
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert 'value="TARGET@example.org"' in html
    assert user.password_hash not in checked  # not checked, but the same work was done
    assert len(checked) == 1
    assert not is_logged_in(client)


def test_throttling_does_not_tell_whether_the_account_exists(client, auth):
    factories.user(email="known@example.org")
    answers = {}
    for email in ("known@example.org", "nobody@example.org"):
        for _ in range(5):
            auth.login(email, "wrong password!")
        response = auth.login(email, "wrong password!")
        answers[email] = (response.status_code,
                          response.get_data(as_text=True).replace(email, "ADDRESS"))
    assert answers["known@example.org"] == answers["nobody@example.org"]
    assert answers["known@example.org"][0] == 429


def test_login_is_refused_after_many_failures_from_one_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT_PER_IP="4 per 15 minutes")
    auth = AuthActions(app.test_client())
    user = factories.user()
    for n in range(4):
        auth.login(f"someone{n}@example.org", "wrong password!")
    response = auth.login(user.email, factories.PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts to log in" in response.get_data(as_text=True)
    # Someone else, elsewhere, is not affected.
    other = AuthActions(app.test_client())
    response = other.login(user.email, factories.PASSWORD,
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302


def test_a_successful_login_clears_the_accounts_failures(client, auth):
    user = factories.user()
    for _ in range(4):
        auth.login(user.email, "wrong password!")
    assert auth.login(user.email, factories.PASSWORD).status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login(user.email, "wrong password!")
    assert auth.login(user.email, factories.PASSWORD).status_code == 302


# --- Login sessions and landing pages ------------------------------------------------------------


def test_login_has_no_remember_me_and_sessions_expire_when_idle(app, client, auth):
    assert "remember" not in client.get("/en/login").get_data(as_text=True).lower()
    user = factories.user()
    response = auth.login(user.email, factories.PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "remember_token" not in str(response.headers)
    with client.session_transaction() as s:
        assert s.permanent


def test_login_lands_on_the_users_page_in_their_language(client, auth):
    city = factories.ambassador_city()
    ambassador = factories.user(role=Role.AMBASSADOR, ambassador_city=city, locale="pt")
    response = auth.login(ambassador.email, factories.PASSWORD)
    assert response.headers["Location"] == "/pt/ambassador/"


# --- The account page -------------------------------------------------------------------------


def test_language_choice_is_kept_and_used_for_pages_and_emails(app, client, auth):
    user = factories.user(role=Role.COORDINATOR)
    auth.login_as(user)
    html = client.get("/en/account").get_data(as_text=True)
    assert 'href="/en/account"' in html and "Your account" in html  # in the header
    assert '<label for="locale">' in html and 'lang="ru"' in html and ">Русский</option>" in html

    response = client.post("/en/account/language", data={"locale": "es"})
    assert response.status_code == 303 and response.headers["Location"] == "/es/account"
    assert user.locale == "es"
    assert re.search(r'<option[^>]*selected[^>]*value="es"',
                     client.get("/es/account").get_data(as_text=True))

    auth.logout("es")
    assert auth.login(user.email, factories.PASSWORD).headers["Location"] == (
        "/es/coordinate/review")
    client.post("/en/account/reset", data={"email": user.email})
    assert messages("reset")[0].language == "es"


def test_an_unknown_language_is_refused_with_a_message(client, auth):
    user = factories.user()
    auth.login_as(user)
    response = client.post("/en/account/language", data={"locale": "xx"})
    assert response.status_code == 400
    assert "Choose one of the languages in the list." in response.get_data(as_text=True)
    assert user.locale == "en"


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, auth):
    user = factories.user(name="Maria Rossi")
    auth.login_as(user)
    elsewhere = app.test_client()
    AuthActions(elsewhere).login_as(user)

    response = client.post("/en/account/password", data={
        "current_password": "not my password", "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD})
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)

    response = client.post("/en/account/password", data={
        "current_password": factories.PASSWORD, "password": "maria rossi 1234",
        "confirm": "maria rossi 1234"})
    assert response.status_code == 400
    assert "Do not use your name" in response.get_data(as_text=True)
    assert factories.PASSWORD not in response.get_data(as_text=True)

    response = client.post("/en/account/password", data={
        "current_password": factories.PASSWORD, "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD})
    assert response.status_code == 303
    assert "Your password is changed." in client.get("/en/account").get_data(as_text=True)
    assert is_logged_in(client)
    assert not is_logged_in(elsewhere)
    assert AuthActions(app.test_client()).login(user.email, GOOD_PASSWORD).status_code == 302


def test_guessing_the_current_password_is_throttled_too(client, auth):
    user = factories.user()
    auth.login_as(user)
    data = {"current_password": "guess", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    for _ in range(5):
        assert client.post("/en/account/password", data=data).status_code == 400
    data["current_password"] = factories.PASSWORD
    response = client.post("/en/account/password", data=data)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert accounts.verify_password(user.password_hash, factories.PASSWORD)


def test_account_pages_are_not_cached(client, auth):
    auth.login_as()
    for url in ("/en/account", "/en/login", "/en/account/reset"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url

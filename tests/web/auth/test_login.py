"""Log in and out with Flask-Login; passwords stored as argon2id."""

import re

import pytest

from manifesto.extensions import db
from manifesto.models import Role
from tests.support import factories


def test_password_is_stored_as_argon2id(app):
    user = factories.user()
    assert user.password_hash.startswith("$argon2id$")
    assert factories.PASSWORD not in user.password_hash


def test_login_with_the_right_password_then_logout(client, auth):
    user = factories.user(name="Maria Coordinator")
    response = auth.login(user.email, factories.PASSWORD, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You are logged in as Maria Coordinator." in html
    assert "Logged in as Maria Coordinator" in html
    assert user.last_login_at is not None
    response = auth.logout(follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert 'href="/en/login"' in response.get_data(as_text=True)


def test_email_is_matched_without_regard_to_case(client, auth):
    factories.user(email="Maria@Example.org")
    response = auth.login("  maria@EXAMPLE.org ", factories.PASSWORD)
    assert response.status_code == 302


@pytest.mark.parametrize("case", ["wrong password", "unknown e-mail", "deactivated"])
def test_failed_login_says_the_same_thing_and_keeps_the_email(client, case, auth):
    user = factories.user(email="known@example.org")
    email, password = "known@example.org", factories.PASSWORD
    if case == "wrong password":
        password = "not the password at all"
    elif case == "unknown e-mail":
        email = "stranger@example.org"
    else:
        user.active = False
        db.session.commit()
    response = auth.login(email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The e-mail address or the password is not right." in html
    assert f'value="{email}"' in html
    assert "Logged in as" not in html


def test_login_errors_are_translated_and_tied_to_their_fields(client, auth):
    html = auth.login("not-an-address", "", lang="de").get_data(as_text=True)
    email_input = re.search(r'<input[^>]*id="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email_input
    assert 'aria-describedby="email-error"' in email_input
    assert 'id="email-error"' in html and 'id="password-error"' in html
    assert "Enter your password." not in html  # it is in German


def test_login_page_labels_every_field(client):
    html = client.get("/en/login").get_data(as_text=True)
    for field in ("email", "password"):
        assert f'<label for="{field}">' in html


def test_next_parameter_never_leaves_the_site(client, auth):
    user = factories.user()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = auth.login(user.email, factories.PASSWORD, query_string={"next": target})
        # Refused: the coordinator lands on their own page, never on the other site.
        assert response.headers["Location"] == "/en/coordinate/review"
        auth.logout()
    response = auth.login(user.email, factories.PASSWORD, query_string={"next": "/fr/about"})
    assert response.headers["Location"] == "/fr/about"


def test_logout_is_not_possible_with_get(client):
    factories.user(role=Role.AMBASSADOR)
    assert client.get("/en/logout").status_code == 405


def test_over_long_input_gets_a_message_not_a_crash(client, auth):
    html = auth.login("a" * 300 + "@example.org", "x" * 5000).get_data(as_text=True)
    assert "An e-mail address has at most 254 characters." in html
    assert "A password has at most 1024 characters." in html

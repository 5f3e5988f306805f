"""Issue 17's holes that only a real server shows (gunicorn, production settings, real
cookies): a logout ends every copy of the session and of a remember cookie, and no public,
cacheable answer carries a Set-Cookie, logged in or not."""

from __future__ import annotations

import secrets

import pytest
from flask_login.utils import encode_cookie

from manifesto.cities import targets
from manifesto.models import Role
from tests.support import factories

SESSION, REMEMBER = "session", "remember_token"  # plain HTTP: no __Host- prefix


@pytest.fixture
def person(server):
    """A coordinator of this test's own (a logout ends every session of its user)."""
    with server.app.app_context():
        user = factories.user(role=Role.COORDINATOR, email=f"holes-{secrets.token_hex(4)}@example.org")
        return user.id, user.email


def session_id_of(server, user_id: int) -> str:
    from manifesto.extensions import db
    from manifesto.models import User

    with server.app.app_context():
        return db.session.get(User, user_id).get_id()


def login_page(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copy_of_the_session_cookie_stops_working_at_logout(server, http, person):
    _user_id, email = person
    http.login(email, factories.PASSWORD)
    cookie = http.cookies[SESSION]
    copy = server.client()
    copy.cookies.set(SESSION, cookie)
    assert copy.get("/en/account").status_code == 200  # the copy is as good as the original

    response = http.form("/en/account", to="/en/logout")
    assert response.status_code == 302

    response = copy.get("/en/account")
    assert login_page(response)
    # Nothing comes back that renews the old session: either no cookie, or one that logs
    # nobody in (the session emptied, with the "please log in" message).
    assert response.cookies.get(SESSION) != cookie
    assert login_page(copy.get("/en/coordinate/review"))
    again = server.client()
    again.cookies.set(SESSION, cookie)
    assert login_page(again.get("/en/account"))
    copy.close()
    again.close()


def test_a_remember_cookie_stops_working_at_logout(server, http, person):
    user_id, email = person
    key = server.env["SECRET_KEY"]
    remember = encode_cookie(session_id_of(server, user_id), key=key)
    with server.client() as browser:
        browser.cookies.set(REMEMBER, remember)
        assert browser.get("/en/account").status_code == 200  # it logs in, before

    http.login(email, factories.PASSWORD)
    assert http.form("/en/account", to="/en/logout").status_code == 302
    with server.client() as browser:
        browser.cookies.set(REMEMBER, remember)
        response = browser.get("/en/account")
        assert login_page(response)
        assert REMEMBER not in response.cookies or response.cookies[REMEMBER] == ""


def test_login_renews_the_csrf_secret(server, http, person):
    _user_id, email = person
    before = http.get("/en/login")
    old_token = before.text.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"')[0]
    http.login(email, factories.PASSWORD)
    assert http.get("/en/account").status_code == 200
    response = http.post("/en/logout", data={"csrf_token": old_token})
    assert response.status_code == 400  # a token from before the login is worth nothing
    assert http.get("/en/account").status_code == 200


def public_paths(server) -> list[str]:
    with server.app.app_context():
        shown = [t.id for t in targets.public_targets()]
    assert shown, "the demo data has public targets"
    paths = ["/en/badge.svg", "/fr/badge.svg", *[f"/en/targets/{n}/badge.svg" for n in shown]]
    paths += [f"/api/v1/{name}" for name in (
        "counts", "counts.csv", "history", "history.csv", "signatories", "signatories.csv",
        "targets", "targets.csv", "ambassadors", "ambassadors.csv", "openapi.json")]
    paths += ["/en/", "/en/targets", "/en/signatories", "/en/ambassadors", "/en/about",
              "/static/favicon.svg"]
    return paths


@pytest.mark.parametrize("who", ["anonymous", "coordinator", "ambassador"])
def test_no_public_answer_sets_a_cookie(server, http, who):
    if who != "anonymous":
        http.login(f"{who}@manifesto.example" if who == "coordinator"
                   else "ambassador.lisbon@manifesto.example")
        assert http.get("/en/account").status_code == 200
    public = []
    for path in public_paths(server):
        response = http.get(path)
        assert response.status_code == 200, path
        if "public" in response.headers.get("Cache-Control", ""):
            public.append(path)
            assert "set-cookie" not in response.headers, (who, path)
    assert "/en/badge.svg" in public and "/api/v1/counts" in public
    if who != "anonymous":
        # The badges did not end or alter the session: the account page still works.
        assert http.get("/en/account").status_code == 200


def test_streamed_downloads_are_read_to_the_end(server, http):
    """The CSVs streamed a batch at a time (the API's list, the coordinators' exports) are read
    after the view returns, when Flask has already closed the request's database session: on
    PostgreSQL that closed their server-side cursor, a 500 after the header row."""
    with server.client() as anonymous:
        listed = anonymous.get("/api/v1/signatories.csv")
    assert listed.status_code == 200
    assert len(listed.text.strip().splitlines()) > 1

    http.login("coordinator@manifesto.example")
    period = {"start": "2017-01-01", "end": "2026-12-31", "country": ""}
    for name in ("signatories", "activities"):
        response = http.form("/en/coordinate/dashboard", period,
                             to=f"/en/coordinate/exports/{name}.csv")
        assert response.status_code == 200, (name, response.text[:300])
        assert len(response.text.strip().splitlines()) > 1, name

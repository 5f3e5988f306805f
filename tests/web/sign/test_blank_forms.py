"""The blank sign form is rendered once per key and filled in per visitor (sign/blank_forms.py)."""

from __future__ import annotations

import itertools

import pytest
from flask import flash, get_flashed_messages
from flask_login import login_user

from manifesto.web.sign.blank_forms import BlankPages, sign_form_key
from tests.support import factories
from tests.support.auth import AuthActions
from tests.support.signing import form_fields

# --- BlankPages, with no app -----------------------------------------------------------------


class Renderer:
    """Renders '<p>{holes}</p>' and counts how often it was asked to."""

    def __init__(self):
        self.calls = 0

    def __call__(self, holes) -> str:
        self.calls += 1
        return f'<input value="{holes["token"]}"><p>{holes.get("note", "")}</p>'


def counter(prefix: str):
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def test_a_page_is_rendered_once_per_key_and_every_visitor_gets_fresh_values():
    pages, render = BlankPages(), Renderer()
    fill = {"token": counter("t")}
    first = pages.get_or_render(("en", 1), render, fill)
    second = pages.get_or_render(("en", 1), render, fill)
    assert (first, second) == ('<input value="t1"><p></p>', '<input value="t2"><p></p>')
    assert render.calls == 1
    assert pages.get_or_render(("fr", 1), render, fill) == '<input value="t3"><p></p>'
    assert render.calls == 2 and len(pages) == 2


def test_no_key_renders_with_the_values_themselves_and_keeps_nothing():
    pages, render = BlankPages(), Renderer()
    fill = {"token": counter("t")}
    assert pages.get_or_render(None, render, fill) == '<input value="t1"><p></p>'
    assert pages.get_or_render(None, render, fill) == '<input value="t2"><p></p>'
    assert render.calls == 2 and len(pages) == 0


def test_values_are_escaped_as_the_template_would_escape_them():
    pages = BlankPages()
    page = pages.get_or_render("k", Renderer(), {"token": lambda: 'a"<b>&'})
    assert page == '<input value="a&#34;&lt;b&gt;&amp;"><p></p>'


def test_a_hole_the_page_does_not_show_is_left_alone():
    pages = BlankPages()
    fill = {"token": lambda: "t", "absent": lambda: "never shown"}
    assert pages.get_or_render("k", Renderer(), fill) == '<input value="t"><p></p>'
    assert pages.get_or_render("k", Renderer(), fill) == '<input value="t"><p></p>'


def test_when_full_it_starts_afresh():
    pages, render = BlankPages(max_pages=2), Renderer()
    fill = {"token": lambda: "t"}
    for key in ("a", "b", "c"):
        pages.get_or_render(key, render, fill)
    assert len(pages) == 1  # "c" only
    pages.get_or_render("a", render, fill)
    assert render.calls == 4


# --- the sign form's key ----------------------------------------------------------------------


@pytest.mark.parametrize("query, cached", [
    ("", True),
    ("?kind=mayor", True),
    ("?ref=lisbon-code&kind=organisation", True),
    ("?ref=" + "x" * 32, True),
    ("?ref=" + "x" * 33, False),
    ("?utm_source=newsletter", False),
])
def test_the_key_names_language_versions_and_query_string(app, query, cached):
    with app.test_request_context(f"/en/sign{query}"):
        key = sign_form_key("en", 3, 2)
    if cached:
        assert key == ("en", 3, 2, query.lstrip("?").encode())
    else:
        assert key is None
    with app.test_request_context(f"/en/sign{query}"):
        assert (sign_form_key("en", 3, 2) != sign_form_key("en", 3, 3)) is cached
        assert (sign_form_key("en", 3, 2) != sign_form_key("en", 4, 2)) is cached
        assert (sign_form_key("en", 3, 2) != sign_form_key("fr", 3, 2)) is cached


def test_no_key_for_a_logged_in_visitor(app):
    user = factories.user()
    with app.test_request_context("/en/sign"):
        login_user(user)
        assert sign_form_key("en", 1, 1) is None


def test_no_key_while_a_message_waits_and_the_page_still_shows_it(app):
    with app.test_request_context("/en/sign"):
        flash("Welcome back")
        assert sign_form_key("en", 1, 1) is None
        assert get_flashed_messages() == ["Welcome back"]


# --- through the app ------------------------------------------------------------------------


@pytest.fixture
def client(app):
    factories.manifesto()
    return app.test_client()


def test_a_logged_in_visitor_sees_their_header_and_the_next_visitor_does_not(client, app):
    AuthActions(client).login_as(factories.user(name="Rita Coordinator"))
    assert "Logged in as Rita Coordinator" in client.get("/en/sign").get_data(as_text=True)
    anonymous = app.test_client()
    page = anonymous.get("/en/sign").get_data(as_text=True)
    assert "Rita" not in page and "Log in" in page
    assert "placeholder" not in page and form_fields(page)["submission_key"]

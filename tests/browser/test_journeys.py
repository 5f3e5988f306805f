"""Journeys in a real browser: language negotiation and switching, the Manifesto, logging in,
keyboard use, small screens, and no JavaScript needed."""

import re

import pytest

from config import LANGUAGES
from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD
from tests.support.browser import log_in
from tests.web.public.test_pages import translated


def test_browser_language_picks_the_site_language(browser, live_server):
    context = browser.new_context(locale="it-IT")
    page = context.new_page()
    page.goto(live_server + "/")
    assert page.url == live_server + "/it/"
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", level=1).inner_text() == "Città intelligenti che partono dai cittadini"
    context.close()


def switch(page, name: str) -> None:
    page.locator("nav.languages").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


# Every kind of page: content, a list with its filters, a form, a secret link's page, a page
# that does not exist, and the private pages of a coordinator and of an ambassador.
KINDS_OF_PAGE = [
    (None, "/manifesto"),
    (None, "/signatories?kind=mayor&country=IT"),
    (None, "/sign"),
    (None, "/confirm/{confirm}"),
    (None, "/signature/{manage}"),
    (None, "/login"),
    (None, "/no-such-page"),
    (COORDINATOR_EMAIL, "/coordinate/dashboard?start=2017-01-01&end=2017-12-31"),
    (COORDINATOR_EMAIL, "/coordinate/cities/{city_id}"),
    (AMBASSADOR_EMAIL, "/ambassador/activities/new"),
]


@pytest.mark.parametrize("who, path", KINDS_OF_PAGE, ids=[p for _, p in KINDS_OF_PAGE])
def test_switching_language_keeps_the_visitor_on_the_same_page(
        browser, live_server, live_app, demo_ids, who, path):
    values, tokens = demo_ids
    path = path.format(**values, **tokens)
    context = browser.new_context()
    page = context.new_page()
    if who:
        log_in(page, live_server, "en", who, DEMO_PASSWORD)
    page.goto(f"{live_server}/en{path}")
    heading = page.locator("h1").inner_text()
    for lang, name in [("fr", "Français"), ("ru", "Русский"), ("de", "Deutsch"),
                       ("it", "Italiano"), ("pt", "Português"), ("es", "Español"),
                       ("en", "English")]:
        switch(page, name)
        assert page.url == f"{live_server}/{lang}{path}"
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("nav.languages").get_attribute("aria-label") == translated(
            live_app, lang, "Language")
    assert page.locator("h1").inner_text() == heading
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_and_manifesto_in_every_language(page, live_server, lang):
    page.goto(f"{live_server}/{lang}/")
    counts = page.locator(".stat-value").all_inner_texts()
    assert len(counts) == 4 and all(re.fullmatch(r"\d+", c) for c in counts)
    page.locator(".hero .button.secondary").first.click()
    assert page.url == f"{live_server}/{lang}/manifesto"
    assert page.locator("article.manifesto h3").count() == 6


def test_coordinator_logs_in_and_out_with_the_keyboard(page, live_server):
    page.goto(live_server + "/en/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.goto(live_server + "/en/login")
    page.get_by_label("E-mail address").focus()
    page.keyboard.type(COORDINATOR_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/en/coordinate/review")  # the coordinator's own page
    assert page.get_by_text("Logged in as Demo Coordinator", exact=True).is_visible()
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_text("You are logged out.").is_visible()


def test_login_errors_are_announced_and_keep_the_email(page, live_server):
    page.goto(live_server + "/de/login")
    page.get_by_label("E-Mail-Adresse").fill("jemand@example.org")
    page.get_by_label("Passwort").fill("falsches-passwort")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("E-Mail-Adresse").input_value() == "jemand@example.org"
    assert page.get_by_label("Passwort").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize("width", [320, 1280])
def test_pages_fit_the_screen(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for path in ("/ru/", "/de/manifesto", "/pt/privacy", "/fr/login"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
    context.close()


def test_unknown_language_prefix_offers_the_seven_languages(page, live_server):
    response = page.goto(live_server + "/xx/")
    assert response.status == 404
    links = page.locator(".language-list a")
    assert links.count() == 7
    links.nth(5).click()
    assert page.url == live_server + "/ru/"

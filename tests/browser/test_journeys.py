"""Journeys in a real browser: language negotiation and switching, the Manifesto, logging in,
keyboard use, small screens, and no JavaScript needed."""

import re

import pytest

from config import LANGUAGES
from manifesto.demo import COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD, screenshot

def test_browser_language_picks_the_site_language(browser, live_server):
    context = browser.new_context(locale="it-IT")
    page = context.new_page()
    page.goto(live_server + "/")
    assert page.url == live_server + "/it/"
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", level=1).inner_text() == "Città intelligenti che partono dai cittadini"
    context.close()


def test_switching_language_keeps_the_visitor_on_the_same_page(page, live_server):
    page.goto(live_server + "/en/manifesto")
    for lang, name in [("fr", "Français"), ("ru", "Русский"), ("es", "Español"), ("en", "English")]:
        page.get_by_role("navigation", name=re.compile("Language|Langue|Язык|Idioma")).get_by_role(
            "link", name=name).click()
        assert page.url == f"{live_server}/{lang}/manifesto"
        assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_and_manifesto_in_every_language(page, live_server, lang):
    page.goto(f"{live_server}/{lang}/")
    counts = page.locator(".stat-value").all_inner_texts()
    assert len(counts) == 4 and all(re.fullmatch(r"\d+", c) for c in counts)
    page.locator(".hero .button.secondary").first.click()
    assert page.url == f"{live_server}/{lang}/manifesto"
    assert page.locator("article.manifesto h3").count() == 6
    if lang in ("en", "ru"):
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot(page, f"manifesto-{lang}-desktop")


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


def test_everything_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/pt/login")
    page.get_by_label("Endereço de e-mail").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form:not(.inline) [type=submit]").click()
    # The coordinator's page, in the language their account chose (English for the demo).
    assert page.url == live_server + "/en/coordinate/review"
    assert page.locator(".account form button").is_visible()
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_pages_fit_the_screen(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for path in ("/ru/", "/de/manifesto", "/pt/privacy", "/fr/login"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
    page.goto(live_server + "/en/")
    screenshot(page, "home-phone" if width == 320 else "home-desktop")
    context.close()


def test_unknown_language_prefix_offers_the_seven_languages(page, live_server):
    response = page.goto(live_server + "/xx/")
    assert response.status == 404
    links = page.locator(".language-list a")
    assert links.count() == 7
    links.nth(5).click()
    assert page.url == live_server + "/ru/"

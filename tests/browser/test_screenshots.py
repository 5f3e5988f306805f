"""The main pages at a phone's width and a desktop's, each in a different language: each must
show its heading and fit the screen. With MANIFESTO_SCREENSHOTS=1 the pictures are written
to docs/screenshots/, where the README shows them."""

from __future__ import annotations

import pytest

from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.support.browser import log_in

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}

LOCALES = {"en": "en-GB", "fr": "fr-FR", "de": "de-DE", "it": "it-IT", "pt": "pt-PT",
           "ru": "ru-RU", "es": "es-ES"}
MAIN_PAGES = [
    ("home", "en", None, "/"),
    ("manifesto", "ru", None, "/manifesto"),
    ("sign", "it", None, "/sign"),
    ("signatories", "fr", None, "/signatories"),
    ("targets", "de", None, "/targets"),
    ("ambassador", "pt", AMBASSADOR_EMAIL, "/ambassador/"),
    ("dashboard", "es", COORDINATOR_EMAIL, "/coordinate/dashboard"),
]


@pytest.mark.parametrize("name, lang, who, path", MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
def test_main_pages_on_a_phone_and_a_desktop(browser, live_server, name, lang, who, path):
    # The browser speaks the page's language too: dates in fields follow its locale.
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[lang])
    page = context.new_page()
    if who:
        log_in(page, live_server, lang, who, DEMO_PASSWORD)
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        response = page.goto(f"{live_server}/{lang}{path}")
        assert response.status == 200
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
        screenshot(page, f"{name}-{lang}-{width}", full_page=False)
    context.close()

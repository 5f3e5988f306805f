"""The Content Security Policy holds on every page: no inline style or script, nothing from
another site, so the browser blocks nothing and its console stays clean.

The accessibility check opens the same pages with the policy bypassed (axe is injected into
them); here each page is opened once, in English, as the policy stands, and every console
error or policy violation the browser reports fails the test.
"""

from __future__ import annotations

import pytest

from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_accessibility import AMBASSADOR, ANON, COORDINATOR, PAGES, open_page
from tests.support.browser import log_in

# The 500 and 503 pages are rendered into the browser by the test, without the app's headers.
SERVED = [p for p in PAGES if not p.rendered]

WATCH = """() => { window.__violations = [];
  document.addEventListener('securitypolicyviolation', e => window.__violations.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''))); }"""


@pytest.fixture(scope="module")
def strict_visitors(browser, live_server):
    """One context per kind of visitor, the policy enforced, every console error kept."""
    pages, errors = {}, []
    for who, email in ((ANON, None), (COORDINATOR, COORDINATOR_EMAIL),
                       (AMBASSADOR, AMBASSADOR_EMAIL)):
        context = browser.new_context()
        context.add_init_script(f"({WATCH})()")
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        if email:
            log_in(page, live_server, "en", email, DEMO_PASSWORD)
        pages[who] = page
    yield pages, errors
    for page in pages.values():
        page.context.close()


@pytest.mark.parametrize("spec", SERVED, ids=[p.name for p in SERVED])
def test_no_page_breaks_the_policy(strict_visitors, spec, live_server, live_app, demo_ids):
    pages, errors = strict_visitors
    page = pages[spec.who]
    errors.clear()
    open_page(page, spec, "en", live_server, live_app, demo_ids)
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__violations || []")
    # A 4xx page is the expected answer of some states: the browser logs its status, not a fault.
    problems = [e for e in errors if "Failed to load resource" not in e] + violations
    assert problems == [], f"{page.url}: {problems}"


def test_the_check_sees_an_inline_style(strict_visitors, live_server):
    pages, errors = strict_visitors
    page = pages[ANON]
    errors.clear()
    page.goto(live_server + "/en/about")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', "
                  "'<p style=\"color: red\">inline</p>')")
    page.wait_for_timeout(100)
    assert page.evaluate("window.__violations.length") >= 1 or errors

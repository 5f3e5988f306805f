"""Everything that matters works with JavaScript turned off: signing, confirming, withdrawing,
logging in, logging an activity, and reading the dashboard with its filters."""

from __future__ import annotations

import re

import pytest

from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_signing import (
    confirm_by_email,
    listed,
    sign_as_organisation,
    stat,
    withdraw,
)
from tests.support.browser import flash, log_in
from tests.web.public.test_pages import translated


@pytest.fixture
def no_js(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_sign_confirm_and_withdraw_without_javascript(no_js, live_server, live_app, mailbox):
    page = no_js
    before = stat(page, live_server, "es", 1)
    page.goto(f"{live_server}/es/sign")
    assert page.locator("#mayor_name").is_visible()  # every section shown, each says for whom
    sign_as_organisation(page, live_server, "es", "Cooperativa Sin Guiones", "citizens_group",
                         "Zaragoza", "ES", "Lucía Gil", "lucia@singuiones.example")

    own_page = confirm_by_email(page, live_app, mailbox, "lucia@singuiones.example", "es",
                                translated(live_app, "es", "Confirm my signature"))
    assert "Cooperativa Sin Guiones" in page.locator(".receipt").inner_text()
    assert stat(page, live_server, "es", 1) == before + 1
    assert listed(page, live_server, "es", "Sin Guiones")

    page.goto(own_page)
    page.locator(".danger-zone button[type=submit]").click()  # without the box: refused
    assert page.locator("#understood").get_attribute("aria-invalid") == "true"
    withdraw(page, live_server, "es", own_page)
    assert stat(page, live_server, "es", 1) == before
    assert not listed(page, live_server, "es", "Sin Guiones")


def test_log_in_without_javascript(no_js, live_server):
    page = no_js
    page.goto(live_server + "/pt/login")
    page.get_by_label("Endereço de e-mail").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form:not(.inline) [type=submit]").click()
    # The coordinator's page, in the language their account chose (English for the demo).
    assert page.url == live_server + "/en/coordinate/review"
    assert page.locator(".account form button").is_visible()


def test_an_ambassador_logs_an_activity_without_javascript(no_js, live_server, live_app):
    page = no_js
    log_in(page, live_server, "de", AMBASSADOR_EMAIL, DEMO_PASSWORD)
    page.goto(f"{live_server}/de/ambassador/activities")
    rows = page.locator("table.activities tbody tr")
    before = rows.count()
    page.goto(f"{live_server}/de/ambassador/activities/new")
    page.locator("#date").fill("2026-11-02")
    page.locator("#type").select_option("workshop")
    page.locator("#title").fill("Werkstatt ohne Skripte")
    page.locator("#language").select_option("de")
    page.locator("#audience_reached").fill("-3")  # refused, and what was typed is kept
    page.locator("form:has(#title) button[type=submit]").click()
    assert page.locator("#audience_reached").get_attribute("aria-invalid") == "true"
    assert page.locator("#title").input_value() == "Werkstatt ohne Skripte"
    page.locator("#audience_reached").fill("25")
    page.locator("form:has(#title) button[type=submit]").click()
    assert "Werkstatt ohne Skripte" in flash(page)
    page.goto(f"{live_server}/de/ambassador/activities")
    assert rows.count() == before + 1
    assert page.locator(".activity-title", has_text="Werkstatt ohne Skripte").is_visible()
    page.goto(f"{live_server}/de/ambassador/")
    targets = page.locator("section[aria-labelledby=targets-title]")
    assert targets.locator("progress").count() >= 1


def test_the_dashboard_without_javascript(no_js, live_server, live_app):
    page = no_js
    log_in(page, live_server, "en", COORDINATOR_EMAIL, DEMO_PASSWORD)
    page.goto(f"{live_server}/fr/coordinate/dashboard")
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() >= 8
    assert page.locator("table.data").count() >= charts.count()
    page.locator("#start").fill("2017-01-01")
    page.locator("#end").fill("2017-06-30")
    page.get_by_role("button", name=translated(live_app, "fr", "Show")).click()
    page.wait_for_url(re.compile(r".*start=2017-01-01.*"))
    assert "2017" in page.locator("p.totals").inner_text()
    assert page.locator("svg.chart[role=img]").count() == charts.count()

"""Issue 6 in a real browser: the privacy notice in all seven languages, the consent a
signature records, and a coordinator finding, downloading and erasing a person's data, each
step in the audit log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from config import LANGUAGES
from manifesto.demo import COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_signing import confirm_by_email, fill_common
from tests.support.browser import log_in
from tests.web.public.test_pages import translated

SECTIONS = 11  # responsible, collected, published, legal basis, who sees, accounts, security,
#               retention, cookies, rights, changes


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_privacy_notice_in_every_language(page, live_server, live_app, lang):
    page.goto(f"{live_server}/{lang}/privacy")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == translated(live_app, lang, "Privacy notice")
    headings = page.locator(".notice-text h2").all_inner_texts()
    assert len(headings) == SECTIONS and len(set(headings)) == SECTIONS
    text = page.locator(".notice-text").inner_text()
    assert "30" in text and "365" in text  # the retention periods, as configured
    if lang != "en":
        assert "keyed hash" not in text and "How long we keep" not in text


def test_a_person_is_found_downloaded_and_erased_by_a_coordinator(
        page, browser, live_server, live_app, mailbox):
    email = "privacy.walk@cooperativa.example"
    page.goto(f"{live_server}/es/sign")
    page.locator("input[name=kind][value=organisation]").check()
    page.locator("#organisation_name").fill("Cooperativa Datos Claros")
    page.locator("#organisation_type").select_option("ngo")
    fill_common(page, "Valencia", "ES", "Lucía Marín", email)
    page.locator("form.sign-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/es/sign/sent")
    own_page = confirm_by_email(page, live_app, mailbox, email, "es", "Confirmar mi firma")
    accepted = page.locator(".receipt").inner_text()
    assert translated(live_app, "es", "Privacy notice accepted") in accepted

    context = browser.new_context(locale="en-GB", accept_downloads=True)
    coordinator = context.new_page()
    log_in(coordinator, live_server, "en", COORDINATOR_EMAIL, DEMO_PASSWORD)
    coordinator.goto(f"{live_server}/en/coordinate/privacy")
    coordinator.locator("#email").fill(email.upper())
    coordinator.get_by_role("button", name="Find", exact=True).click()
    assert coordinator.locator("h1").inner_text() == f"What is held about {email.upper()}"
    assert "Cooperativa Datos Claros" in coordinator.locator("table.data").inner_text()

    with coordinator.expect_download() as download:
        coordinator.get_by_role("button", name="Download everything as JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    [signature] = data["signatures"]
    assert signature["signatory"]["contact_email"] == email
    assert signature["consent"][0]["notice_language"] == "es"

    erase = coordinator.get_by_role("button", name="Erase everything held about this address")
    erase.click()  # without the box ticked: refused, with the reason on the field
    assert coordinator.locator("#confirm").get_attribute("aria-invalid") == "true"
    coordinator.locator("#confirm").check()
    coordinator.get_by_role("button", name="Erase everything held about this address").click()
    coordinator.wait_for_url(re.compile(r".*/en/coordinate/privacy$"))
    assert "signatures 1, accounts 0, e-mails 0" in coordinator.locator("main").inner_text()

    page.goto(own_page)  # the signatory's own link no longer opens anything
    assert page.locator("h1").inner_text() != "" and "Cooperativa" not in page.content()

    coordinator.goto(f"{live_server}/en/coordinate/audit?action=subject_erase")
    rows = coordinator.locator("tbody tr")
    assert rows.count() >= 1 and email not in rows.first.inner_text()
    coordinator.goto(f"{live_server}/de/coordinate/audit")
    assert coordinator.locator("html").get_attribute("lang") == "de"
    assert coordinator.locator("tbody tr").count() >= 3  # search, download, erase
    context.close()

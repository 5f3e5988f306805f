"""Signing in a real browser, in three languages, with the e-mails received over SMTP:
an organisation (French), a mayor (Portuguese) and a delegate (German); confirm; counts move;
the coordinator verifies; the signatories are listed; one withdraws and is gone."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from manifesto.demo import COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.web.public.test_pages import translated


def deliver(live_app, mailbox, to: str) -> str:
    """Run the outbox once (as the worker would) and return the newest mail to ``to``."""
    from manifesto.mail.outbox import deliver_due

    with live_app.app_context():
        deliver_due()
    mails = [m for m in mailbox.messages if to in m.rcpt_tos]
    assert mails, f"no e-mail to {to}"
    return message_from_bytes(mails[-1].content, policy=policy.default)


def confirm_link(mail) -> str:
    body = mail.get_content()
    return re.search(r"(http://127\.0\.0\.1:\d+/\w\w/confirm/[\w-]+)", body).group(1)


def stat(page, live_server, lang: str, index: int) -> int:
    """One of the home page's counts: 0 = mayors, 1 = organisations."""
    page.goto(f"{live_server}/{lang}/")
    return int(re.sub(r"\D", "", page.locator(".stat-value").nth(index).inner_text()))


def fill_common(page, city, country, name, email):
    page.locator("#city").fill(city)
    page.locator("#country").select_option(country)
    page.locator("#contact_name").fill(name)
    page.locator("#contact_email").fill(email)
    page.locator("#consent_privacy").check()
    page.locator("#listed_publicly").check()


def sign_as_organisation(page, live_server, lang, organisation, org_type, city, country,
                         contact, email):
    """On the open sign page: an organisation's form, filled in and sent."""
    page.locator("input[name=kind][value=organisation]").check()
    page.locator("#organisation_name").fill(organisation)
    page.locator("#organisation_type").select_option(org_type)
    fill_common(page, city, country, contact, email)
    page.locator("form.sign-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/{lang}/sign/sent")


def withdraw(page, live_server, lang, own_page):
    """From the signatory's own page, with the box that says they understand ticked."""
    page.goto(own_page)
    page.locator("#understood").check()
    page.locator(".danger-zone button[type=submit]").click()
    page.wait_for_url(f"{live_server}/{lang}/signature/withdrawn")


def confirm_by_email(page, live_app, mailbox, email, lang, button):
    mail = deliver(live_app, mailbox, email)
    assert mail["Content-Language"] == lang
    page.goto(confirm_link(mail))
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(rf".*/{lang}/signature/[\w-]+$"))
    return page.url


def verify_as_coordinator(browser, live_server, lang, city, button):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/{lang}/login")
    page.locator("#email").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r".*/coordinate/review$"))  # logged in before going on
    page.goto(f"{live_server}/{lang}/coordinate/review")
    item = page.locator("article.review-item", has_text=city)
    item.get_by_role("button", name=button).click()
    # The POST redirects back to the list: wait for the new page's message to show.
    page.locator(".flash-success", has_text=city).wait_for(state="visible")
    context.close()


def listed(page, live_server, lang, name) -> bool:
    page.goto(f"{live_server}/{lang}/signatories?q={name}")
    return page.locator("table.signatories", has_text=name).count() == 1


def test_organisation_signs_in_french_and_is_counted(page, live_server, live_app, mailbox):
    before = stat(page, live_server, "fr", 1)
    page.goto(f"{live_server}/fr/sign")
    page.locator("input[name=kind][value=organisation]").check()
    assert page.locator("#mayor_name").is_hidden()  # only the organisation's fields
    page.locator("#organisation_name").fill("Université Lumière Lyon 2")
    page.locator("#organisation_type").select_option("university")
    page.locator("input[name=themes][value=digital_inclusion]").check()
    fill_common(page, "Lyon", "FR", "Marie Dupont", "marie.dupont@univ-lyon2.example")
    page.locator("form.sign-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/fr/sign/sent")
    assert page.get_by_role("heading", level=1).inner_text() == "Consultez votre messagerie"

    confirm_by_email(page, live_app, mailbox, "marie.dupont@univ-lyon2.example", "fr",
                     "Confirmer ma signature")
    assert "Université Lumière Lyon 2" in page.locator(".receipt").inner_text()
    assert stat(page, live_server, "fr", 1) == before + 1
    assert listed(page, live_server, "fr", "Lumière")


def test_mayor_signs_in_italian_and_counts_once_verified(
        page, browser, live_server, live_app, mailbox):
    before = stat(page, live_server, "it", 0)
    page.goto(f"{live_server}/it/sign")
    page.locator("input[name=kind][value=mayor]").check()
    page.locator("#mayor_name").fill("Giovanna Ricci")
    fill_common(page, "Castel San Pietro Terme", "IT", "Segreteria del Sindaco",
                "sindaco@comune-cspt.example")
    page.locator("form.sign-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/it/sign/sent")
    assert page.get_by_role("heading", level=1).inner_text() == translated(
        live_app, "it", "Check your e-mail")
    own_page = confirm_by_email(page, live_app, mailbox, "sindaco@comune-cspt.example", "it",
                                "Conferma la mia firma")
    assert "Giovanna Ricci" in page.locator(".receipt").inner_text()
    # Confirmed, but a mayor counts only once a coordinator has checked the mandate.
    assert stat(page, live_server, "it", 0) == before
    assert not listed(page, live_server, "it", "Castel San Pietro")

    verify_as_coordinator(browser, live_server, "it", "Castel San Pietro Terme", "Verifica")
    mail = deliver(live_app, mailbox, "sindaco@comune-cspt.example")
    assert mail["Content-Language"] == "it"
    assert stat(page, live_server, "it", 0) == before + 1
    assert listed(page, live_server, "it", "Castel San Pietro")
    page.goto(own_page)
    screenshot(page, "my-signature-it")


def test_organisation_signs_in_russian_then_withdraws(page, live_server, live_app, mailbox):
    before = stat(page, live_server, "ru", 1)
    page.goto(f"{live_server}/ru/sign")
    sign_as_organisation(page, live_server, "ru", "Фонд «Доступный город»", "ngo", "Рига", "LV",
                         "Ирина Петрова", "irina@dostupny-gorod.example")
    own_page = confirm_by_email(page, live_app, mailbox, "irina@dostupny-gorod.example", "ru",
                                translated(live_app, "ru", "Confirm my signature"))
    assert stat(page, live_server, "ru", 1) == before + 1
    assert listed(page, live_server, "ru", "Доступный")

    withdraw(page, live_server, "ru", own_page)
    assert page.get_by_role("heading", level=1).inner_text().strip()
    assert stat(page, live_server, "ru", 1) == before
    assert not listed(page, live_server, "ru", "Доступный")
    assert page.goto(own_page).status == 410  # gone, and it says when


def test_delegate_signs_in_german_then_withdraws(page, browser, live_server, live_app, mailbox):
    page.goto(f"{live_server}/de/sign")
    page.locator("input[name=kind][value=delegate]").check()
    page.locator("#mayor_name").fill("Belit Onay")
    page.locator("#delegate_name").fill("Anja Ritschel")
    page.locator("#delegate_role").fill("Wirtschafts- und Umweltdezernentin")
    page.locator("#mandate").fill("Vollmacht des Oberbürgermeisters vom 3. Mai 2017.")
    fill_common(page, "Hannover", "DE", "Anja Ritschel", "a.ritschel@hannover-stadt.example")
    page.locator("form.sign-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/de/sign/sent")
    own_page = confirm_by_email(page, live_app, mailbox, "a.ritschel@hannover-stadt.example",
                                "de", "Unterschrift bestätigen")
    verify_as_coordinator(browser, live_server, "de", "Hannover", "Anerkennen")
    assert listed(page, live_server, "de", "Hannover")
    before = stat(page, live_server, "de", 0)

    withdraw(page, live_server, "de", own_page)
    assert not listed(page, live_server, "de", "Hannover")
    assert stat(page, live_server, "de", 0) == before - 1
    assert page.goto(own_page).status == 410  # gone, and it says when


def test_errors_are_explained_in_the_page_language_and_typing_is_kept(page, live_server):
    page.goto(f"{live_server}/it/sign")
    page.locator("input[name=kind][value=organisation]").check()
    page.locator("#organisation_name").fill("x" * 150)
    page.locator("#contact_email").fill("non-un-indirizzo")
    page.locator("form.sign-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("heading").inner_text() == "C’è un problema"
    assert page.locator("#contact_email").input_value() == "non-un-indirizzo"


def test_a_lost_link_is_recovered_then_the_signature_withdrawn(page, live_server, live_app,
                                                               mailbox):
    """Signed and lost the e-mail: ask for the link, open it from the new e-mail, withdraw,
    and the old link says it is gone."""
    page.goto(f"{live_server}/pt/sign")
    sign_as_organisation(page, live_server, "pt", "Associação Cidade Aberta", "ngo", "Porto",
                         "PT", "Rita Sousa", "rita@cidade-aberta.example")
    page.locator("#lost_email").fill("rita@cidade-aberta.example")
    page.locator(".lost-link button[type=submit]").click()
    page.wait_for_url(f"{live_server}/pt/signature/lost/sent")
    mail = deliver(live_app, mailbox, "rita@cidade-aberta.example")
    assert mail["Content-Language"] == "pt"
    own_page = re.search(r"(http://127\.0\.0\.1:\d+/pt/signature/[\w-]+)",
                         mail.get_content()).group(1)
    withdraw(page, live_server, "pt", own_page)
    response = page.goto(own_page)
    assert response.status == 410
    assert "Rita" not in page.locator("main").inner_text()
    page.get_by_role("link", name=translated(live_app, "pt", "Sign again")).click()
    page.wait_for_url(f"{live_server}/pt/sign")

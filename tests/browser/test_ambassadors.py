"""An ambassador city from the coordinator's first click to its first attributed signature,
in a real browser with the e-mails received over SMTP: the coordinator adds a candidate, moves
it through the pipeline, sets its targets and invites its ambassador (in French); the
ambassador chooses a password, logs three activities, imports a CSV file, shares the referral
link; a signature through that link shows in the ambassador's counts; a best practice appears
in the public library once a coordinator publishes it."""

from __future__ import annotations

import re

from manifesto.demo import COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_signing import confirm_by_email, deliver
from tests.support.browser import flash, log_in, log_out

AMBASSADOR = "ana.peeters@gent.example.be"
PASSWORD = "Schelde-bruggen-2026!"

CSV = (
    "date,type,title,description,language,audience_reached,mayors_engaged,"
    "organisations_engaged,evidence_url\n"
    "2026-09-15,event,Open Data Day Gent,Stand with the Manifesto,en,300,0,14,"
    "https://example.org/odd\n"
    "2026-09-30,media,Interview in De Standaard,,en,5000,0,0,\n"
    "2031-01-01,event,From the future,,en,10,0,0,\n"
    "2026-10-01,party,An unknown type,,en,-4,0,0,\n"
)


def test_an_ambassador_city_from_candidate_to_attributed_signature(
    page, browser, live_server, live_app, mailbox, tmp_path
):
    # --- The coordinator adds Ghent as a candidate and moves it through the pipeline.
    log_in(page, live_server, "en", COORDINATOR_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Cities", exact=True).click()
    page.get_by_label("City", exact=True).fill("Ghent")
    page.get_by_label("Country", exact=True).select_option("BE")
    page.get_by_role("button", name="Add the candidate").click()
    assert "Ghent is now a candidate." in flash(page)

    page.get_by_label("Date of the interview", exact=True).fill("2026-10-02")
    page.get_by_label("Interviewer", exact=True).fill("Marta Rossi")
    page.get_by_label("Notes (only coordinators see them)", exact=True).fill("Deputy mayor keen.")
    page.get_by_role("button", name="Move to: Interviewed").click()
    page.get_by_label("Date of the commitment", exact=True).fill("2026-10-20")
    page.get_by_label("The city's commitment, as it will be published", exact=True).fill(
        "Ghent will bring the Manifesto to the mayors of Flanders and Wallonia.")
    page.get_by_label("French", exact=True).check()
    page.get_by_label("Countries it reaches out to", exact=True).select_option(["BE", "NL"])
    page.get_by_role("button", name="Move to: Ambassador city").click()
    assert page.get_by_text("Stage: Ambassador city").is_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    assert history.get_by_text("Interviewed → Ambassador city · Demo Coordinator").is_visible()

    for metric, value in (("Outreach activities", "10"), ("People reached", "500")):
        page.get_by_label("What is counted", exact=True).select_option(label=metric)
        page.get_by_label("Target value", exact=True).fill(value)
        page.get_by_label("Counted from", exact=True).fill("2026-10-20")
        page.get_by_label("Deadline", exact=True).fill("2027-06-30")
        page.get_by_role("button", name="Set the target").click()
    targets = page.locator("table", has_text="Target value")
    assert targets.get_by_role("row").count() == 3  # a header and two targets
    screenshot(page, "coordinator-city")

    # --- ... and invites its ambassador, in French.
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Ana Peeters")
    page.get_by_label("E-mail address", exact=True).fill(AMBASSADOR)
    page.get_by_label("Ambassador", exact=True).check()
    page.get_by_label("Ambassador city", exact=True).select_option(label="Ghent (Belgium)")
    page.get_by_label("Language of the invitation and of the pages", exact=True).select_option("fr")
    page.get_by_role("button", name="Send the invitation", exact=True).click()
    assert "Invitation sent to Ana Peeters" in flash(page)
    log_out(page)

    # --- The ambassador opens the invitation and chooses a password.
    mail = deliver(live_app, mailbox, AMBASSADOR)
    assert mail["Content-Language"] == "fr"
    link = re.search(r"http://127\.0\.0\.1:\d+/fr/account/set-password/[\w-]+",
                     mail.get_content()).group(0)
    page.goto(link)
    page.locator("#password").fill("motdepasse123")
    page.locator("#confirm").fill("motdepasse123")
    page.locator("#confirm").press("Enter")
    assert page.locator(".error").first.is_visible()  # a common password, refused in French
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#consent_privacy").check()  # the privacy notice, accepted with the account
    page.locator("#confirm").press("Enter")
    page.wait_for_url(re.compile(r".*/fr/ambassador/$"))
    assert page.get_by_role("heading", name="Ghent", level=1).is_visible()

    # --- Three activities through the form.
    for day, kind, title, reached, mayors in (
        ("2026-10-22", "mayor_meeting", "Rencontre avec le maire de Bruges", "12", "1"),
        ("2026-10-29", "workshop", "Atelier d'inclusion numérique", "45", "2"),
        ("2026-11-05", "webinar", "Webinaire pour les communes wallonnes", "130", "4"),
    ):
        page.goto(f"{live_server}/fr/ambassador/activities/new")
        page.locator("#date").fill(day)
        page.locator("#type").select_option(kind)
        page.locator("#title").fill(title)
        page.locator("#language").select_option("fr")
        page.locator("#audience_reached").fill(reached)
        page.locator("#mayors_engaged").fill(mayors)
        page.locator("#organisations_engaged").fill("3")
        page.locator("form:has(#title) button[type=submit]").click()
        assert title in flash(page)

    # --- A CSV file with two bad rows: nothing is imported, then the valid rows on request.
    csv = tmp_path / "gent.csv"
    csv.write_text(CSV, encoding="utf-8")
    page.goto(f"{live_server}/fr/ambassador/activities/import")
    page.locator("#file").set_input_files(str(csv))
    page.locator("form:has(#file) button[type=submit]").click()
    report = page.locator("section.import-report")
    assert report.get_by_role("alert").get_by_text("Rien n’a été importé").is_visible()
    rows = report.locator("table tbody tr")
    assert [rows.nth(i).locator("th").inner_text() for i in range(rows.count())] == ["4", "5"]
    assert "date" in rows.nth(0).inner_text() and "type" in rows.nth(1).inner_text()
    page.locator("#file").set_input_files(str(csv))
    page.locator("#import_valid").check()
    page.locator("form:has(#file) button[type=submit]").click()
    assert "2 activités importées" in page.content()
    page.goto(f"{live_server}/fr/ambassador/activities")
    assert page.get_by_text("5 activités").first.is_visible()

    # --- The ambassador shares the referral link; a mayor's office signs through it.
    page.goto(f"{live_server}/fr/ambassador/")
    referral = page.locator("main input[readonly]").first.input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/fr/sign\?ref=[\w-]+", referral)
    signer = browser.new_context(locale="fr-BE").new_page()
    signer.goto(referral)
    signer.locator("input[name=kind][value=organisation]").check()
    signer.locator("#organisation_name").fill("Gentse Digitale Buurt vzw")
    signer.locator("#organisation_type").select_option(index=3)
    signer.locator("#city").fill("Gand")
    signer.locator("#country").select_option("BE")
    signer.locator("#contact_name").fill("Lotte Claes")
    signer.locator("#contact_email").fill("lotte@gdb.example.be")
    signer.locator("#consent_privacy").check()
    signer.locator("#contact_email").press("Enter")
    signer.wait_for_url(re.compile(r".*/fr/sign/sent$"))
    confirm_by_email(signer, live_app, mailbox, "lotte@gdb.example.be", "fr",
                     "Confirmer ma signature")
    signer.context.close()

    page.reload()
    assert "1 signature recueillie grâce à vos liens, dont 1 comptabilisée." in page.inner_text("main")
    # Only what happened from the target's start counts: 3 activities, 187 people.
    assert "3 sur 10" in page.inner_text("main")
    assert "187 sur 500" in page.inner_text("main")
    screenshot(page, "ambassador-home")

    # --- A best practice, published by a coordinator, appears in the public library.
    page.goto(f"{live_server}/fr/ambassador/practices")
    page.locator("#title").fill("Des ateliers clos par le maire")
    page.locator("#summary").fill("Le maire clôt chaque atelier de quartier ; les habitants "
                                  "lui posent leurs questions et il signe sur place.")
    page.locator("#theme").select_option("digital_inclusion")
    page.locator("#language").select_option("fr")
    page.locator("form:has(#summary) button[type=submit]").click()
    log_out(page)

    public = browser.new_context().new_page()
    public.goto(f"{live_server}/en/best-practices")
    assert public.get_by_text("Des ateliers clos par le maire").count() == 0

    log_in(page, live_server, "en", COORDINATOR_EMAIL, DEMO_PASSWORD)
    page.goto(f"{live_server}/en/coordinate/practices")
    item = page.locator("article", has_text="Des ateliers clos par le maire")
    item.get_by_role("button", name=re.compile("^Publish")).click()
    assert "is in the public library" in flash(page)

    public.goto(f"{live_server}/en/best-practices?theme=digital_inclusion")
    assert public.get_by_role("heading", name="Des ateliers clos par le maire").is_visible()
    public.goto(f"{live_server}/en/ambassadors")
    ghent = public.locator("section, article", has_text="Ghent, Belgium").first
    assert "Des ateliers clos par le maire" in ghent.inner_text()
    assert "Deputy mayor keen" not in public.content()  # interview notes stay private
    public.context.close()

"""WCAG 2.1 AA, checked in a real browser on every page in all seven languages.

axe-core (through axe-playwright-python, which bundles it) runs the WCAG 2.0 and 2.1 A and AA
rules on every HTML page: public, the signatory's secret-link pages, the coordinator's and the
ambassador's pages, the error pages, and the states a form takes after a bad submission. Each
page must have zero violations. On the same pages, beyond what axe sees: the page's language,
a working skip link as the first stop of the keyboard, charts with text alternatives, no
sideways scrolling at 320 px (a phone) and at 640 px (1280 px at 200% zoom).

A new page fails ``test_every_page_is_checked`` until it is added to PAGES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import pytest

from config import LANGUAGES
from manifesto.demo import AMBASSADOR_EMAIL, COORDINATOR_EMAIL
from tests.browser.conftest import DEMO_PASSWORD
from tests.support.browser import log_in
from tests.web.test_routes import ROUTES

axe_api = pytest.importorskip("axe_playwright_python.sync_playwright",
                              reason="axe-playwright-python is not installed")

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
PHONE, ZOOMED = 320, 640  # CSS pixels: a small phone, and a 1280 px window at 200% zoom

ANON, COORDINATOR, AMBASSADOR = "visitor", "coordinator", "ambassador"


def submit(selector: str) -> Callable:
    """A form sent empty (or as it is), to check the page that explains the errors."""
    def action(page):
        with page.expect_navigation():
            page.locator(selector).click()
    return action


def fill_and_submit(fields: dict[str, str], selector: str) -> Callable:
    def action(page):
        for css, value in fields.items():
            page.locator(css).fill(value)
        with page.expect_navigation():
            page.locator(selector).click()
    return action


def without_csrf_token(selector: str) -> Callable:
    """A form whose token was lost (an old tab, a cleared cookie): the 400 "expired" page."""
    def action(page):
        page.evaluate("document.querySelectorAll('[name=csrf_token]').forEach(e => e.remove())")
        with page.expect_navigation():
            page.locator(selector).click()
    return action


def upload_bad_csv(page):
    page.locator("#file").set_input_files(files=[{
        "name": "activities.csv", "mimeType": "text/csv",
        "buffer": b"date,type,title,audience_reached\n2031-01-01,party,,-4\n"}])
    with page.expect_navigation():
        page.locator("form:has(#file) button[type=submit]").click()


@dataclass(frozen=True)
class Page:
    name: str
    who: str
    rule: str  # the route, as in tests/web/test_routes.py
    query: str = ""
    token: str = ""  # which secret link fills <token>
    action: Callable | None = None  # what the visitor does before the check
    status: int = 200
    rendered: str = ""  # an error template the server cannot be made to show on request


PAGES = [
    Page("home", ANON, "/<lang:lang_code>/"),
    Page("manifesto", ANON, "/<lang:lang_code>/manifesto"),
    Page("manifesto-v1", ANON, "/<lang:lang_code>/manifesto/v<int:number>"),
    Page("about", ANON, "/<lang:lang_code>/about"),
    Page("privacy", ANON, "/<lang:lang_code>/privacy"),
    Page("accessibility", ANON, "/<lang:lang_code>/accessibility"),
    Page("ambassadors", ANON, "/<lang:lang_code>/ambassadors"),
    Page("best-practices", ANON, "/<lang:lang_code>/best-practices", "?theme=digital_inclusion"),
    Page("targets", ANON, "/<lang:lang_code>/targets"),
    Page("signatories", ANON, "/<lang:lang_code>/signatories"),
    Page("signatories-filtered", ANON, "/<lang:lang_code>/signatories", "?kind=mayor&page=2"),
    Page("sign", ANON, "/<lang:lang_code>/sign"),
    Page("sign-errors", ANON, "/<lang:lang_code>/sign",
         action=fill_and_submit({"#contact_email": "not-an-address", "#city": "<b>x</b>"},
                                "form.sign-form button[type=submit]")),
    Page("sign-sent", ANON, "/<lang:lang_code>/sign/sent"),
    Page("confirm", ANON, "/<lang:lang_code>/confirm/<token>", token="confirm"),
    Page("confirm-unknown-link", ANON, "/<lang:lang_code>/confirm/<token>", token="unknown", status=404),
    Page("my-signature", ANON, "/<lang:lang_code>/signature/<token>", token="manage"),
    Page("my-signature-withdrawn", ANON, "/<lang:lang_code>/signature/<token>", token="withdrawn",
         status=410),
    Page("withdrawn", ANON, "/<lang:lang_code>/signature/withdrawn"),
    Page("lost-link", ANON, "/<lang:lang_code>/signature/lost"),
    Page("lost-link-errors", ANON, "/<lang:lang_code>/signature/lost",
         action=fill_and_submit({"#lost_email": "not-an-address"}, "main form [type=submit]")),
    Page("lost-link-sent", ANON, "/<lang:lang_code>/signature/lost/sent"),
    Page("login", ANON, "/<lang:lang_code>/login"),
    Page("login-errors", ANON, "/<lang:lang_code>/login",
         action=fill_and_submit({"#email": "someone@example.org", "#password": "wrong"},
                                "form:has(#password) [type=submit]")),
    Page("reset", ANON, "/<lang:lang_code>/account/reset"),
    Page("reset-errors", ANON, "/<lang:lang_code>/account/reset",
         action=fill_and_submit({"#email": "not-an-address"}, "main form [type=submit]")),
    Page("reset-sent", ANON, "/<lang:lang_code>/account/reset/sent"),
    Page("set-password-invitation", ANON, "/<lang:lang_code>/account/set-password/<token>",
         token="invite"),
    Page("set-password-errors", ANON, "/<lang:lang_code>/account/set-password/<token>",
         token="invite", action=submit("main form [type=submit]")),
    Page("set-password-reset", ANON, "/<lang:lang_code>/account/set-password/<token>",
         token="reset"),
    Page("set-password-unknown-link", ANON, "/<lang:lang_code>/account/set-password/<token>",
         token="unknown", status=404),
    Page("not-found", ANON, "/<lang:lang_code>/no-such-page", status=404),
    Page("method-not-allowed", ANON, "/<lang:lang_code>/sign/resend", status=405),
    Page("form-expired", ANON, "/<lang:lang_code>/login",
         action=without_csrf_token("form:has(#password) [type=submit]")),
    Page("server-error", ANON, "/<lang:lang_code>/", rendered="errors/500.html"),
    Page("database-away", ANON, "/<lang:lang_code>/", rendered="errors/503.html"),

    Page("review", COORDINATOR, "/<lang:lang_code>/coordinate/review"),
    Page("dashboard", COORDINATOR, "/<lang:lang_code>/coordinate/dashboard"),
    Page("dashboard-errors", COORDINATOR, "/<lang:lang_code>/coordinate/dashboard",
         "?start=2017-12-31&end=2016-11-01", status=400),
    Page("audit", COORDINATOR, "/<lang:lang_code>/coordinate/audit"),
    Page("privacy-overview", COORDINATOR, "/<lang:lang_code>/coordinate/privacy"),
    Page("privacy-subject", COORDINATOR, "/<lang:lang_code>/coordinate/privacy",
         action=fill_and_submit({"#email": AMBASSADOR_EMAIL}, "form:has(#email) [type=submit]")),
    Page("privacy-notice-edit", COORDINATOR, "/<lang:lang_code>/coordinate/privacy/notice/<lang>"),
    Page("publish", COORDINATOR, "/<lang:lang_code>/coordinate/manifesto"),
    Page("cities", COORDINATOR, "/<lang:lang_code>/coordinate/cities"),
    Page("cities-errors", COORDINATOR, "/<lang:lang_code>/coordinate/cities",
         action=submit("form:has(#name) [type=submit]")),
    Page("city", COORDINATOR, "/<lang:lang_code>/coordinate/cities/<int:city_id>"),
    Page("practices-queue", COORDINATOR, "/<lang:lang_code>/coordinate/practices"),
    Page("manage-targets", COORDINATOR, "/<lang:lang_code>/coordinate/targets"),
    Page("target-edit", COORDINATOR, "/<lang:lang_code>/coordinate/targets/<int:target_id>/edit"),
    Page("users", COORDINATOR, "/<lang:lang_code>/coordinate/users"),
    Page("users-errors", COORDINATOR, "/<lang:lang_code>/coordinate/users",
         action=submit("form:has(#name) [type=submit]")),
    Page("account", COORDINATOR, "/<lang:lang_code>/account"),
    Page("forbidden", AMBASSADOR, "/<lang:lang_code>/coordinate/review", status=403),

    Page("ambassador-home", AMBASSADOR, "/<lang:lang_code>/ambassador/"),
    Page("activities", AMBASSADOR, "/<lang:lang_code>/ambassador/activities"),
    Page("activity-new", AMBASSADOR, "/<lang:lang_code>/ambassador/activities/new"),
    Page("activity-errors", AMBASSADOR, "/<lang:lang_code>/ambassador/activities/new",
         action=fill_and_submit({"#date": "2031-01-01", "#audience_reached": "-4"},
                                "form:has(#title) [type=submit]")),
    Page("activity-edit", AMBASSADOR,
         "/<lang:lang_code>/ambassador/activities/<int:activity_id>/edit"),
    Page("activity-delete", AMBASSADOR,
         "/<lang:lang_code>/ambassador/activities/<int:activity_id>/delete"),
    Page("import", AMBASSADOR, "/<lang:lang_code>/ambassador/activities/import"),
    Page("import-report", AMBASSADOR, "/<lang:lang_code>/ambassador/activities/import",
         action=upload_bad_csv),
    Page("ambassador-practices", AMBASSADOR, "/<lang:lang_code>/ambassador/practices"),
    Page("practice-edit", AMBASSADOR,
         "/<lang:lang_code>/ambassador/practices/<int:practice_id>/edit"),
]


def html_pages_in_routes() -> set[str]:
    """Every GET route that answers with a page (not a file, a CSV, JSON or an image)."""
    return {rule for (rule, method) in ROUTES
            if method == "GET" and rule.startswith("/<lang:lang_code>/")
            and not re.search(r"\.(csv|json|svg)$", rule)}


def test_every_page_is_checked():
    missing = html_pages_in_routes() - {p.rule for p in PAGES}
    assert not missing, f"pages without an accessibility check: {sorted(missing)}"


@pytest.fixture(scope="module")
def visitors(browser, live_server):
    """One browser context per kind of visitor, the private ones logged in once."""
    contexts = {}
    for who, email in ((ANON, None), (COORDINATOR, COORDINATOR_EMAIL),
                       (AMBASSADOR, AMBASSADOR_EMAIL)):
        context = browser.new_context(bypass_csp=True)  # axe is injected into the page
        page = context.new_page()
        if email:
            log_in(page, live_server, "en", email, DEMO_PASSWORD)
            assert "/login" not in page.url, f"the demo {who} could not log in"
        contexts[who] = page
    yield contexts
    for page in contexts.values():
        page.context.close()


def path_of(spec: Page, lang: str, demo_ids) -> str:
    values, tokens = demo_ids
    path = spec.rule.replace("<lang:lang_code>", lang).replace("<lang>", lang)
    path = path.replace("<token>", tokens.get(spec.token, ""))
    path = re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), path)
    return path + spec.query


def render_error_page(live_app, template: str, lang: str) -> str:
    """The 500 and 503 pages, rendered by the app as its error handlers render them."""
    from flask import render_template

    with live_app.test_request_context(f"/{lang}/"):
        live_app.preprocess_request()
        return render_template(template, status=int(template[-8:-5]),
                               db_down=template.endswith("503.html"))


def open_page(page, spec: Page, lang: str, live_server, live_app, demo_ids):
    url = live_server + path_of(spec, lang, demo_ids)
    if spec.rendered:
        html = render_error_page(live_app, spec.rendered, lang)
        page.route(url, lambda route: route.fulfill(status=200, body=html,
                                                    content_type="text/html; charset=utf-8"))
        try:
            page.goto(url)
        finally:
            page.unroute(url)
        return
    response = page.goto(url)
    if spec.action:
        spec.action(page)
    else:
        assert response.status == spec.status, f"{url} answered {response.status}"


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: "
                         f"{node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


AXE = axe_api.Axe()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_wcag_21_aa(visitors, spec, lang, live_server, live_app, demo_ids):
    page = visitors[spec.who]
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, spec, lang, live_server, live_app, demo_ids)
    assert page.locator("html").get_attribute("lang") == lang

    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{page.url}\n{describe(violations)}"

    # The skip link is the first stop of the keyboard and leads to the main content.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.locator("body").focus()
    first = page.evaluate("""() => {
        const all = [...document.querySelectorAll('a[href], button, input, select, textarea')];
        const f = all.find(e => !e.disabled && e.type !== 'hidden' && e.tabIndex >= 0);
        return f && f.classList.contains('skip-link') && f.getAttribute('href');
    }""")
    assert first == "#main" and page.locator("main#main").count() == 1

    # A field marked invalid says why, in text tied to it; and the page says so at the top,
    # in a region that screen readers announce.
    untied = page.evaluate("""() => [...document.querySelectorAll('[aria-invalid=true]')]
        .filter(el => !(el.getAttribute('aria-describedby') || '').split(/\\s+/).some(id => {
            const d = id && document.getElementById(id);
            return d && d.classList.contains('error') && d.textContent.trim(); }))
        .map(el => el.id)""")
    assert untied == [], f"{page.url}: errors not tied to {untied}"
    if page.locator("[aria-invalid=true]").count():
        assert page.locator(".error-summary[role=alert]").count() == 1

    # Charts are images with a title and a description, or hidden decoration.
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('svg')].filter(svg =>
        svg.closest('[aria-hidden=true]') === null && !(svg.getAttribute('role') === 'img'
        && (svg.getAttribute('aria-labelledby') || svg.getAttribute('aria-label')))).length""")
    assert unlabelled == 0

    for width in (PHONE, ZOOMED):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"


def test_the_check_can_fail(visitors, live_server):
    """axe really runs: a page broken on purpose has the violations one expects."""
    page = visitors[ANON]
    page.goto(live_server + "/en/about")
    page.evaluate("""() => {
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="/static/favicon.svg"><input type="text" name="x">'
            + '<p style="color:#bbb;background:#fff">Faint text</p>');
        document.documentElement.removeAttribute('lang');
    }""")
    found = {v["id"] for v in AXE.run(page, options=AXE_OPTIONS).response["violations"]}
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= found


# --- The keyboard alone -------------------------------------------------------------------

MARK_CONTROLS = """() => {
    const visible = el => { const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
    const controls = [...document.querySelectorAll(
        'main input, main select, main textarea, main button, main summary')]
        .filter(el => el.type !== 'hidden' && !el.disabled && visible(el)
                && !el.closest('[aria-hidden=true]'));
    controls.forEach((el, i) => el.dataset.kb = String(i));
    // A group of radio buttons is one stop of the Tab key; the arrows move inside it.
    const stops = new Set(controls.map(el => el.type === 'radio' ? 'radio:' + el.name : el.dataset.kb));
    return [...stops];
}"""

FOCUSED = """async () => {
    await new Promise(requestAnimationFrame);  // the styles of the new focus
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return {
        stop: el.type === 'radio' ? 'radio:' + el.name : (el.dataset.kb || ''),
        what: el.outerHTML.slice(0, 90),
        indicator: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                   || s.boxShadow !== 'none',
        shown: r.width > 0 && r.height > 0,
    };
}"""


def tab_through(page, limit: int = 400) -> list[dict]:
    """Every stop of the Tab key from the top of the page, once round."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused["what"] == stops[0]["what"]):
            break
        stops.append(focused)
    return stops


FORM_PAGES = [p for p in PAGES if p.action is None and p.status == 200 and not p.rendered
              and p.name not in ("home", "manifesto", "manifesto-v1", "about", "privacy",
                                 "accessibility", "sign-sent", "withdrawn", "lost-link-sent",
                                 "reset-sent")]


@pytest.mark.parametrize("spec", FORM_PAGES, ids=[p.name for p in FORM_PAGES])
def test_every_control_is_reached_with_tab_and_shows_its_focus(
        visitors, spec, live_server, live_app, demo_ids):
    page = visitors[spec.who]
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, spec, "en", live_server, live_app, demo_ids)
    expected = set(page.evaluate(MARK_CONTROLS))
    stops = tab_through(page)
    assert stops and "skip-link" in stops[0]["what"]
    hidden = [s["what"] for s in stops if not s["shown"]]
    assert not hidden, f"the keyboard stops on what cannot be seen: {hidden}"
    invisible = [s["what"] for s in stops if not s["indicator"]]
    assert not invisible, f"no visible focus on: {invisible}"
    missed = expected - {s["stop"] for s in stops}
    assert not missed, f"{page.url}: Tab never reaches {missed}"


def test_signing_with_the_keyboard_alone(visitors, live_server, live_app, mailbox):
    """An organisation signs in Italian without touching the mouse: Tab, the arrows, Space,
    letters and Enter."""
    page = visitors[ANON]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/it/sign")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    typed = {"organisation_name": "Cooperativa Tastiera", "city": "Bologna",
             "contact_name": "Giulia Neri", "contact_email": "giulia@tastiera.example",
             "website": "https://tastiera.example/"}
    for _ in range(200):
        page.keyboard.press("Tab")
        el = page.evaluate("({id: document.activeElement.id, type: document.activeElement.type,"
                           " name: document.activeElement.name,"
                           " value: document.activeElement.value})")
        if el["name"] == "kind":
            page.keyboard.press("Space")
            while page.evaluate("document.querySelector('[name=kind]:checked').value") \
                    != "organisation":
                page.keyboard.press("ArrowDown")
        elif el["id"] in typed:
            page.keyboard.type(typed[el["id"]])
        elif el["id"] in ("organisation_type", "country"):
            page.keyboard.type("Universit" if el["id"] == "organisation_type" else "Italia")
        elif el["id"] in ("consent_privacy", "listed_publicly") or el["name"] == "themes" \
                and el["value"] == "digital_inclusion":
            page.keyboard.press("Space")
        elif el["type"] == "submit" and page.evaluate(
                "!!document.activeElement.closest('form.sign-form')"):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    assert page.url == f"{live_server}/it/sign/sent", page.locator(".error-summary").all_inner_texts()
    from tests.browser.test_signing import deliver
    mail = deliver(live_app, mailbox, "giulia@tastiera.example")
    assert mail["Content-Language"] == "it"


def test_a_mistake_takes_the_keyboard_to_the_list_of_problems_and_on_to_the_field(
        visitors, live_server):
    page = visitors[ANON]
    page.goto(f"{live_server}/fr/sign")
    page.locator("input[name=kind][value=organisation]").check()
    page.locator("#contact_email").fill("pas-une-adresse")
    with page.expect_navigation():
        page.locator("form.sign-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    link = summary.locator("a[href='#contact_email']")
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contact_email"
    assert page.locator("#contact_email").input_value() == "pas-une-adresse"


def test_the_statement_says_what_is_checked(page, live_server):
    """The accessibility statement's figures are those of this file and of the axe it runs."""
    from manifesto.core.campaign import ACCESSIBILITY_CHECK

    axe_version = re.match(r"/\*! axe v(\d+\.\d+)", AXE.axe_script).group(1)
    assert ACCESSIBILITY_CHECK == {"pages": len(PAGES), "languages": len(LANGUAGES),
                                   "axe": axe_version}
    page.goto(f"{live_server}/en/accessibility")
    text = page.locator("main").inner_text()
    assert f"checked {len(PAGES)} pages in each of the 7 languages" in text
    assert f"axe-core {axe_version}" in text
    assert "@" in page.locator("main h2:has-text('Report a problem') + p").inner_text()

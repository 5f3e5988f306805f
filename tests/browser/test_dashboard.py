"""Issue 5's "done when", in a real browser on the demo data: the public targets page and the
badge in all seven languages, and the coordinator's dashboard in all seven, every chart with
its title, description and table, its filters working."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import LANGUAGES
from manifesto.cities import targets
from manifesto.core.i18n import country_name
from manifesto.demo import COORDINATOR_EMAIL
from manifesto.extensions import db
from manifesto.models import Target
from tests.browser.conftest import DEMO_PASSWORD
from tests.support.browser import log_in
from tests.web.public.test_pages import translated


def published_targets(app) -> list[tuple[int, int, int]]:
    """(id, current, value) of each published target, as the app computes them."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Target).where(Target.published.is_(True))).all()
        return [(t.id, targets.progress(t).current, t.value) for t in rows]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_targets_and_badge_in_every_language(page, live_server, live_app, lang):
    expected = published_targets(live_app)
    assert expected, "the demo data publishes targets"
    page.goto(f"{live_server}/{lang}/targets")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == translated(live_app, lang, "Targets")
    for target_id, current, value in expected:
        bar = page.locator(f"article.target progress[aria-labelledby='target-{target_id}']")
        assert bar.get_attribute("max") == str(value)
        assert bar.get_attribute("value") == str(min(current, value))
        assert page.locator(f"#target-{target_id}").inner_text().strip()
    badge = page.request.get(f"{live_server}/{lang}/badge.svg")
    assert badge.status == 200
    assert badge.headers["content-type"].startswith("image/svg+xml")
    page.goto(f"{live_server}/{lang}/badge.svg")
    assert page.locator("svg title").count() == 1


def test_the_dashboard_in_every_language_and_its_filters(page, live_server, live_app):
    log_in(page, live_server, "en", COORDINATOR_EMAIL, DEMO_PASSWORD)
    for lang in LANGUAGES:
        page.goto(f"{live_server}/{lang}/coordinate/dashboard")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == translated(live_app, lang, "Dashboard")
        charts = page.locator("svg.chart[role=img]")
        assert charts.count() >= 8  # burn-ups, funnel, map, kind, language, theme, cities, types
        for i in range(charts.count()):
            title_id, desc_id = charts.nth(i).get_attribute("aria-labelledby").split()
            assert page.locator(f"[id='{title_id}']").text_content().strip()
            assert page.locator(f"[id='{desc_id}']").text_content().strip()
        # Every chart's numbers are in a table too (the burn-ups' in a <details>).
        assert page.locator("table.data").count() >= charts.count()

    page.goto(f"{live_server}/pt/coordinate/dashboard")
    page.locator("#start").fill("2016-11-01")
    page.locator("#end").fill("2017-12-31")
    page.locator("#country").select_option("PT")
    page.get_by_role("button", name=translated(live_app, "pt", "Show")).click()
    page.wait_for_load_state()
    assert "country=PT" in page.url and "start=2016-11-01" in page.url
    portugal = country_name("PT", "pt")
    assert portugal in page.locator("p.totals").inner_text()
    # The map's table lists Portugal alone (the demo has signatures there in that period).
    countries = page.locator("section[aria-labelledby=country-title] table.data tbody th")
    assert [countries.nth(i).inner_text().strip() for i in range(countries.count())] == [portugal]

    # An inverted range is refused with a translated message tied to the field; what was typed
    # stays.
    page.locator("#start").fill("2017-12-31")
    page.locator("#end").fill("2016-11-01")
    page.get_by_role("button", name=translated(live_app, "pt", "Show")).click()
    page.wait_for_load_state()
    assert page.locator("#end").input_value() == "2016-11-01"
    assert page.locator("#end").get_attribute("aria-invalid") == "true"
    assert page.locator("#end-error").inner_text().strip()
    assert page.locator("p.notice[role=status]").is_visible()

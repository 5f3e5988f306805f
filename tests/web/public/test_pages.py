"""Every public page, in every language: it renders, says which language it is in, links to
itself in the six others, and formats dates, numbers and countries for the locale."""

import hashlib
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from config import LANGUAGES
from manifesto.extensions import db
from manifesto.models import SignatoryKind, SignatureCount, SignatureStatus
from manifesto.signatures.counts import rebuild_signature_counts
from tests.support import factories

PUBLIC_PAGES = ["/", "/manifesto", "/manifesto/v1", "/about", "/privacy", "/accessibility",
                "/login"]
TEXTS = Path(__file__).resolve().parents[3] / "manifesto" / "content" / "manifesto" / "v1"


@pytest.fixture
def site(app):
    factories.manifesto()
    factories.signature(country="DE")
    factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.VERIFIED, country="IT")
    rebuild_signature_counts()
    db.session.commit()
    return app


def translated(app, lang, message):
    with app.test_request_context(), force_locale(lang):
        return gettext(message)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_every_public_page_renders_in_every_language(site, lang, page):
    client = site.test_client()
    response = client.get(f"/{lang}{page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html
    # The page's chrome is in the page's language, not English.
    assert translated(site, lang, "Skip to main content") in html
    if lang != "en":
        assert translated(site, lang, "Skip to main content") != "Skip to main content"
    # hreflang alternates: one per language plus x-default, all absolute.
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([a-z-]+)" href="([^"]+)"', html))
    assert set(alternates) == set(LANGUAGES) | {"x-default"}
    for other in LANGUAGES:
        assert alternates[other] == f"http://localhost/{other}{page}"


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_language_switcher_keeps_the_visitor_on_the_same_page(site, page):
    html = site.test_client().get(f"/fr{page}").get_data(as_text=True)
    switcher = html.split('<nav class="languages"', 1)[1].split("</nav>", 1)[0]
    links = dict((lang, href) for href, lang in re.findall(r'<a href="([^"]+)" lang="([a-z]+)"', switcher))
    assert links == {lang: f"/{lang}{page}" for lang in LANGUAGES}
    assert 'lang="fr" hreflang="fr" aria-current="true"' in switcher


def test_switcher_keeps_the_query_string(site):
    html = site.test_client().get("/de/login?next=/de/about").get_data(as_text=True)
    assert 'href="/it/login?next=/de/about"' in html


@pytest.mark.parametrize(
    "header, expected",
    [
        ("de-AT,de;q=0.9,en;q=0.5", "/de/"),
        ("pt-BR,pt;q=0.9", "/pt/"),
        ("ru", "/ru/"),
        ("es-ES;q=0.4,fr;q=0.8", "/fr/"),
        ("zh-CN,ja;q=0.9", "/en/"),
        ("!!!;q=abc,,,;;", "/en/"),
        ("", "/en/"),
    ],
)
def test_root_redirects_to_the_best_language(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    "lang, launch, germany",
    [
        ("en", "November 23, 2016", "Germany"),
        ("fr", "23 novembre 2016", "Allemagne"),
        ("de", "23. November 2016", "Deutschland"),
        ("it", "23 novembre 2016", "Germania"),
        ("pt", "23 de novembro de 2016", "Alemanha"),
        ("ru", "23 ноября 2016", "Германия"),
        ("es", "23 de noviembre de 2016", "Alemania"),
    ],
)
def test_home_formats_dates_and_country_names_for_the_locale(site, lang, launch, germany):
    html = site.test_client().get(f"/{lang}/").get_data(as_text=True)
    assert launch in html
    assert germany in html


def stats(html: str) -> dict[str, str]:
    return {label: value for value, label in re.findall(
        r'stat-value">([^<]+)</span>\s*<span class="stat-label">([^<]+)<', html)}


def test_home_shows_live_counts_from_the_counters(site):
    """A verified mayor and a confirmed organisation count; the mayor only once verified."""
    factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.CONFIRMED, country="PT")
    rebuild_signature_counts()
    db.session.commit()
    counts = stats(site.test_client().get("/en/").get_data(as_text=True))
    assert counts == {
        "mayors and delegates, with a verified mandate": "1",
        "organisations": "1",
        "countries": "2",
        "Ambassador Cities": "0",
    }


@pytest.mark.parametrize("lang, shown", [("en", "12,345"), ("de", "12.345"),
                                         ("fr", "12\u202f345"), ("ru", "12\xa0345")])
def test_numbers_are_grouped_for_the_locale(app, lang, shown):
    db.session.add(SignatureCount(kind=SignatoryKind.ORGANISATION,
                                  status=SignatureStatus.CONFIRMED, country="FR", count=12345))
    db.session.commit()
    html = app.test_client().get(f"/{lang}/").get_data(as_text=True)
    assert shown in stats(html).values()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_manifesto_page_shows_the_text_version_and_its_fingerprint(site, lang):
    source = (TEXTS / f"{lang}.md").read_text(encoding="utf-8")
    title = source.splitlines()[0][2:]
    html = site.test_client().get(f"/{lang}/manifesto").get_data(as_text=True)
    assert f'<h1 id="manifesto-title">{title}</h1>' in html
    assert hashlib.sha256(source.encode()).hexdigest() in html
    assert html.count("<h3>") == 6  # six areas of activity
    assert len(re.findall(r"<li>\s*<strong>", html)) == 5  # five commitments


def test_unknown_manifesto_version_is_a_localized_404(site):
    response = site.test_client().get("/it/manifesto/v9")
    assert response.status_code == 404
    assert translated(site, "it", "Page not found") in response.get_data(as_text=True)


def test_unknown_language_prefix_is_a_404_with_links_to_the_seven_languages(client, app):
    response = client.get("/xx/manifesto", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert translated(app, "fr", "Page not found") in html
    for lang in LANGUAGES:
        assert f'href="/{lang}/"' in html


def test_unknown_page_in_a_language_is_a_404_in_that_language(client, app):
    response = client.get("/ru/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="ru"' in html
    assert translated(app, "ru", "Page not found") in html


def test_internal_error_is_a_friendly_localized_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/<lang:lang_code>/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/es/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert translated(app, "es", "Something went wrong on our side") in html
    assert "RuntimeError" not in html and "Traceback" not in html


def test_pages_load_nothing_from_other_sites(site):
    for page in PUBLIC_PAGES:
        html = site.test_client().get(f"/en{page}").get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//(?!localhost)', html.replace(
            'href="http://localhost/', 'href="/')), page


def test_security_headers_on_pages(client):
    response = client.get("/en/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_badge_may_be_embedded_in_other_sites_and_nothing_else_may(client):
    badge = client.get("/en/badge.svg")
    assert badge.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors *"
    assert "X-Frame-Options" not in badge.headers
    page = client.get("/en/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_about_page_says_how_many_signed_from_the_counters(site):
    """Its figures come from the data, never from a sentence that goes stale: the site's
    organisation and verified mayor, then three organisations more and a mayor verified (one
    waiting for verification does not count)."""
    def about(lang: str) -> str:
        return " ".join(site.test_client().get(f"/{lang}/about").get_data(as_text=True).split())

    assert ("So far it has been signed by 1 organisation and 1 mayor or delegate with a "
            "verified mandate.") in about("en")
    for _ in range(3):
        factories.signature()
    factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.VERIFIED, country="PT")
    factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.CONFIRMED, country="FR")
    rebuild_signature_counts()
    db.session.commit()
    text = about("en")
    assert ("So far it has been signed by 4 organisations and 2 mayors or delegates with a "
            "verified mandate.") in text
    assert "150 organisations" not in text
    assert "4 Organisationen" in about("de")
    assert "4 организации" in about("ru")

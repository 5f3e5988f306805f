"""Public pages: home, the Manifesto text, about, privacy notice, accessibility statement."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request

from manifesto.cities import pipeline, practices, targets
from manifesto.core.campaign import (
    ACCESSIBILITY_CHECK,
    ACCESSIBILITY_STATEMENT_DATE,
    LAUNCH_DATE,
    PRIVACY_NOTICE_DATE,
)
from manifesto.core.i18n import country_choices, country_name, current_language, is_iso_country
from manifesto.extensions import db
from manifesto.models import SignatoryKind, Target, Theme
from manifesto.personal_data import privacy
from manifesto.signatures import public_list, texts
from manifesto.signatures.counts import counts_by_country, counts_by_kind_and_country, public_counts
from manifesto.web.pagination import Page, page_arg
from manifesto.web.public import bp

PER_PAGE = 50
MAX_PAGE = 2000


@bp.after_request
def shared_caching(response):
    """A page every visitor without a cookie gets alike may be kept a few seconds by a shared
    cache (the app's own, a proxy); the browser asks again each time (max-age=0), so someone
    who signs in next sees their own page. Visitors with a cookie get nothing to share."""
    seconds = current_app.config.get("RESPONSE_CACHE_SECONDS") or 0
    if (seconds and response.status_code == 200 and "Cache-Control" not in response.headers
            and not request.cookies):
        response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={int(seconds)}"
    return response


@bp.get("/")
def home():
    return render_template(
        "public/home.html",
        counts=public_counts(),
        by_country=counts_by_country(),
        launch_date=LAUNCH_DATE,
    )


@bp.get("/manifesto")
def manifesto():
    version = texts.current_version(current_language())
    if version is None:
        abort(404)
    return _render_manifesto(version, is_current=True)


@bp.get("/manifesto/v<int:number>")
def manifesto_version(number: int):
    version = texts.version(current_language(), number)
    if version is None:
        abort(404)
    current = texts.current_version(current_language())
    return _render_manifesto(version, is_current=current is not None and current.id == version.id)


def _render_manifesto(version, is_current: bool):
    return render_template(
        "public/manifesto.html",
        version=version,
        body=texts.render(version.body),
        is_current=is_current,
    )


@bp.get("/about")
def about():
    return render_template("public/about.html", launch_date=LAUNCH_DATE, counts=public_counts())


@bp.get("/privacy", endpoint="privacy")
def privacy_notice():
    """The notice in force in this language; ``?version=N`` shows an earlier one."""
    language = current_language()
    requested = request.args.get("version", "")
    if requested:
        if not (requested.isascii() and requested.isdigit()) or len(requested) > 6:
            abort(404)
        notice = privacy.notice(language, int(requested))
        if notice is None:
            abort(404)
    else:
        notice = privacy.current_notice(language)
    history = privacy.versions(language)
    return render_template(
        "public/privacy.html",
        notice=notice,
        current=history[0][0],
        history=history,
        builtin_date=PRIVACY_NOTICE_DATE,
    )


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html", statement_date=ACCESSIBILITY_STATEMENT_DATE,
                           check=ACCESSIBILITY_CHECK)


def _filters() -> public_list.SignatoryFilters:
    """The list's filters from the query string, leniently: values that are not on offer are
    dropped, as a person sees what the page shows (the API refuses them: ``api/params.py``)."""
    args = request.args
    chosen = {
        "kind": args.get("kind", ""),
        "country": args.get("country", "").upper(),
        "theme": args.get("theme", ""),
        "language": args.get("language", ""),
        # Control characters (NUL in particular: PostgreSQL refuses it in text) are dropped.
        "q": " ".join("".join(c for c in args.get("q", "") if c.isprintable() or c.isspace())
                      .split())[:100],
    }
    allowed = {
        "kind": lambda v: v in {k.value for k in SignatoryKind},
        "country": is_iso_country,
        "theme": lambda v: v in {t.value for t in Theme},
        "language": lambda v: v in current_app.config["LANGUAGES"],
        "q": bool,
    }
    return public_list.SignatoryFilters(
        **{name: value for name, value in chosen.items() if value and allowed[name](value)})


@bp.get("/signatories")
def signatories():
    filters = _filters()
    page = page_arg(MAX_PAGE)
    rows, has_next = public_list.page(filters, page, PER_PAGE)
    language = current_language()
    table = sorted(
        counts_by_kind_and_country(), key=lambda row: (-(row[1] + row[2]), country_name(row[0]))
    )
    listing = Page(rows, page, has_next)
    return render_template(
        "public/signatories.html",
        rows=listing.items,
        page=listing,
        filters=filters.as_args(),
        counts=public_counts(),
        by_country=table,
        countries=country_choices(language),
    )


@bp.get("/ambassadors")
def ambassadors():
    cities = pipeline.public_cities()
    ids = [city.id for city in cities]
    return render_template(
        "public/ambassadors.html",
        cities=cities,
        totals=pipeline.activity_totals(ids),
        practices=pipeline.published_practices(ids),
        empty=pipeline.ActivityTotals(),
    )


@bp.get("/best-practices")
def best_practices():
    args = request.args
    cities = practices.cities_with_practices()
    theme = args.get("theme", "")
    language = args.get("language", "")
    city = args.get("city", "")
    filters = {
        "theme": theme if theme in {t.value for t in Theme} else "",
        "language": language if language in current_app.config["LANGUAGES"] else "",
        "city": city if city.isascii() and city.isdigit() and int(city) in {c.id for c in cities} else "",
    }
    page = page_arg(MAX_PAGE)
    rows, total = practices.library(
        theme=Theme(filters["theme"]) if filters["theme"] else None,
        city_id=int(filters["city"]) if filters["city"] else None,
        language=filters["language"] or None,
        page=page,
    )
    return render_template(
        "public/best_practices.html",
        practices=rows,
        total=total,
        page=Page(rows, page, has_next=page * practices.PER_PAGE < total),
        filters={name: value for name, value in filters.items() if value},
        cities=cities,
    )


def _with_progress(target: Target, today):
    state, outlook, _series = targets.outlook(target, today)
    return (target, state, outlook)


@bp.get("/targets")
def targets_page():
    today = targets.today_utc()
    return render_template(
        "public/targets.html",
        rows=[_with_progress(t, today) for t in targets.public_targets()],
        pace_days=targets.PACE_DAYS,
    )


BADGE_CACHE = "public, max-age=300, stale-while-revalidate=600, stale-if-error=86400"


def _badge(**context):
    response = make_response(render_template("public/badge.svg", **context))
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = BADGE_CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"
    # Made to be embedded on other sites (as an image, or in a frame): nothing runs in it.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; frame-ancestors *")
    return response


@bp.get("/badge.svg")
def badge():
    """The campaign's live count, to embed: signatories so far, in the page's language."""
    return _badge(counts=public_counts(), target=None)


@bp.get("/targets/<int:target_id>/badge.svg")
def target_badge(target_id: int):
    target = db.session.get(Target, target_id)
    if not targets.is_public(target):
        abort(404)  # unpublished, or set for a city that is not public (a candidate)
    return _badge(counts=None, target=target, progress=targets.progress(target))

"""``/api/v1/``: thin views over ``api.data``; headers, CORS and JSON errors for every answer.

Every answer under ``/api/`` — including 404s for unknown paths, 405s and 500s, which the
app's error handlers produce — goes through ``api_headers``: CORS for any origin (the API is
read-only and uses no cookies), a short public cache, and one error shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import current_app, request
from werkzeug.exceptions import InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from manifesto.cities import targets
from manifesto.core import csvsafe
from manifesto.core.urls import absolute_url, site_url
from manifesto.extensions import db
from manifesto.models import SignatoryKind, Theme
from manifesto.signatures import public_list
from manifesto.web.api import bp, data, params
from manifesto.web.api.openapi import document
from manifesto.web.api.params import ApiError
from manifesto.web.sessions import is_api

CACHE_PUBLIC = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
HISTORY_KINDS = (SignatoryKind.ORGANISATION.value, SignatoryKind.MAYOR.value)
SIGNATORY_KINDS = tuple(kind.value for kind in SignatoryKind)
PER_PAGE, MAX_PER_PAGE = 50, 200

ERROR_MESSAGES = {
    404: "No such resource; the endpoints are listed in /api/v1/openapi.json",
    405: "The API is read-only: only GET (and OPTIONS) are allowed",
    500: "Internal error; it has been logged",
    503: "The database is briefly unavailable; try again shortly",
}


def _json(payload, status: int = 200):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, content_type=JSON_TYPE)


def _csv_lines(rows: Iterable[Iterable]) -> str:
    """Numbers as they are; text made safe from spreadsheet formulas (``csvsafe``)."""
    return csvsafe.lines(rows)


def _csv(filename: str, header: Iterable[str], rows: Iterable[Iterable]):
    """A small CSV, whole: UTF-8 with a byte order mark so spreadsheet apps read it as such."""
    body = "\ufeff" + _csv_lines([header]) + _csv_lines(rows)
    return _download(filename, body)


def _download(filename: str, body):
    response = current_app.response_class(body, content_type=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- every answer --------------------------------------------------------------------------------


@bp.before_request
def preflight():
    """CORS preflight: nothing to check, as every endpoint is a plain GET."""
    if request.method == "OPTIONS":
        return current_app.response_class(status=204)
    return None


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return _json(error.body(), error.status)


@bp.errorhandler(InternalServerError)
def internal_error(error):
    db.session.rollback()  # Flask has logged the exception already
    return _json({"error": {"code": "internal_error", "message": ERROR_MESSAGES[500]}}, 500)


def _normalised_error(response):
    """The app's handlers answer ``/api/`` errors as ``{"error": {"status": n}}``; give them
    the API's shape, keeping their status and headers (Retry-After on a 503)."""
    payload = response.get_json(silent=True) if response.is_json else None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and "code" in error and "message" in error:
        return response
    status = response.status_code
    name = HTTP_STATUS_CODES.get(status, "Error")
    response.set_data(json.dumps({"error": {
        "code": name.lower().replace(" ", "_").replace("-", "_"),
        "message": ERROR_MESSAGES.get(status, name),
    }}))
    if status == 405:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


@bp.after_app_request
def api_headers(response):
    if not is_api(request.path):
        return response
    if response.status_code >= 400:
        response = _normalised_error(response)
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers["Cache-Control"] = CACHE_PUBLIC
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    elif response.status_code >= 400 or response.mimetype == "application/json":
        response.headers["Content-Type"] = JSON_TYPE
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Expose-Headers"] = "Content-Disposition"
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    if response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.make_conditional(request)
    return response


# --- counts --------------------------------------------------------------------------------------


@bp.get("/counts")
def counts():
    return _json(data.counts_summary())


@bp.get("/counts.csv")
def counts_csv():
    by_country = data.counts_summary()["by_country"]
    return _csv(
        "manifesto-counts.csv",
        ("country", "organisations", "mayors", "total"),
        ((code, c["organisations"], c["mayors"], c["organisations"] + c["mayors"])
         for code, c in by_country.items()),
    )


# --- history -------------------------------------------------------------------------------------


def _history_series() -> list[dict]:
    args = request.args
    kind = params.choice(args, "kind", HISTORY_KINDS)
    country = params.country(args)
    start, end = params.date_range(args)
    return data.history(kind, country, start, end)


@bp.get("/history")
def history():
    return _json({"series": _history_series()})


@bp.get("/history.csv")
def history_csv():
    series = _history_series()
    return _csv("manifesto-history.csv", ("date", "count"),
                ((point["date"], point["count"]) for point in series))


# --- signatories ---------------------------------------------------------------------------------


def _signatory_filters() -> public_list.SignatoryFilters:
    """The list's filters, strictly: a value not on offer is a 400 that names it."""
    args = request.args
    return public_list.SignatoryFilters(
        kind=params.choice(args, "kind", SIGNATORY_KINDS),
        country=params.country(args),
        language=params.choice(args, "language", current_app.config["LANGUAGES"]),
        theme=params.choice(args, "theme", (theme.value for theme in Theme)),
        q=params.search(args),
    )


SIGNATORY_COLUMNS = ("kind", "name", "organisation_type", "city", "country", "language",
                     "themes", "listed_on")


@bp.get("/signatories")
def signatories():
    filters = _signatory_filters()
    per_page = params.whole(request.args, "per_page", PER_PAGE, 1, MAX_PER_PAGE)
    deepest = data.MAX_OFFSET // per_page
    page = params.whole(request.args, "page", 1, 1, 10**9)
    if page > deepest:
        raise ApiError("page", f"'page' may be at most {deepest} with per_page={per_page}; "
                               "signatories.csv has every row")
    items, has_next = data.signatories_page(filters, page, per_page)
    following = None
    if has_next and page < deepest:
        following = absolute_url("api.signatories", query={
            "page": page + 1, "per_page": per_page, **filters.as_args()})
    return _json({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": data.counted_total(filters),
        "next": following,
    })


@bp.get("/signatories.csv")
def signatories_csv():
    filters = _signatory_filters()
    batches = data.signatories_batches(  # the first batch is read now: errors are still a 500
        filters,
        lambda items: _csv_lines(
            [item[c] if c != "themes" else " ".join(item[c]) for c in SIGNATORY_COLUMNS]
            for item in items),
        header="\ufeff" + _csv_lines([SIGNATORY_COLUMNS]))
    # No stream_with_context: each batch is read in a session of its own (core/streaming.py), and
    # when the client goes away mid-download the generator's close ends it.
    return _download("manifesto-signatories.csv", batches.text())


# --- targets -------------------------------------------------------------------------------------


def _targets() -> tuple[str, list[dict]]:
    today = targets.today_utc()
    return today.isoformat(), data.published_targets(current_app.config["LANGUAGES"], today)


@bp.get("/targets", endpoint="targets")
def targets_json():
    today, rows = _targets()
    return _json({"today": today, "targets": rows})


@bp.get("/targets.csv")
def targets_csv():
    _today, rows = _targets()
    languages = current_app.config["LANGUAGES"]
    header = ("id", "metric", "scope", "scope_country", "scope_ambassador_city_id",
              "scope_ambassador_city_name", "value", "start_date", "deadline",
              *(f"title_{lang}" for lang in languages),
              "current", "percent", "status", "remaining", "days_left",
              "pace_per_day", "achieved_on", "projected_on",
              "deadline_passed", "reached_on", "value_today")
    return _csv("manifesto-targets.csv", header, (
        (t["id"], t["metric"], t["scope"], t["scope_country"],
         (t["scope_ambassador_city"] or {}).get("id"),
         (t["scope_ambassador_city"] or {}).get("name"),
         t["value"], t["start_date"], t["deadline"],
         *(t["titles"][lang] for lang in languages),
         t["progress"]["current"], t["progress"]["percent"], t["progress"]["status"],
         t["progress"]["remaining"], t["progress"]["days_left"],
         t["forecast"]["pace_per_day"], t["forecast"]["achieved_on"],
         t["forecast"]["projected_on"],
         "true" if t["progress"]["deadline_passed"] else "false",
         t["progress"]["reached_on"], t["progress"]["value_today"])
        for t in rows
    ))


# --- ambassador cities ---------------------------------------------------------------------------


@bp.get("/ambassadors")
def ambassadors():
    return _json({"cities": data.ambassador_cities()})


@bp.get("/ambassadors.csv")
def ambassadors_csv():
    header = ("id", "name", "country", "stage", "commitment_date", "commitment_statement",
              "languages", "countries", "activities", "people_reached", "mayors_engaged",
              "organisations_engaged", "best_practices")
    return _csv("manifesto-ambassadors.csv", header, (
        (c["id"], c["name"], c["country"], c["stage"], c["commitment_date"],
         c["commitment_statement"], " ".join(c["languages"]), " ".join(c["countries"]),
         c["outreach"]["activities"], c["outreach"]["people_reached"],
         c["outreach"]["mayors_engaged"], c["outreach"]["organisations_engaged"],
         len(c["best_practices"]))
        for c in data.ambassador_cities()
    ))


# --- the description of it all -------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return _json(document(current_app.config["LANGUAGES"], site_url()))

"""The OpenAPI 3.1 description of ``/api/v1/``, served at ``/api/v1/openapi.json``.

Every object schema says ``additionalProperties: false``: the tests validate each answer
against it, so a field added to an answer without being described here (a contact e-mail by
mistake, say) fails them.
"""

from __future__ import annotations

import functools

from manifesto.cities.pipeline import PUBLIC_STAGES
from manifesto.models import (
    OrganisationType,
    SignatoryKind,
    SignatureStatus,
    TargetMetric,
    TargetScope,
    TargetStatus,
    Theme,
)

VERSION = "1.0.0"
REF = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else required,
        "properties": properties,
        **extra,
    }


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


COUNT = {"type": "integer", "minimum": 0}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$",
           "description": "ISO 3166-1 alpha-2 country code"}


def _schemas(languages: tuple[str, ...]) -> dict:
    language = {"type": "string", "enum": list(languages)}
    nullable_date = {"oneOf": [_ref("Date"), {"type": "null"}]}
    kinds = _values(SignatoryKind)
    return {
        "Date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "examples": ["2026-05-01"]},
        "Error": _object({
            "error": _object({
                "code": {"type": "string", "description":
                         "invalid_parameter for a bad query parameter; otherwise the HTTP "
                         "status in words (not_found, method_not_allowed, internal_error…)",
                         "examples": ["invalid_parameter"]},
                "parameter": {"type": "string", "description":
                              "the query parameter at fault (invalid_parameter only)",
                              "examples": ["country"]},
                "message": {"type": "string", "description": "what is wrong, in English"},
            }, required=["code", "message"]),
        }),
        "KindCounts": _object({kind: COUNT for kind in kinds}),
        "CountryCounts": _object({"organisations": COUNT, "mayors": COUNT}),
        "Counts": _object({
            "counted": _object({
                "organisations": COUNT,
                "mayors": {**COUNT, "description": "mayors and delegates, verified"},
                "total": COUNT,
                "countries": COUNT,
                "ambassador_cities": COUNT,
            }, description="What counts, as the home page shows it: organisations once "
                           "confirmed, mayors (and delegates) once their mandate is verified."),
            "by_status": _object(
                {status: _ref("KindCounts") for status in _values(SignatureStatus)},
                description="Every counter, by status and kind; flagged signatures are in "
                            "none until a coordinator clears them."),
            "by_country": {
                "type": "object",
                "description": "Counted signatures by ISO 3166-1 alpha-2 country code",
                "propertyNames": COUNTRY,
                "additionalProperties": _ref("CountryCounts"),
            },
        }),
        "HistoryPoint": _object({
            "date": _ref("Date"),
            "count": {**COUNT, "description": "signatures counted at the end of that day (UTC)"},
        }),
        "History": _object({"series": {"type": "array", "items": _ref("HistoryPoint")}}),
        "Signatory": _object({
            "kind": {"type": "string", "enum": kinds,
                     "description": "a delegate signs for a mayor"},
            "name": {"type": "string", "description":
                     "the organisation's name; for a mayor or a delegate, the city's"},
            "organisation_type": {"oneOf": [{"type": "string",
                                             "enum": _values(OrganisationType)},
                                            {"type": "null"}]},
            "city": {"type": "string"},
            "country": COUNTRY,
            "language": {**language, "description": "the language the Manifesto was signed in"},
            "themes": {"type": "array", "items": {"type": "string", "enum": _values(Theme)}},
            "listed_on": _ref("Date"),
        }),
        "SignatoryPage": _object({
            "items": {"type": "array", "items": _ref("Signatory")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"oneOf": [COUNT, {"type": "null"}], "description":
                      "Signatures that count for the kind and country filters, from the "
                      "public counters: the figure the list page shows. It includes "
                      "signatories who chose not to be listed, so the list can hold fewer. "
                      "null when language, theme or q is given."},
            "next": {"oneOf": [{"type": "string", "format": "uri"}, {"type": "null"}],
                     "description": "the next page, or null on the last one"},
        }),
        "TargetProgress": _object({
            "current": {**COUNT, "description":
                        "what happened from start_date to today, both days included; once "
                        "the deadline has passed, the value at the deadline (what came "
                        "after does not count)"},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "status": {"type": "string", "enum": _values(TargetStatus), "description":
                       "until the deadline has passed: achieved (reached already), on_track "
                       "(at or above the straight line from start_date to deadline) or "
                       "behind; after it: met (reached by the deadline) or missed. Clients "
                       "should expect more values to be added."},
            "remaining": {**COUNT, "description":
                          "still to go (at the deadline, once it has passed); 0 once reached"},
            "days_left": COUNT,
            "expected_now": {**COUNT, "description":
                             "where a straight line from start_date to deadline is today"},
            "deadline_passed": {"type": "boolean"},
            "reached_on": {**nullable_date, "description":
                           "the first day from start_date to the deadline the value was "
                           "reached, when status is achieved or met; otherwise null"},
            "value_today": {**COUNT, "description":
                            "what the same count says today, from start_date, events after "
                            "the deadline included; equal to current until the deadline has "
                            "passed"},
        }),
        "TargetForecast": _object({
            "pace_per_day": {"type": "number", "description":
                             "what the last 90 days (or the days since start_date) brought; "
                             "once the deadline has passed, the 90 days up to it"},
            "achieved_on": {**nullable_date, "description":
                            "the first day the value was reached, if it was reached by the "
                            "deadline (the same as progress.reached_on)"},
            "projected_on": {**nullable_date, "description":
                             "when the value will be reached at that pace; null once "
                             "achieved, with no progress, or once the deadline has passed "
                             "(nothing is forecast then)"},
        }),
        "CityRef": _object({"id": {"type": "integer"}, "name": {"type": "string"}}),
        "Target": _object({
            "id": {"type": "integer"},
            "metric": {"type": "string", "enum": _values(TargetMetric)},
            "scope": {"type": "string", "enum": _values(TargetScope)},
            "scope_country": {"oneOf": [COUNTRY, {"type": "null"}]},
            "scope_ambassador_city": {"oneOf": [_ref("CityRef"), {"type": "null"}]},
            "value": {"type": "integer", "minimum": 1},
            "start_date": _ref("Date"),
            "deadline": _ref("Date"),
            "titles": _object({lang: {"type": "string"} for lang in languages},
                              description="the title in every language (English where a "
                                          "translation is missing)"),
            "progress": _ref("TargetProgress"),
            "forecast": _ref("TargetForecast"),
        }),
        "Targets": _object({
            "today": {**_ref("Date"), "description": "the day (UTC) progress is measured on"},
            "targets": {"type": "array", "items": _ref("Target")},
        }),
        "OutreachTotals": _object({
            "activities": COUNT,
            "people_reached": COUNT,
            "mayors_engaged": COUNT,
            "organisations_engaged": COUNT,
        }),
        "BestPractice": _object({
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "theme": {"type": "string", "enum": _values(Theme)},
            "language": language,
            "url": {"oneOf": [{"type": "string"}, {"type": "null"}]},
            "published_on": nullable_date,
        }),
        "AmbassadorCity": _object({
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "country": COUNTRY,
            "stage": {"type": "string", "enum": [stage.value for stage in PUBLIC_STAGES]},
            "commitment_date": nullable_date,
            "commitment_statement": {"oneOf": [{"type": "string"}, {"type": "null"}]},
            "languages": {"type": "array", "items": {"type": "string"}},
            "countries": {"type": "array", "items": COUNTRY},
            "outreach": _ref("OutreachTotals"),
            "best_practices": {"type": "array", "items": _ref("BestPractice")},
        }),
        "Ambassadors": _object({"cities": {"type": "array", "items": _ref("AmbassadorCity")}}),
        "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
    }


def _parameters(languages: tuple[str, ...]) -> dict:
    def query(name: str, description: str, schema: dict) -> dict:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": schema}

    return {
        "historyKind": query("kind", "organisation, or mayor (mayors and delegates); "
                                     "absent: both",
                             {"type": "string", "enum": ["organisation", "mayor"]}),
        "signatoryKind": query("kind", "organisation, mayor (mayors and delegates) or "
                                       "delegate only",
                               {"type": "string", "enum": _values(SignatoryKind)}),
        "country": query("country", "ISO 3166-1 alpha-2 code, either case",
                         {"type": "string", "pattern": "^[A-Za-z]{2}$"}),
        "from": query("from", "first day, inclusive; the series then starts on it, with "
                              "the value it had then", _ref("Date")),
        "to": query("to", "last day, inclusive; not before from", _ref("Date")),
        "language": query("language", "the language the Manifesto was signed in",
                          {"type": "string", "enum": list(languages)}),
        "theme": query("theme", "a theme the signatory would prioritise",
                       {"type": "string", "enum": _values(Theme)}),
        "q": query("q", "part of the name (organisation or city), any case or accents",
                   {"type": "string", "maxLength": 100}),
        "page": query("page", "1-based; at most 100,000 rows deep (per_page × page)",
                      {"type": "integer", "minimum": 1, "default": 1}),
        "per_page": query("per_page", "rows per page",
                          {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
    }


HEADERS = {
    "Cache-Control": {
        "description": "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400 "
                       "(no-store on errors)",
        "schema": {"type": "string"},
    },
    "Access-Control-Allow-Origin": {"description": "*", "schema": {"type": "string"}},
}


def _error(description: str) -> dict:
    return {"description": description, "headers": HEADERS,
            "content": {"application/json": {"schema": _ref("Error")}}}


RESPONSES = {
    "BadRequest": _error("A query parameter is wrong; the error names it"),
    "NotFound": _error("No such endpoint"),
    "ServerError": _error("Internal error (no details are given)"),
    "Unavailable": _error("The database is briefly unavailable; Retry-After says when to retry"),
}


def _json_ok(description: str, schema: str) -> dict:
    return {"description": description, "headers": HEADERS,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _csv_ok(description: str, columns: str) -> dict:
    return {
        "description": f"{description}. UTF-8 with a byte order mark, comma-separated, a "
                       f"header row; text cells in double quotes, numbers bare; wherever a "
                       f"spreadsheet splitting on a comma, a semicolon or a tab would find a "
                       f"formula (=, +, -, @), an apostrophe comes first. Columns: {columns}.",
        "headers": {**HEADERS, "Content-Disposition": {
            "description": "attachment; filename=…", "schema": {"type": "string"}}},
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


def _get(operation_id: str, summary: str, ok: dict, parameters: list[str] = (),
         description: str | None = None) -> dict:
    responses = {"200": ok}
    if parameters:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses["500"] = {"$ref": "#/components/responses/ServerError"}
    responses["503"] = {"$ref": "#/components/responses/Unavailable"}
    operation = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in parameters],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    return {"get": operation}


SIGNATORY_FILTERS = ["signatoryKind", "country", "language", "theme", "q"]
HISTORY_FILTERS = ["historyKind", "country", "from", "to"]


@functools.cache
def document(languages: tuple[str, ...], site: str) -> dict:
    """The OpenAPI document; ``site`` is ``SITE_URL``, the servers' address."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Inclusive Smart Cities Manifesto: open data",
            "version": VERSION,
            "description": (
                "Read-only open data of the Manifesto campaign: counts, their daily history, "
                "the public list of signatories, the published targets and the ambassador "
                "cities, as JSON and as CSV. No personal data: only what the public pages "
                "show. Every answer may be cached for 60 seconds and is open to any origin "
                "(CORS). Errors are JSON: {\"error\": {\"code\", \"parameter\", \"message\"}}."
            ),
        },
        "servers": [{"url": site + "/api/v1"}],
        "paths": {
            "/counts": _get("getCounts", "Signature counts", _json_ok(
                "Counted signatures by kind and country, and every counter by status",
                "Counts")),
            "/counts.csv": _get("getCountsCsv", "Counted signatures by country, as CSV", _csv_ok(
                "One row per country", "country, organisations, mayors, total")),
            "/history": _get(
                "getHistory", "Daily count history", _json_ok(
                    "Signatures counted at the end of each day the number moved", "History"),
                HISTORY_FILTERS),
            "/history.csv": _get("getHistoryCsv", "Daily count history, as CSV", _csv_ok(
                "One row per point of the series", "date, count"), HISTORY_FILTERS),
            "/signatories": _get(
                "getSignatories", "The public list of signatories",
                _json_ok("One page of signatories who agreed to be listed, most recent first",
                         "SignatoryPage"),
                [*SIGNATORY_FILTERS, "page", "per_page"],
                description="The same rows as the list page: signatures that count, whose "
                            "signatory agreed to be listed and that no coordinator holds."),
            "/signatories.csv": _get(
                "getSignatoriesCsv", "The public list of signatories, as CSV", _csv_ok(
                    "Every matching row, most recent first, streamed",
                    "kind, name, organisation_type, city, country, language, themes "
                    "(space-separated), listed_on"),
                SIGNATORY_FILTERS),
            "/targets": _get("getTargets", "Published targets and their progress", _json_ok(
                "Published targets, nearest deadline first", "Targets")),
            "/targets.csv": _get("getTargetsCsv", "Published targets, as CSV", _csv_ok(
                "One row per target", "id, metric, scope, scope_country, "
                "scope_ambassador_city_id, scope_ambassador_city_name, value, start_date, "
                "deadline, title_<language> for each language, current, percent, status, "
                "remaining, days_left, pace_per_day, achieved_on, projected_on, "
                "deadline_passed (true or false), reached_on, value_today: as in the JSON")),
            "/ambassadors": _get(
                "getAmbassadors", "Ambassador cities (and alumni)", _json_ok(
                    "Ambassador cities, then alumni, by name", "Ambassadors")),
            "/ambassadors.csv": _get("getAmbassadorsCsv", "Ambassador cities, as CSV", _csv_ok(
                "One row per city", "id, name, country, stage, commitment_date, "
                "commitment_statement, languages, countries (space-separated), activities, "
                "people_reached, mayors_engaged, organisations_engaged, best_practices "
                "(how many are published)")),
            "/openapi.json": _get("getOpenAPI", "This description", _json_ok(
                "The OpenAPI 3.1 document", "OpenAPI")),
        },
        "components": {
            "schemas": _schemas(languages),
            "parameters": _parameters(languages),
            "responses": RESPONSES,
        },
    }

"""What the API publishes, as plain dicts of JSON types; no HTTP here, so tests call these
without a request. Only public fields are ever selected: contact names and e-mails, mandates,
interview notes, referral codes and accounts are not read at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from manifesto.cities import pipeline, targets
from manifesto.core.streaming import KeysetStream
from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    SignatoryKind,
    SignatoryTheme,
    Signature,
    SignatureCount,
    SignatureStatus,
    Target,
    TargetScope,
    public_name,
)
from manifesto.signatures import counts, public_list
from manifesto.signatures.counts import COUNTED, kinds_of
from manifesto.signatures.public_list import SignatoryFilters, signatories_query

# The HTML list pages no deeper than 2,000 pages of 50; the API as deep, whatever per_page.
MAX_OFFSET = 100_000
STREAM_BATCH = 1_000


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


# --- counts ------------------------------------------------------------------------------------


def counts_summary() -> dict:
    """The counters: what counts (as the home page says), every status × kind, and by country."""
    public = counts.public_counts()
    by_status = {status.value: {kind.value: 0 for kind in SignatoryKind}
                 for status in SignatureStatus}
    for kind, status, total in db.session.execute(
        sa.select(SignatureCount.kind, SignatureCount.status, sa.func.sum(SignatureCount.count))
        .group_by(SignatureCount.kind, SignatureCount.status)
    ):
        by_status[status.value][kind.value] = int(total or 0)
    return {
        "counted": {
            "organisations": public.organisations,
            "mayors": public.mayors,
            "total": public.signatories,
            "countries": public.countries,
            "ambassador_cities": public.ambassador_cities,
        },
        "by_status": by_status,
        "by_country": {
            country: {"organisations": organisations, "mayors": mayors}
            for country, organisations, mayors in sorted(counts.counts_by_kind_and_country())
        },
    }


# --- history -----------------------------------------------------------------------------------


def history(kind: str | None = None, country: str | None = None, start: date | None = None,
            end: date | None = None) -> list[dict]:
    """Signatures counted at the end of each day the number moved, from ``start`` to ``end``.

    With ``start``, the first point is ``start`` itself with the value it had then: a chart of
    the range begins at the right height rather than at the first move inside it.
    """
    series = counts.counted_history(kinds_of(kind), country)
    if start is not None:
        series = [(start, targets.value_on(series, start))] + [
            (day, total) for day, total in series if day > start]
    if end is not None:
        series = [(day, total) for day, total in series if day <= end]
    return [{"date": day.isoformat(), "count": total} for day, total in series]


# --- signatories -------------------------------------------------------------------------------


def counted_total(filters: SignatoryFilters) -> int | None:
    """How many have signed, by the counters (never a count of signature rows), for the kind
    and country filters: the API's ``total``; None when another filter applies, as no counter
    knows. Unfiltered, it is the sum of the figures the list page and the home page give.

    It includes those who chose not to be listed, so it can exceed the rows of the list.
    """
    if filters.language is not None or filters.theme is not None or filters.q is not None:
        return None
    query = sa.select(sa.func.coalesce(sa.func.sum(SignatureCount.count), 0)).where(COUNTED)
    if filters.kind is not None:
        query = query.where(SignatureCount.kind.in_(kinds_of(filters.kind)))
    if filters.country is not None:
        query = query.where(SignatureCount.country == filters.country)
    return int(db.session.scalar(query) or 0)


def _themes_of(signatory_ids: list[int], session: so.Session | None = None
               ) -> dict[int, list[str]]:
    themes: dict[int, list[str]] = {}
    if signatory_ids:
        for signatory_id, theme in (session or db.session).execute(
            sa.select(SignatoryTheme.signatory_id, SignatoryTheme.theme)
            .where(SignatoryTheme.signatory_id.in_(set(signatory_ids)))
            .order_by(SignatoryTheme.signatory_id, SignatoryTheme.theme)
        ):
            themes.setdefault(signatory_id, []).append(theme.value)
    return themes


def _items(rows, session: so.Session | None = None) -> list[dict]:
    themes = _themes_of([row.signatory_id for row in rows], session)
    return [
        {
            "kind": row.kind.value,
            "name": public_name(row),
            "organisation_type": row.organisation_type.value if row.organisation_type else None,
            "city": row.city,
            "country": row.country,
            "language": row.language,
            "themes": themes.get(row.signatory_id, []),
            "listed_on": _iso(row.public_since),
        }
        for row in rows
    ]


def signatories_page(filters: SignatoryFilters, page: int, per_page: int) -> tuple[list[dict], bool]:
    """One page of the list, and whether another follows."""
    rows, has_next = public_list.page(filters, page, per_page)
    return _items(rows), has_next


def signatories_batches(filters: SignatoryFilters, render: Callable[[list[dict]], str],
                        header: str) -> KeysetStream:
    """Every matching row, in the list's order, a batch at a time without loading them all
    (the CSV download): ``header``, then ``render(items)`` for each batch.

    Each batch is read in a session of its own (``core/streaming.py``); the first at the call, so
    a failure is still an error answer, not a download cut short.
    """
    query = signatories_query(filters).add_columns(Signature.id.label("signature_id"))
    return KeysetStream(
        query, (Signature.public_since, Signature.id),
        lambda row: (row.public_since, row.signature_id),
        lambda session, rows: render(_items(rows, session)),
        header=header, descending=True, size=STREAM_BATCH)


# --- targets -----------------------------------------------------------------------------------


def _titles(target: Target, languages: tuple[str, ...]) -> dict[str, str]:
    english = target.titles.get("en") or ""
    return {lang: target.titles.get(lang) or english for lang in languages}


def published_targets(languages: tuple[str, ...], today: date) -> list[dict]:
    """Published targets, nearest deadline first, with their progress and projection.

    Which targets are public is ``targets.public_targets``'s rule (a candidate city's target is
    left out: publishing the target must not publish the city's candidacy), as on the site.
    """
    result = []
    for target in targets.public_targets():
        city: AmbassadorCity | None = target.scope_ambassador_city
        progress, projection, _series = targets.outlook(target, today)
        result.append({
            "id": target.id,
            "metric": target.metric.value,
            "scope": target.scope.value,
            "scope_country": target.scope_country,
            "scope_ambassador_city": (
                {"id": city.id, "name": city.name} if city is not None
                and target.scope == TargetScope.AMBASSADOR_CITY else None
            ),
            "value": target.value,
            "start_date": target.start_date.isoformat(),
            "deadline": target.deadline.isoformat(),
            "titles": _titles(target, languages),
            "progress": {
                "current": progress.current,
                "percent": progress.percent,
                "status": progress.status.value,
                "remaining": progress.remaining,
                "days_left": progress.days_left,
                "expected_now": progress.expected_now,
                "deadline_passed": progress.deadline_passed,
                "reached_on": _iso(progress.reached_on),
                "value_today": progress.value_today,
            },
            "forecast": {
                "pace_per_day": round(projection.pace_per_day, 4),
                "achieved_on": _iso(projection.achieved_on),
                "projected_on": _iso(projection.projected_on),
            },
        })
    return result


# --- ambassador cities -------------------------------------------------------------------------


def ambassador_cities() -> list[dict]:
    """Ambassador cities, then alumni, as the public page shows them; never interview notes."""
    cities = pipeline.public_cities()
    ids = [city.id for city in cities]
    totals = pipeline.activity_totals(ids)
    practices = pipeline.published_practices(ids)
    empty = pipeline.ActivityTotals()
    result = []
    for city in cities:
        total = totals.get(city.id, empty)
        result.append({
            "id": city.id,
            "name": city.name,
            "country": city.country,
            "stage": city.stage.value,
            "commitment_date": _iso(city.commitment_date),
            "commitment_statement": city.commitment_statement,
            "languages": list(city.languages or []),
            "countries": list(city.countries or []),
            "outreach": {
                "activities": total.activities,
                "people_reached": total.people_reached,
                "mayors_engaged": total.mayors_engaged,
                "organisations_engaged": total.organisations_engaged,
            },
            "best_practices": [
                {
                    "id": practice.id,
                    "title": practice.title,
                    "summary": practice.summary,
                    "theme": practice.theme.value,
                    "language": practice.language,
                    "url": practice.url,
                    "published_on": _iso(practice.published_at),
                }
                for practice in practices.get(city.id, [])
            ],
        })
    return result

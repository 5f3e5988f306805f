"""Coordinators' CSV exports: the signatories with their contact e-mails, and the outreach
activities of every city, for a period and a country. Streamed a batch at a time, each batch
read in a session of its own (``core/streaming.py`` says why); the view writes the audit log's
entries: one before the first byte goes out, one with the rows sent when the stream ends."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy import orm as so

from manifesto.core import csvsafe
from manifesto.core.streaming import KeysetStream
from manifesto.models import AmbassadorCity, OutreachActivity, Signatory, SignatoryTheme, Signature
from manifesto.reporting.dashboard import Period, made_in
from manifesto.signatures.counts import LIVE_STATUSES

SIGNATORY_COLUMNS = (
    "signature_id", "signed_at", "status", "flagged", "kind", "organisation_name",
    "organisation_type", "mayor_name", "delegate_name", "delegate_role", "city", "country",
    "contact_name", "contact_email", "language", "themes", "listed_publicly", "confirmed_at",
    "verified_at", "rejected_at", "withdrawn_at", "ambassador_city",
)
ACTIVITY_COLUMNS = (
    "date", "ambassador_city", "country", "type", "title", "language", "audience_reached",
    "mayors_engaged", "organisations_engaged", "evidence_url", "signatures_attributed",
)


def _line(values) -> str:
    """One row: text safe from spreadsheet formulas (``csvsafe``), numbers as numbers."""
    return csvsafe.line(values)


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def _value(value) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def signatories_query(period: Period) -> sa.Select:
    query = (
        sa.select(Signature, Signatory, AmbassadorCity.name)
        .join(Signatory, Signatory.id == Signature.signatory_id)
        .outerjoin(AmbassadorCity, AmbassadorCity.id == Signature.ambassador_city_id)
        .where(*made_in(period))
        .order_by(Signature.id)
    )
    if period.country:
        query = query.where(Signatory.country == period.country)
    return query


def _signatory_lines(session: so.Session, rows) -> str:
    themes: dict[int, list[str]] = defaultdict(list)
    for signatory_id, theme in session.execute(
        sa.select(SignatoryTheme.signatory_id, SignatoryTheme.theme)
        .where(SignatoryTheme.signatory_id.in_({row[1].id for row in rows}))
        .order_by(SignatoryTheme.signatory_id, SignatoryTheme.theme)
    ):
        themes[signatory_id].append(theme.value)
    return "".join(_line((
        s.id, _iso(s.created_at), _value(s.status), "yes" if s.flagged else "no",
        _value(p.kind), p.organisation_name, _value(p.organisation_type), p.mayor_name,
        p.delegate_name, p.delegate_role, p.city, p.country, p.contact_name,
        p.contact_email, s.language, " ".join(themes.get(p.id, ())),
        "yes" if p.listed_publicly else "no", _iso(s.confirmed_at),
        _iso(s.verified_at), _iso(s.rejected_at), _iso(s.withdrawn_at), city,
    )) for s, p, city in rows)


def signatories_csv(period: Period, size: int | None = None) -> KeysetStream:
    """The CSV's header, then ``(lines, rows)`` a batch at a time, in signature order."""
    return KeysetStream(signatories_query(period), (Signature.id,), lambda row: (row[0].id,),
                        _signatory_lines, header="\ufeff" + _line(SIGNATORY_COLUMNS), size=size)


def activities_query(period: Period) -> sa.Select:
    through = (
        sa.select(sa.func.count())
        .where(Signature.outreach_activity_id == OutreachActivity.id,
               Signature.flagged.is_(False), Signature.status.in_(LIVE_STATUSES))
        .correlate(OutreachActivity)
        .scalar_subquery()
    )
    query = (
        sa.select(OutreachActivity, AmbassadorCity.name, AmbassadorCity.country, through)
        .join(AmbassadorCity, AmbassadorCity.id == OutreachActivity.ambassador_city_id)
        .where(OutreachActivity.date >= period.start, OutreachActivity.date <= period.end)
        .order_by(OutreachActivity.date, OutreachActivity.id)
    )
    if period.country:
        query = query.where(AmbassadorCity.country == period.country)
    return query


def _activity_lines(_session: so.Session, rows) -> str:
    return "".join(_line((
        a.date.isoformat(), city, country, a.type.value, a.title, a.language,
        a.audience_reached, a.mayors_engaged, a.organisations_engaged,
        a.evidence_url, through,
    )) for a, city, country, through in rows)


def activities_csv(period: Period, size: int | None = None) -> KeysetStream:
    """The CSV's header, then ``(lines, rows)`` a batch at a time, by date."""
    return KeysetStream(activities_query(period), (OutreachActivity.date, OutreachActivity.id),
                        lambda row: (row[0].date, row[0].id), _activity_lines,
                        header="\ufeff" + _line(ACTIVITY_COLUMNS), size=size)

"""The public list of signatories: the filters it takes and the one query that answers them.

The list page (``public.routes.signatories``) and the API (``/api/v1/signatories`` and its
CSV) read their filters each in their own way: the page leniently, dropping what is not on
offer, as a person sees what the page shows; the API strictly (``api/params.py``), as a program
cannot. Both then hand the same ``SignatoryFilters`` to the same query here, so that they cannot
list different signatories (tests/web/test_page_and_api_agree.py).

Who is on the list is decided when a signature changes status (``transitions``): it has
``public_since`` while it counts, is not flagged, and its signatory agreed to be listed. Only
the columns the list may show are selected; contact details are never read.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import Signatory, SignatoryTheme, Signature, Theme
from manifesto.signatures.counts import kinds_of
from manifesto.signatures.signing import fold


@dataclass(frozen=True)
class SignatoryFilters:
    """The list's filters, already checked by whoever read them; None where none applies.

    ``kind`` a ``SignatoryKind`` value ("mayor" includes the delegates who sign for one,
    ``counts.kinds_of``), ``country`` an ISO 3166-1 code in capitals, ``language`` one of the
    site's, ``theme`` a ``Theme`` value, ``q`` a part of the name, matched as ``signing.fold``
    folds names (case-folded: "ÉVORA" finds "Évora", "STRASSE" finds "Straße"; accents stay).
    """

    kind: str | None = None
    country: str | None = None
    language: str | None = None
    theme: str | None = None
    q: str | None = None

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}


def signatories_query(filters: SignatoryFilters) -> sa.Select:
    """The public list's rows matching ``filters``, newest first; only the columns the list
    may show."""
    query = (
        sa.select(
            Signatory.id.label("signatory_id"),
            Signatory.kind,
            Signatory.organisation_name,
            Signatory.organisation_type,
            Signatory.city,
            Signatory.country,
            Signature.language,
            Signature.public_since,
        )
        .join(Signature.signatory)
        .where(Signature.public_since.is_not(None))
    )
    if filters.kind is not None:
        query = query.where(Signatory.kind.in_(kinds_of(filters.kind)))
    if filters.country is not None:
        query = query.where(Signatory.country == filters.country)
    if filters.language is not None:
        query = query.where(Signature.language == filters.language)
    if filters.theme is not None:
        query = query.where(
            sa.exists().where(
                SignatoryTheme.signatory_id == Signatory.id,
                SignatoryTheme.theme == Theme(filters.theme),
            )
        )
    if filters.q is not None:
        query = query.where(Signatory.name_folded.contains(fold(filters.q), autoescape=True))
    return query.order_by(Signature.public_since.desc(), Signature.id.desc())


def page(filters: SignatoryFilters, number: int, per_page: int) -> tuple[list[sa.Row], bool]:
    """Page ``number`` (from 1) of the list, and whether another follows (one row more is read
    to know)."""
    rows = db.session.execute(
        signatories_query(filters).offset((number - 1) * per_page).limit(per_page + 1)
    ).all()
    return rows[:per_page], len(rows) > per_page

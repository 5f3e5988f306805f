"""The public list of signatories: the filters it takes and the query that answers them.

The list page and the API read their filters each in their own way (leniently for people,
strictly for programs), then both ask this module for the rows, so they cannot list different
signatories.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .counts import kinds_of
from .models import Signatory, SignatoryTheme, Signature, Theme
from .signing import fold


@dataclass(frozen=True)
class SignatoryFilters:
    kind: str | None = None
    country: str | None = None
    language: str | None = None
    theme: str | None = None
    q: str | None = None

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}


def signatories_query(filters: SignatoryFilters) -> sa.Select:
    """The public list's rows, as ``public.routes.signatories`` selects them, newest first;
    only the columns the list may show."""
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


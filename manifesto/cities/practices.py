"""Best practices: written by ambassador cities, published by coordinators, read by everyone."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import AmbassadorCity, BestPractice, BestPracticeStatus, Theme, User, utcnow

PER_PAGE = 30


@dataclass(frozen=True)
class PracticeValues:
    """What an ambassador writes about a practice."""

    title: str
    summary: str
    theme: Theme
    language: str
    url: str | None = None


def submit(author: User, values: PracticeValues) -> BestPractice:
    """A practice from the author's ambassador city, waiting for a coordinator to read and
    publish it."""
    if author.ambassador_city_id is None:
        raise ValueError("only a member of an ambassador city's team submits practices")
    practice = BestPractice(
        ambassador_city_id=author.ambassador_city_id,
        author_id=author.id,
        status=BestPracticeStatus.SUBMITTED,
    )
    _fill(practice, values)
    db.session.add(practice)
    db.session.flush()
    return practice


def update(practice: BestPractice, values: PracticeValues) -> bool:
    """Change what the practice says. An edit unpublishes it: a coordinator reads every change
    before it is public again. The new text and the unpublishing go to the row in one UPDATE
    (at flush), so the text is never public before a coordinator publishes it again. True if
    it was public until now (the author is told)."""
    was_published = practice.status == BestPracticeStatus.PUBLISHED
    _fill(practice, values)
    practice.updated_at = utcnow()
    unpublish(practice)
    return was_published


def _fill(practice: BestPractice, values: PracticeValues) -> None:
    practice.title = values.title
    practice.summary = values.summary
    practice.theme = values.theme
    practice.language = values.language
    practice.url = values.url or None


def own_practice(city_id: int, practice_id: int) -> BestPractice | None:
    """The practice if it is the city's; None otherwise (the caller answers 404)."""
    return db.session.scalar(sa.select(BestPractice).where(
        BestPractice.id == practice_id, BestPractice.ambassador_city_id == city_id))


def publish(practice: BestPractice, by: User) -> None:
    practice.status = BestPracticeStatus.PUBLISHED
    practice.published_at = utcnow()
    practice.published_by_id = by.id


def unpublish(practice: BestPractice) -> None:
    practice.status = BestPracticeStatus.SUBMITTED
    practice.published_at = None
    practice.published_by_id = None


def of_city(city_id: int) -> list[BestPractice]:
    return list(
        db.session.scalars(
            sa.select(BestPractice)
            .where(BestPractice.ambassador_city_id == city_id)
            .order_by(BestPractice.created_at.desc(), BestPractice.id.desc())
        )
    )


def waiting() -> list[BestPractice]:
    return list(
        db.session.scalars(
            sa.select(BestPractice)
            .where(BestPractice.status == BestPracticeStatus.SUBMITTED)
            .order_by(BestPractice.created_at, BestPractice.id)
        )
    )


def library(
    theme: Theme | None = None,
    city_id: int | None = None,
    language: str | None = None,
    page: int = 1,
) -> tuple[list[BestPractice], int]:
    """Published practices, newest first, filtered; and how many match in all."""
    where = [BestPractice.status == BestPracticeStatus.PUBLISHED]
    if theme is not None:
        where.append(BestPractice.theme == theme)
    if city_id is not None:
        where.append(BestPractice.ambassador_city_id == city_id)
    if language:
        where.append(BestPractice.language == language)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(BestPractice).where(*where))
    rows = db.session.scalars(
        sa.select(BestPractice)
        .where(*where)
        .order_by(BestPractice.published_at.desc(), BestPractice.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return list(rows), total or 0


def cities_with_practices() -> list[AmbassadorCity]:
    """The cities the library's city filter offers: those with something published."""
    return list(
        db.session.scalars(
            sa.select(AmbassadorCity)
            .where(
                AmbassadorCity.id.in_(
                    sa.select(BestPractice.ambassador_city_id).where(
                        BestPractice.status == BestPracticeStatus.PUBLISHED
                    )
                )
            )
            .order_by(AmbassadorCity.name)
        )
    )

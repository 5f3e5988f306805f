"""Retention: what ``flask --app wsgi privacy purge`` erases, category by category.

Each category finds what is past its period, then handles it in batches of ``BATCH`` rows, one
transaction per batch: safe to stop at any time, to run again at once, or from two places at
the same time (a row already handled is simply not found again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from manifesto.core import throttle
from manifesto.extensions import db
from manifesto.models import (
    AttemptCounter,
    OutboxMessage,
    OutboxStatus,
    Signature,
    SignatureStatus,
    SignatureToken,
    TokenPurpose,
    User,
    UserToken,
    utcnow,
)
from manifesto.personal_data import privacy

BATCH = 500


@dataclass(frozen=True)
class Category:
    name: str  # as printed by the command
    setting: str  # the retention period, in days
    ids: Callable[[object], sa.Select]  # the ids past the cutoff
    handle: Callable[[list[int]], int]  # handle a batch of ids; returns how many rows it erased


def _cutoff(setting: str):
    return utcnow() - timedelta(days=current_app.config[setting])


# --- what is past its period ------------------------------------------------------------------


def _ip_hash_ids(cutoff) -> sa.Select:
    return sa.select(Signature.id).where(Signature.ip_hash.is_not(None),
                                         Signature.created_at < cutoff)


def _unconfirmed_ids(cutoff) -> sa.Select:
    return sa.select(Signature.id).where(Signature.status == SignatureStatus.PENDING,
                                         Signature.created_at < cutoff)


def _closed_ids(cutoff) -> sa.Select:
    return sa.select(Signature.id).where(
        Signature.erased_at.is_(None),
        sa.or_(
            sa.and_(Signature.status == SignatureStatus.WITHDRAWN, Signature.withdrawn_at < cutoff),
            sa.and_(Signature.status == SignatureStatus.REJECTED, Signature.rejected_at < cutoff),
        ),
    )


def _email_ids(cutoff) -> sa.Select:
    return sa.select(OutboxMessage.id).where(sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff),
        # Given up on: the address and text are still there, for a coordinator to see why.
        sa.and_(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at < cutoff),
    ))


def _account_ids(cutoff) -> sa.Select:
    return sa.select(User.id).where(User.active.is_(False), User.deactivated_at < cutoff)


def _link_ids(cutoff) -> sa.Select:
    """Used or expired confirmation links of signatures that are no longer pending."""
    return sa.select(SignatureToken.id).where(
        SignatureToken.purpose == TokenPurpose.CONFIRM,
        SignatureToken.created_at < cutoff,
        sa.or_(SignatureToken.used_at.is_not(None), SignatureToken.expires_at < utcnow()),
    )


def _account_link_ids(cutoff) -> sa.Select:
    return sa.select(UserToken.id).where(UserToken.expires_at < cutoff)


# --- handling a batch -------------------------------------------------------------------------


def _erase_ip_hashes(ids: list[int]) -> int:
    return db.session.execute(
        sa.update(Signature).where(Signature.id.in_(ids), Signature.ip_hash.is_not(None))
        .values(ip_hash=None)
    ).rowcount


def _signatures(ids: list[int]) -> list[Signature]:
    return list(db.session.scalars(
        sa.select(Signature).where(Signature.id.in_(ids))
        .options(so.joinedload(Signature.signatory)).order_by(Signature.id)
    ).unique())


def _erase_unconfirmed(ids: list[int]) -> int:
    done = 0
    for signature in _signatures(ids):
        # Confirmed in the meantime, or erased by another purge: kept, or not counted twice.
        if signature.status == SignatureStatus.PENDING and privacy.erase_unconfirmed(signature):
            done += 1
    return done


def _anonymise_closed(ids: list[int]) -> int:
    done = 0
    for signature in _signatures(ids):
        if signature.erased_at is None and privacy.anonymise(signature):
            done += 1
    return done


def _delete(model) -> Callable[[list[int]], int]:
    def handle(ids: list[int]) -> int:
        return db.session.execute(sa.delete(model).where(model.id.in_(ids))).rowcount
    return handle


def _delete_accounts(ids: list[int]) -> int:
    done = 0
    for user in db.session.scalars(sa.select(User).where(User.id.in_(ids), User.active.is_(False))):
        db.session.delete(user)
        done += 1
    return done


CATEGORIES = (
    Category("address hashes", "IP_HASH_RETENTION_DAYS", _ip_hash_ids, _erase_ip_hashes),
    Category("unconfirmed signatures", "RETENTION_UNCONFIRMED_DAYS", _unconfirmed_ids,
             _erase_unconfirmed),
    Category("withdrawn or rejected signatures", "RETENTION_CLOSED_DAYS", _closed_ids,
             _anonymise_closed),
    Category("used or expired signature links", "RETENTION_UNCONFIRMED_DAYS", _link_ids,
             _delete(SignatureToken)),
    Category("sent or failed e-mails", "RETENTION_EMAIL_DAYS", _email_ids, _delete(OutboxMessage)),
    Category("expired account links", "RETENTION_EMAIL_DAYS", _account_link_ids,
             _delete(UserToken)),
    # Attempt counters are keyed hashes of accounts and addresses: kept no longer than those.
    Category("ended attempt counters", "IP_HASH_RETENTION_DAYS", throttle.ended_before,
             _delete(AttemptCounter)),
    Category("deactivated accounts", "RETENTION_DEACTIVATED_ACCOUNT_DAYS", _account_ids,
             _delete_accounts),
)


def due() -> dict[str, int]:
    """How many rows each category would handle now."""
    return {
        c.name: db.session.scalar(
            sa.select(sa.func.count()).select_from(c.ids(_cutoff(c.setting)).subquery())
        ) or 0
        for c in CATEGORIES
    }


def purge(progress: Callable[[int], None] = lambda n: None) -> Iterator[tuple[str, int]]:
    """Erase everything past its period; yields (category, rows erased) as each finishes and
    calls ``progress`` with the number of rows of each batch."""
    for category in CATEGORIES:
        cutoff = _cutoff(category.setting)
        ids = list(db.session.scalars(category.ids(cutoff).order_by(None)))
        erased = 0
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            erased += category.handle(batch)
            db.session.commit()
            progress(len(batch))
        yield category.name, erased

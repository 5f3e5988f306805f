"""The coordinators' audit log: who did what, when. Rows are added, never changed."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from .extensions import db
from .models import AuditEvent, User

EXPORT_SIGNATORIES = "export_signatories"
EXPORT_ACTIVITIES = "export_activities"

ACTION_LABELS = {
    EXPORT_SIGNATORIES: _l("Downloaded the signatories with their contact e-mails"),
    EXPORT_ACTIVITIES: _l("Downloaded the outreach activities"),
}
PER_PAGE = 50


def record(user: User, action: str, **detail) -> AuditEvent:
    """Add an event to the session (the caller commits it with what it records)."""
    event = AuditEvent(user_id=user.id, user_email=user.email, action=action, detail=detail)
    db.session.add(event)
    return event


def page(number: int, action: str | None = None) -> tuple[list[AuditEvent], int]:
    """(events on that page, newest first; the number of pages)."""
    query = sa.select(AuditEvent)
    counted = sa.select(sa.func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
        counted = counted.where(AuditEvent.action == action)
    total = db.session.scalar(counted) or 0
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    events = db.session.scalars(
        query.options(so.selectinload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((number - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return list(events), pages

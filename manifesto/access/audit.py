"""The coordinators' audit log: who did what, when. Rows are added, never changed: no page or
command edits them, and the ORM refuses to update or delete one.

A download of personal data is two entries, as an entry cannot be completed afterwards: one
written before the first byte goes out (what was asked for, by whom), and one when the stream
ends, with the rows actually sent and whether it went to the end or was cut off (a client that
went away, a failure). So the log never claims rows that did not leave; if the server itself
died mid-download, the first entry is there without a second.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from manifesto.core.labels import PIPELINE_STAGE_LABELS
from manifesto.extensions import db
from manifesto.models import AuditEvent, PipelineStage, User

EXPORT_SIGNATORIES = "export_signatories"
EXPORT_ACTIVITIES = "export_activities"
EXPORT_SIGNATORIES_SENT = "export_signatories_sent"
EXPORT_ACTIVITIES_SENT = "export_activities_sent"
EXPORT_SIGNATORIES_CUT_OFF = "export_signatories_cut_off"
EXPORT_ACTIVITIES_CUT_OFF = "export_activities_cut_off"
# A download's first entry -> (its entry when every row was sent, its entry when cut off)
DOWNLOAD_ENDS = {
    EXPORT_SIGNATORIES: (EXPORT_SIGNATORIES_SENT, EXPORT_SIGNATORIES_CUT_OFF),
    EXPORT_ACTIVITIES: (EXPORT_ACTIVITIES_SENT, EXPORT_ACTIVITIES_CUT_OFF),
}
CUT_OFF = {cut_off for _sent, cut_off in DOWNLOAD_ENDS.values()}
VERIFY = "verify"
REJECT = "reject"
CLEAR_FLAG = "clear_flag"
PUBLISH_MANIFESTO = "publish_manifesto"
PUBLISH_NOTICE = "publish_privacy_notice"
PUBLISH_PRACTICE = "publish_practice"
UNPUBLISH_PRACTICE = "unpublish_practice"
CREATE_TARGET = "create_target"
EDIT_TARGET = "edit_target"
PUBLISH_TARGET = "publish_target"
UNPUBLISH_TARGET = "unpublish_target"
DELETE_TARGET = "delete_target"
ADD_CITY = "add_city"
MOVE_CITY = "move_city"
INVITE = "invite"
RESEND_INVITATION = "resend_invitation"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
SUBJECT_SEARCH = "subject_search"
SUBJECT_EXPORT = "subject_export"
SUBJECT_ERASE = "subject_erase"

ACTION_LABELS = {
    VERIFY: _l("Verified a signature"),
    REJECT: _l("Rejected a signature"),
    CLEAR_FLAG: _l("Cleared a signature's flag"),
    EXPORT_SIGNATORIES: _l("Started downloading the signatories with their contact e-mails"),
    EXPORT_SIGNATORIES_SENT: _l("Downloaded the signatories with their contact e-mails"),
    EXPORT_SIGNATORIES_CUT_OFF: _l("A download of the signatories stopped before the end"),
    EXPORT_ACTIVITIES: _l("Started downloading the outreach activities"),
    EXPORT_ACTIVITIES_SENT: _l("Downloaded the outreach activities"),
    EXPORT_ACTIVITIES_CUT_OFF: _l("A download of the outreach activities stopped before the end"),
    SUBJECT_SEARCH: _l("Looked up what is held about an e-mail address"),
    SUBJECT_EXPORT: _l("Downloaded what is held about an e-mail address"),
    SUBJECT_ERASE: _l("Erased what is held about an e-mail address"),
    PUBLISH_MANIFESTO: _l("Published a version of the Manifesto"),
    PUBLISH_NOTICE: _l("Published a version of the privacy notice"),
    PUBLISH_PRACTICE: _l("Published a best practice"),
    UNPUBLISH_PRACTICE: _l("Withdrew a best practice from the public library"),
    CREATE_TARGET: _l("Created a target"),
    EDIT_TARGET: _l("Changed a target"),
    PUBLISH_TARGET: _l("Published a target"),
    UNPUBLISH_TARGET: _l("Unpublished a target"),
    DELETE_TARGET: _l("Deleted a target"),
    ADD_CITY: _l("Added a candidate city"),
    MOVE_CITY: _l("Moved a city to the next stage"),
    INVITE: _l("Invited someone to an account"),
    RESEND_INVITATION: _l("Sent an invitation again"),
    DEACTIVATE: _l("Deactivated an account"),
    REACTIVATE: _l("Reactivated an account"),
}
PER_PAGE = 50

log = logging.getLogger(__name__)


def record(user: User, action: str, **detail) -> AuditEvent:
    """Add an event to the session (the caller commits it with what it records)."""
    event = AuditEvent(user_id=user.id, user_email=user.email, action=action, detail=detail)
    db.session.add(event)
    return event


def logged_download(started: AuditEvent, batches: Iterable[tuple[str, int]]) -> Iterator[str]:
    """The text of ``batches`` (``(text, rows)`` pairs), then the download's second entry.

    ``started`` is its first entry, committed. When the stream ends the second entry is
    added, in a session of its own (the request's is gone by then): "sent" with the number of
    rows if the last batch was handed to the server, "cut off" with the rows handed over
    before that otherwise. A batch counts once the server has taken it and asked for the next
    one, so a batch being written when the client went away is not counted.
    """
    engine = db.engine  # taken now: the stream runs outside the app context
    sent_action, cut_off_action = DOWNLOAD_ENDS[started.action]
    user_id, user_email, first = started.user_id, started.user_email, started.id
    detail = dict(started.detail or {})

    def stream() -> Iterator[str]:
        rows, finished = 0, False
        try:
            for text, batch_rows in batches:
                yield text
                rows += batch_rows
            finished = True
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
            try:
                with so.Session(engine) as session:
                    session.add(AuditEvent(
                        user_id=user_id, user_email=user_email,
                        action=sent_action if finished else cut_off_action,
                        detail={**detail, "rows": rows, "download": first}))
                    session.commit()
            except sa.exc.SQLAlchemyError:
                log.exception("the end of download %s could not be written to the audit log",
                              first)

    return stream()


class AuditLogIsAppendOnly(RuntimeError):
    pass


@sa.event.listens_for(AuditEvent, "before_update")
@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit events are never changed or deleted")


def coordinators() -> list[str]:
    """The addresses that appear in the log, for its filter."""
    return list(db.session.scalars(
        sa.select(AuditEvent.user_email).distinct().order_by(AuditEvent.user_email)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def page(number: int, action: str | None = None, who: str | None = None,
         start: date | None = None, end: date | None = None) -> tuple[list[AuditEvent], int]:
    """(events on that page, newest first; the number of pages). ``start`` and ``end`` are
    UTC days, both included."""
    conditions = []
    if action:
        conditions.append(AuditEvent.action == action)
    if who:
        conditions.append(AuditEvent.user_email == who)
    if start:
        conditions.append(AuditEvent.at >= _midnight(start))
    if end:
        conditions.append(AuditEvent.at < _midnight(end + timedelta(days=1)))
    query = sa.select(AuditEvent).where(*conditions)
    counted = sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions)
    total = db.session.scalar(counted) or 0
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    events = db.session.scalars(
        query.options(so.selectinload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((number - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return list(events), pages


def describe(event: AuditEvent) -> list[str]:
    """The event's details in words, in the reader's language (never a third party's data)."""
    from flask_babel import format_date, ngettext

    from manifesto.core.i18n import country_name

    d = event.detail or {}
    words = []
    if d.get("start") and d.get("end"):
        words.append(_("From %(start)s to %(end)s",
                       start=format_date(date.fromisoformat(d["start"]), "medium"),
                       end=format_date(date.fromisoformat(d["end"]), "medium")))
    if d.get("country"):
        words.append(country_name(d["country"]))
    if d.get("rows") is not None and event.action in CUT_OFF:
        words.append(ngettext("%(num)s row sent before it stopped",
                              "%(num)s rows sent before it stopped", d["rows"]))
    elif d.get("rows") is not None:
        words.append(ngettext("%(num)s row", "%(num)s rows", d["rows"]))
    if "signature" in d:
        words.append(_("signature no. %(id)s", id=d["signature"]))
    if "version" in d:
        words.append(_("version %(number)s", number=d["version"]))
    if "language" in d:
        from manifesto.core.i18n import language_name

        words.append(language_name(d["language"]))
    if "practice" in d:
        words.append(_("best practice no. %(id)s", id=d["practice"]))
    if "target" in d:
        words.append(_("target no. %(id)s", id=d["target"]))
    if "city" in d:
        words.append(_("city no. %(id)s", id=d["city"]))
    if "stage_from" in d and "stage_to" in d:
        words.append(_("from “%(old)s” to “%(new)s”",
                       old=PIPELINE_STAGE_LABELS[PipelineStage(d["stage_from"])],
                       new=PIPELINE_STAGE_LABELS[PipelineStage(d["stage_to"])]))
    if "account" in d:
        words.append(_("account no. %(id)s", id=d["account"]))
    if "subject" in d:
        words.append(_("person %(reference)s", reference=d["subject"]))
    if "found" in d:
        words.append(_("found: signatures %(signatures)s, accounts %(accounts)s, "
                       "e-mails %(emails)s", **d["found"]))
    if "erased" in d:
        words.append(_("erased: signatures %(signatures)s, accounts %(accounts)s, "
                       "e-mails %(emails)s", **d["erased"]))
    return words

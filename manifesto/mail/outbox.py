"""The outbox: e-mails are written to a table in the same transaction as the change that
caused them, and sent later by a worker, never inside a request.

``enqueue`` is what the rest of the app calls. Delivery (SMTP or ``.eml`` files) and retries
live below it; the ``flask --app wsgi outbox …`` commands in ``cli/outbox.py``.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from blinker import Namespace
from flask import Flask, Response, current_app, g, has_request_context
from sqlalchemy import orm as so

from manifesto.core.emails import mask_email, recipient_hash
from manifesto.extensions import db
from manifesto.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)


def _message_domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    domain = sender.rpartition("@")[2].strip(" >")
    return domain or "manifesto.invalid"


_INSERT_MESSAGE = sa.insert(OutboxMessage.__table__)

queued = Namespace().signal("outbox-queued", doc="""
Sent by ``enqueue`` for each message it added, with the app as sender and ``message_id``:
whoever cares (the development hook below) listens, so that queueing needs no request.""")


def enqueue(
    *,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    language: str,
    signature_id: int | None = None,
) -> int:
    """Add one message to the outbox in the current transaction (the caller commits).

    A Core insert on the session's connection: it goes in at once, in the same transaction
    as the change that caused it. Returns the new row's id, also announced by ``queued``.
    """
    message_id = db.session.connection().execute(
        _INSERT_MESSAGE,
        {
            "kind": kind,
            "to_address": to_address,
            "recipient_hash": recipient_hash(to_address) if to_address else None,
            "subject": subject,
            "body_text": body_text,
            "language": language,
            "signature_id": signature_id,
            "message_id": f"<{uuid.uuid4().hex}@{_message_domain()}>",
        },
    ).inserted_primary_key[0]
    queued.send(current_app._get_current_object(), message_id=message_id)
    return message_id


# --- Messages -------------------------------------------------------------------------------

URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")
MAX_BACKOFF_SECONDS = 3600
MAX_ERROR_LENGTH = 500  # OutboxMessage.last_error


def build_message(row: OutboxMessage) -> EmailMessage:
    """The e-mail for one outbox row: plain UTF-8 text, marked as automatic."""
    assert row.to_address is not None and row.body_text is not None
    message = EmailMessage()
    # Quoted-printable keeps non-ASCII text 7-bit clean for any server, and readable enough.
    # First: set_content drops every Content-* header already there (Content-Language too).
    cte = None if row.body_text.isascii() else "quoted-printable"
    message.set_content(row.body_text, charset="utf-8", cte=cte)
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = email.utils.format_datetime(utcnow())
    message["Message-ID"] = row.message_id
    message["Content-Language"] = row.language
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    return message


def links(text: str) -> list[str]:
    return [url.rstrip(".,;:!?)]") for url in URL_PATTERN.findall(text)]


# --- Transports -----------------------------------------------------------------------------


class DeliveryError(Exception):
    """One message was not handed over; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class Transport:
    """Hands messages over; a context manager around one batch."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def describe(self) -> str:
        raise NotImplementedError

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        """Hand one message over, or raise ``DeliveryError``."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        detail = str(exc) or "no detail"
    return f"{type(exc).__name__}: {detail}"


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to this message is final; 4xx, a lost connection or a timeout is not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    # The address needs SMTPUTF8 and the server lacks it: no retry will change that.
    return isinstance(exc, smtplib.SMTPNotSupportedError)


class SMTPTransport(Transport):
    """One SMTP session for the whole batch, opened at the first message.

    Problems while opening the session (connection, TLS, login) are the server's or the
    settings', not the message's: they are always retried, whatever the reply code, and
    the rest of the batch is not tried against a server that could not be reached.
    """

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def describe(self) -> str:
        security = ("implicit TLS" if self.config["MAIL_USE_SSL"]
                    else "STARTTLS" if self.config["MAIL_USE_TLS"] else "no TLS")
        return f"SMTP {self.config['MAIL_SERVER']}:{self.config['MAIL_PORT']} ({security})"

    def _connect(self) -> smtplib.SMTP:
        host, port = self.config["MAIL_SERVER"], self.config["MAIL_PORT"]
        timeout = self.config["MAIL_TIMEOUT"]
        if self.config["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if self.config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if self.config["MAIL_USERNAME"]:
                smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"] or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _session(self) -> smtplib.SMTP:
        if self._unreachable:
            raise DeliveryError(self._unreachable)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                self._unreachable = f"no SMTP session: {describe_error(exc)}"
                raise DeliveryError(self._unreachable) from exc
        return self._smtp

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        smtp = self._session()
        try:
            smtp.send_message(message, to_addrs=[row.to_address])
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # the next message starts from a fresh session
            raise DeliveryError(describe_error(exc), permanent=is_permanent(exc)) from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()


class FileTransport(Transport):
    """Development: each message becomes an ``.eml`` file, and its links go to the log."""

    def __init__(self, directory: Path):
        self.directory = directory

    def describe(self) -> str:
        return f".eml files in {self.directory}"

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        kind = re.sub(r"[^A-Za-z0-9_-]", "_", row.kind)
        path = self.directory / f"{stamp}-{row.id}-{kind}.eml"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Owner-only, like the directory: the body holds a secret link.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes())
        except OSError as exc:
            raise DeliveryError(describe_error(exc)) from exc
        log.info("mail %s to %s written to %s", row.kind, mask_email(row.to_address or ""), path)
        for url in links(row.body_text or ""):
            log.info("link: %s", url, extra={"keep_link": True})


def transport_for(app: Flask) -> Transport:
    """SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in ``<instance>/mail``."""
    if app.config.get("MAIL_SERVER"):
        return SMTPTransport(app.config)
    return FileTransport(Path(app.instance_path) / "mail")


# --- Claiming and sending -------------------------------------------------------------------


Outcome = Literal["sent", "retrying", "failed"]


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retrying + self.failed

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        return self

    def summary(self) -> str:
        return f"Sent {self.sent}, will retry {self.retrying}, failed {self.failed}."


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def _lease_end(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim(limit: int, claim: str) -> list[int]:
    """Take up to ``limit`` due messages for ``claim``, in a short transaction of its own.

    One UPDATE picks the rows and marks them. On PostgreSQL the pick locks its rows and skips
    those another worker holds (SKIP LOCKED); MATERIALIZED makes it run once, so the LIMIT
    holds. SQLite ignores the locking but lets one writer in at a time. Either way the UPDATE
    checks again that each row is free, and only rows now carrying this claim are returned.
    """
    now = utcnow()
    picked = (
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(sa.select(picked.c.id)), _due(now))
        .values(claimed_until=_lease_end(now), claimed_by=claim)
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.claimed_by == claim).order_by(OutboxMessage.id)
    ).all()
    db.session.commit()
    return list(claimed)


def _renew(message_id: int, claim: str) -> bool:
    """Extend the lease just before sending; False when the claim was lost meanwhile
    (a batch outlived its lease and another worker took the message)."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == claim,
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(claimed_until=_lease_end(utcnow()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _release(claim: str) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.claimed_by == claim)
        .values(claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _clean_error(reason: str, address: str | None) -> str:
    """One short line, without the password or the whole recipient address."""
    text = " ".join(reason.split())
    password = current_app.config.get("MAIL_PASSWORD")
    if password:
        text = text.replace(password, "***")
    if address:
        text = re.sub(re.escape(address), mask_email(address), text, flags=re.IGNORECASE)
    return text[:MAX_ERROR_LENGTH]


def _record_sent(row: OutboxMessage) -> Outcome:
    row.status = OutboxStatus.SENT
    row.sent_at = utcnow()
    row.attempts += 1
    row.body_text = None  # it holds a secret link; subject and recipient stay
    row.last_error = None
    row.claimed_until = row.claimed_by = None
    log.info("mail %s #%d to %s sent", row.kind, row.id, mask_email(row.to_address or ""))
    return "sent"


def _record_failure(row: OutboxMessage, reason: str, permanent: bool) -> Outcome:
    config = current_app.config
    row.attempts += 1
    row.last_error = _clean_error(reason, row.to_address)
    row.claimed_until = row.claimed_by = None
    to = mask_email(row.to_address or "")
    if permanent or row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED
        log.warning("mail %s #%d to %s failed for good after %d attempt(s): %s",
                    row.kind, row.id, to, row.attempts, row.last_error)
        return "failed"
    delay = min(config["OUTBOX_RETRY_SECONDS"] * 2 ** (row.attempts - 1), MAX_BACKOFF_SECONDS)
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.info("mail %s #%d to %s: attempt %d failed, next in %d s: %s",
             row.kind, row.id, to, row.attempts, delay, row.last_error)
    return "retrying"


class SentJournal:
    """Message-IDs the SMTP server accepted, appended to a file the moment it says so.

    Between the server's "250 OK" and the commit that marks the row sent, a worker can die
    (SIGKILL, a crash) or lose its database (for hundreds of milliseconds on a busy SQLite
    file, waiting for the write lock). The row's lease then expires and another worker would
    send the message again. One ``write()`` to an append-only file survives the death of the
    process (the kernel has it), takes microseconds, and needs no lock: a worker that finds
    the Message-ID here marks the row sent without sending it again. Workers that share the
    instance folder share the journal; it is compacted when it passes ``MAX_BYTES``.
    """

    MAX_BYTES = 1 << 20

    def __init__(self, path: Path):
        self.path = path
        self._seen: set[str] = set()
        self._read_to = 0

    def record(self, message_id: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (message_id + "\n").encode("ascii", "replace"))
        finally:
            os.close(fd)

    def contains(self, message_id: str) -> bool:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return False
        if size < self._read_to:  # compacted by another worker: read it all again
            self._seen, self._read_to = set(), 0
        if size > self._read_to:
            with self.path.open("rb") as fh:
                fh.seek(self._read_to)
                chunk = fh.read()
            complete = chunk.rpartition(b"\n")[0]
            self._seen.update(line.decode("ascii", "replace") for line in complete.split(b"\n")
                              if line)
            self._read_to += len(complete) + (1 if complete else 0)
        return message_id in self._seen

    def compact(self) -> None:
        """Keep only the ids whose rows are not yet marked sent (usually none)."""
        try:
            if self.path.stat().st_size < self.MAX_BYTES:
                return
        except FileNotFoundError:
            return
        import fcntl

        with self.path.open("r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            ids = {line.decode("ascii", "replace") for line in fh.read().split(b"\n") if line}
            unsent = set(db.session.scalars(
                sa.select(OutboxMessage.message_id).where(
                    OutboxMessage.message_id.in_(ids), OutboxMessage.status != OutboxStatus.SENT)
            )) if ids else set()
            fh.seek(0)
            fh.truncate()
            fh.write(b"".join(i.encode("ascii", "replace") + b"\n" for i in sorted(unsent)))
        self._seen, self._read_to = set(), 0


def journal_for(app: Flask) -> SentJournal | None:
    path = app.config.get("OUTBOX_SENT_JOURNAL")
    if not path:
        return None
    journals = app.extensions.setdefault("manifesto_sent_journals", {})
    if path not in journals:
        journals[path] = SentJournal(Path(path))
    return journals[path]


def _deliver_one(message_id: int, claim: str, transport: Transport) -> Outcome | None:
    if not _renew(message_id, claim):
        return None
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        return None
    journal = journal_for(current_app)
    if journal is not None and journal.contains(row.message_id):
        # Accepted by the server before a worker died or lost the database: not again.
        log.info("mail %s #%d was sent before an interruption; not sending it again",
                 row.kind, row.id)
        return _commit(_record_sent(row))
    try:
        if row.to_address is None or row.body_text is None:
            raise DeliveryError("recipient or body erased before sending", permanent=True)
        transport.send(build_message(row), row)
        if journal is not None:
            journal.record(row.message_id)
    except DeliveryError as exc:
        outcome = _record_failure(row, str(exc), exc.permanent)
    except Exception as exc:  # a bug must not stop the worker; the message waits for a fix
        log.exception("mail %s #%d: unexpected error while sending", row.kind, row.id)
        transport.close()  # in whatever state it was left: the next message starts afresh
        outcome = _record_failure(row, f"{type(exc).__name__}: {exc}", permanent=False)
    else:
        outcome = _record_sent(row)
    return _commit(outcome)


def _commit(outcome: Outcome) -> Outcome | None:
    try:
        db.session.commit()  # one message at a time: a crash loses at most the one in flight
    except so.exc.StaleDataError:  # withdrawn meanwhile: the signatory's data is gone
        db.session.rollback()
        return None
    return outcome


def deliver_due(
    limit: int = 50,
    worker_id: str | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_message: Callable[[Outcome], None] | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due messages. Needs an app context; commits its session.

    Each claim is unique (the worker id plus a random part), so threads of one process are
    told apart too. ``should_stop`` is asked before each message: what was claimed but not
    sent is released at once. ``on_message`` hears each outcome.
    """
    claim = f"{(worker_id or default_worker_id())[:51]}/{secrets.token_hex(6)}"
    report = DeliveryReport()
    journal = journal_for(current_app)
    if journal is not None:
        journal.compact()
    ids = _claim(limit, claim)
    if not ids:
        return report
    stopped = False
    with transport_for(current_app) as transport:
        for message_id in ids:
            if should_stop is not None and should_stop():
                stopped = True
                break
            outcome = _deliver_one(message_id, claim, transport)
            if outcome is not None:
                report.count(outcome)
                if on_message is not None:
                    on_message(outcome)
    if stopped:
        _release(claim)
    return report


def due_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage).where(_due(utcnow()))
    ) or 0


def status_counts() -> dict[OutboxStatus, int]:
    counts = dict.fromkeys(OutboxStatus, 0)
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    )
    for status, count in rows:
        counts[OutboxStatus(status)] = count
    return counts


def oldest_pending() -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status == OutboxStatus.PENDING)
    )


# --- Delivery after a request (development) -------------------------------------------------


def init_app(app: Flask) -> None:
    queued.connect(_note_queued, app)
    app.after_request(_deliver_after_response)
    if log.level == logging.NOTSET:
        # Outcomes, and in development the confirmation link, show in the console.
        log.setLevel(logging.INFO)
    _ = app.logger  # on first use Flask gives "manifesto" (and so this logger) its handler


def _note_queued(app: Flask, **_message) -> None:
    """A request that queues mail says so, for ``_deliver_after_response``."""
    if has_request_context():
        g.outbox_enqueued = True


def _deliver_after_response(response: Response) -> Response:
    """With OUTBOX_DELIVER_AFTER_REQUEST, send what this request queued once the response
    is out: ``flask run`` then needs no worker."""
    if current_app.config.get("OUTBOX_DELIVER_AFTER_REQUEST") and g.get("outbox_enqueued"):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(functools.partial(_deliver_quietly, app))
    return response


def _deliver_quietly(app: Flask) -> None:
    try:
        with app.app_context():
            deliver_due()
    except Exception:
        log.exception("sending the outbox after a request failed")

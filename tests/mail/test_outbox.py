"""The outbox sends over a real SMTP server (aiosmtpd, started per test), retries what may
pass, gives up on what will not, writes .eml files without a server, and never sends one
message twice, even with two workers at once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import re
import signal
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from manifesto.extensions import db
from manifesto.mail import outbox
from manifesto.mail.outbox import DeliveryReport, deliver_due, enqueue
from manifesto.models import OutboxMessage, OutboxStatus, utcnow
from tests.support.network import free_port

BODY_RU = "Здравствуйте!\nПодтвердите подпись: https://example.org/ru/confirm/s3cr3t-t0ken\n"
SUBJECT_RU = "Подтвердите вашу подпись"


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or answers RCPT with ``rcpt_reply``."""

    def __init__(self, rcpt_reply: str | None = None, delay: float = 0.0):
        self.rcpt_reply = rcpt_reply
        self.delay = delay
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default)
                for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """Start an SMTP server on 127.0.0.1; returns (handler, port)."""
    controllers: list[Controller] = []

    def _start(handler: Mailbox | None = None, **kwargs) -> tuple[Mailbox, int]:
        handler = handler or Mailbox()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield _start
    for controller in controllers:
        controller.stop()


def smtp_app(make_app, port: int, **settings):
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                "MAIL_USE_SSL": False, "MAIL_USERNAME": None, "MAIL_PASSWORD": None,
                "MAIL_TIMEOUT": 5, **settings}
    return make_app(**settings)


def queue(count: int = 1, **fields) -> list[OutboxMessage]:
    rows = []
    for i in range(count):
        values = {"kind": "confirm", "to_address": f"jane{i}@example.org",
                  "subject": "Please confirm", "body_text": "https://example.org/en/c/t\n",
                  "language": "en", **fields}
        rows.append(enqueue(**values))
    db.session.commit()
    return [db.session.get(OutboxMessage, row_id) for row_id in rows]


def test_a_queued_message_goes_out_over_smtp_with_its_headers(make_app, smtp_server):
    mailbox, port = smtp_server()
    smtp_app(make_app, port, MAIL_DEFAULT_SENDER="Манифест <no-reply@example.org>")
    [row] = queue(to_address="olga@example.org", subject=SUBJECT_RU, body_text=BODY_RU,
                  language="ru")

    assert deliver_due() == DeliveryReport(sent=1)

    [envelope] = mailbox.envelopes
    assert envelope.mail_from == "no-reply@example.org"
    assert envelope.rcpt_tos == ["olga@example.org"]
    [message] = mailbox.messages()
    assert message["Message-ID"] == row.message_id
    assert message["Content-Language"] == "ru"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == SUBJECT_RU
    assert message["From"] == "Манифест <no-reply@example.org>"
    assert message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == BODY_RU

    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.body_text is None  # the secret link is gone
    assert (row.to_address, row.subject) == ("olga@example.org", SUBJECT_RU)
    assert row.claimed_by is None and row.claimed_until is None
    assert deliver_due() == DeliveryReport()


def test_server_down_retries_with_backoff_then_fails(make_app):
    smtp_app(make_app, free_port(), OUTBOX_MAX_ATTEMPTS=2)
    [row] = queue()
    before = utcnow()

    assert deliver_due() == DeliveryReport(retrying=1)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.last_error.startswith("no SMTP session: ConnectionRefusedError")
    assert before + timedelta(seconds=30) <= row.next_attempt_at
    assert row.next_attempt_at <= utcnow() + timedelta(seconds=30)
    assert row.claimed_by is None
    assert deliver_due() == DeliveryReport()  # not due yet

    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver_due() == DeliveryReport(failed=1)
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 2


@pytest.mark.parametrize("attempts_before, delay", [(1, 60), (3, 240), (7, 3600), (30, 3600)])
def test_the_wait_doubles_and_stops_at_an_hour(make_app, attempts_before, delay):
    smtp_app(make_app, free_port(), OUTBOX_MAX_ATTEMPTS=99)
    [row] = queue()
    row.attempts = attempts_before
    db.session.commit()
    deliver_due()
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    assert delay - 5 < wait <= delay


def test_a_server_that_is_down_is_not_asked_again_for_each_message(make_app):
    smtp_app(make_app, free_port())
    queue(3)
    assert deliver_due() == DeliveryReport(retrying=3)
    errors = db.session.scalars(db.select(OutboxMessage.last_error)).all()
    assert len(set(errors)) == 1


@pytest.mark.parametrize("reply, outcome", [
    ("550 5.1.1 <nobody@example.org>: no such user", DeliveryReport(failed=1)),
    ("451 4.7.1 greylisted, try again later", DeliveryReport(retrying=1)),
])
def test_a_refusal_fails_at_once_only_when_it_is_permanent(make_app, smtp_server, reply, outcome):
    _mailbox, port = smtp_server(Mailbox(rcpt_reply=reply))
    smtp_app(make_app, port)
    [row] = queue(to_address="nobody@example.org")
    assert deliver_due() == outcome
    assert row.attempts == 1
    assert row.last_error.startswith(f"SMTPRecipientsRefused: {reply[:3]}")
    assert "nobody@example.org" not in row.last_error
    assert row.body_text is not None
    if outcome.failed:
        assert row.status == OutboxStatus.FAILED
        assert "n***@example.org" in row.last_error


@pytest.mark.parametrize("password, outcome", [
    ("right-password", DeliveryReport(sent=1)),
    ("wrong-password", DeliveryReport(retrying=1)),
])
def test_login_and_the_password_never_shows(make_app, smtp_server, caplog, password, outcome):
    def authenticator(server, session, envelope, mechanism, auth_data):
        good = (auth_data.login, auth_data.password) == (b"mailer", b"right-password")
        return AuthResult(success=good, handled=False)  # aiosmtpd then answers 535

    mailbox, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    smtp_app(make_app, port, MAIL_USERNAME="mailer", MAIL_PASSWORD=password)
    caplog.set_level(logging.INFO, logger="manifesto.mail.outbox")
    [row] = queue()
    assert deliver_due() == outcome
    assert len(mailbox.envelopes) == outcome.sent
    if outcome.retrying:
        assert "535" in row.last_error
    assert password not in (row.last_error or "")
    assert password not in caplog.text


def test_an_erased_recipient_fails_without_sending(make_app, smtp_server):
    mailbox, port = smtp_server()
    smtp_app(make_app, port)
    [row] = queue(to_address=None)
    assert deliver_due() == DeliveryReport(failed=1)
    assert mailbox.envelopes == []


def test_a_message_withdrawn_while_it_is_sent_is_left_alone(make_app, monkeypatch):
    make_app(MAIL_SERVER=None)
    [row] = queue()
    row_id = row.id
    build = outbox.build_message

    def build_while_the_signatory_withdraws(row):
        with db.engine.begin() as connection:
            connection.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == row_id))
        return build(row)

    monkeypatch.setattr(outbox, "build_message", build_while_the_signatory_withdraws)
    assert deliver_due() == DeliveryReport()
    assert db.session.get(OutboxMessage, row_id) is None


def test_a_batch_takes_at_most_limit_messages_oldest_first(make_app, smtp_server):
    mailbox, port = smtp_server()
    smtp_app(make_app, port)
    rows = queue(5)
    assert deliver_due(limit=2) == DeliveryReport(sent=2)
    assert [m["Message-ID"] for m in mailbox.messages()] == [r.message_id for r in rows[:2]]
    assert outbox.due_count() == 3


def test_a_claimed_message_waits_for_its_lease_to_end(make_app, smtp_server):
    mailbox, port = smtp_server()
    smtp_app(make_app, port)
    [row] = queue()
    row.claimed_by, row.claimed_until = "crashed:1/abc", utcnow() + timedelta(seconds=60)
    db.session.commit()
    assert outbox.due_count() == 0
    assert deliver_due() == DeliveryReport()

    row.claimed_until = utcnow() - timedelta(seconds=1)  # the worker never came back
    db.session.commit()
    assert outbox.due_count() == 1
    assert deliver_due() == DeliveryReport(sent=1)
    assert len(mailbox.envelopes) == 1


def test_stopping_releases_what_was_claimed(make_app, smtp_server):
    mailbox, port = smtp_server()
    smtp_app(make_app, port)
    rows = queue(2)
    assert deliver_due(should_stop=lambda: True) == DeliveryReport()
    assert mailbox.envelopes == []
    assert all(row.claimed_by is None and row.claimed_until is None for row in rows)
    assert outbox.due_count() == 2


def test_without_a_mail_server_mail_is_a_file_and_the_link_is_logged(make_app, caplog):
    app = make_app(MAIL_SERVER=None)
    caplog.set_level(logging.INFO, logger="manifesto.mail.outbox")
    [row] = queue(to_address="jane.doe@example.org",
                  body_text="Please confirm: https://localhost/en/confirm/tok-123.\n")

    assert deliver_due() == DeliveryReport(sent=1)

    mail_dir = Path(app.instance_path) / "mail"
    [path] = mail_dir.glob("*.eml")
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{row.id}-confirm\.eml", path.name)
    assert stat.S_IMODE(mail_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "jane.doe@example.org"
    assert message["Message-ID"] == row.message_id
    assert f"mail confirm to j***@example.org written to {path}" in caplog.messages
    assert "link: https://localhost/en/confirm/tok-123" in caplog.messages
    assert "jane.doe@example.org" not in caplog.text
    assert row.body_text is None


@pytest.mark.parametrize("setting, enqueued, sent", [
    (True, True, True), (True, False, False), (False, True, False),
])
def test_after_request_delivery_once_the_response_is_closed(make_app, setting, enqueued, sent):
    app = make_app(MAIL_SERVER=None, OUTBOX_DELIVER_AFTER_REQUEST=setting)
    with app.test_request_context("/en/"):
        [row] = queue()
        outbox_flag = outbox.g.pop("outbox_enqueued", None)
        assert outbox_flag is True
        if enqueued:
            outbox.g.outbox_enqueued = True
        response = app.process_response(app.response_class("ok"))
        assert row.status == OutboxStatus.PENDING  # nothing is sent inside the request
    response.close()
    db.session.expire_all()
    assert (row.status == OutboxStatus.SENT) is sent
    assert len(list((Path(app.instance_path) / "mail").glob("*.eml"))) == int(sent)


def test_queueing_needs_no_request_and_leaves_the_request_hook_out_of_it(make_app):
    """Outside a request (the CLI, a script) a message is queued and announced, and nothing is
    noted for the after-request hook; inside one, the hook learns of it from the announcement."""
    app = make_app(MAIL_SERVER=None, OUTBOX_DELIVER_AFTER_REQUEST=True)
    announced = []
    with outbox.queued.connected_to(lambda sender, message_id: announced.append(message_id),
                                    app):
        [row] = queue()
        assert "outbox_enqueued" not in outbox.g
        with app.test_request_context("/en/"):
            [second] = queue()
            assert outbox.g.outbox_enqueued is True
    assert announced == [row.id, second.id]


def test_two_workers_send_each_message_exactly_once(make_app, smtp_server):
    mailbox, port = smtp_server(Mailbox(delay=0.02))
    app = smtp_app(make_app, port)
    expected = sorted(row.message_id for row in queue(20))
    barrier = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                total = DeliveryReport()
                barrier.wait()
                while (report := deliver_due(limit=2, worker_id=name)).total:
                    total += report
                reports.append(total)
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(m["Message-ID"] for m in mailbox.messages()) == expected
    assert sum(r.sent for r in reports) == 20
    assert all(r.sent > 0 for r in reports)  # both really worked
    assert outbox.status_counts()[OutboxStatus.SENT] == 20


def test_cli_send_drains_the_queue(make_app, smtp_server):
    mailbox, port = smtp_server()
    app = smtp_app(make_app, port)
    queue(3)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Sent 3, will retry 0, failed 0."
    assert len(mailbox.envelopes) == 3

    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "Sent 0, will retry 0, failed 0."


def test_cli_send_exits_1_when_a_message_failed_for_good(make_app, smtp_server):
    _mailbox, port = smtp_server(Mailbox(rcpt_reply="550 no such user"))
    app = smtp_app(make_app, port)
    queue(1)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Sent 0, will retry 0, failed 1."
    assert "Traceback" not in result.output


def test_cli_status(make_app, smtp_server):
    _mailbox, port = smtp_server()
    app = smtp_app(make_app, port, MAIL_PASSWORD="hunter2-secret")
    rows = queue(3)
    rows[0].status = OutboxStatus.FAILED
    rows[1].created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert re.search(r"^pending\s+2$", output, re.M)
    assert re.search(r"^sent\s+0$", output, re.M)
    assert re.search(r"^failed\s+1$", output, re.M)
    assert re.search(r"^due now\s+2$", output, re.M)
    assert "oldest pending: queued 10 min ago" in output
    assert f"delivery: SMTP 127.0.0.1:{port} (no TLS)" in output
    assert "hunter2-secret" not in output


def test_cli_worker_stops_cleanly_on_sigterm(make_app, smtp_server, monkeypatch):
    mailbox, port = smtp_server()
    app = smtp_app(make_app, port)
    queue(2)
    deliver = outbox.deliver_due

    def deliver_then_terminate(*args, **kwargs):
        report = deliver(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return report

    monkeypatch.setattr(outbox, "deliver_due", deliver_then_terminate)
    handler_before = signal.getsignal(signal.SIGTERM)
    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Stopped. Sent 2, will retry 0, failed 0."
    assert len(mailbox.envelopes) == 2
    assert signal.getsignal(signal.SIGTERM) is handler_before


@pytest.mark.parametrize("command", ["send", "worker", "status"])
def test_outbox_commands_have_help(runner, command):
    result = runner.invoke(args=["outbox", command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_outbox_commands_say_when_the_table_is_missing(make_app):
    app = make_app(tables=False)
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 1
    assert "run: flask --app wsgi db upgrade" in result.output


def test_a_message_the_server_accepted_before_a_crash_is_not_sent_again(make_app, smtp_server,
                                                                        monkeypatch):
    """The worker dies between the server's "250 OK" and its commit; the next one finds the
    Message-ID in the journal and marks the row sent without sending it a second time."""
    mailbox, port = smtp_server()
    app = smtp_app(make_app, port)
    [row, other] = queue(2)
    message_id, row_id = row.message_id, row.id

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # like SIGKILL: nothing after the send runs

    monkeypatch.setattr(outbox, "_record_sent", die)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(limit=1)
    db.session.rollback()
    monkeypatch.undo()
    assert len(mailbox.envelopes) == 1
    journal = outbox.journal_for(app)
    assert journal.contains(message_id)

    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == row_id)
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_due() == DeliveryReport(sent=2)
    assert len(mailbox.envelopes) == 2  # the other message; the first one not again
    assert [m["Message-ID"] for m in mailbox.messages()].count(message_id) == 1
    assert db.session.get(OutboxMessage, row_id).status == OutboxStatus.SENT


def test_the_sent_journal_is_compacted(make_app, smtp_server, monkeypatch):
    mailbox, port = smtp_server()
    app = smtp_app(make_app, port)
    monkeypatch.setattr(outbox.SentJournal, "MAX_BYTES", 10)
    queue(3)
    assert deliver_due() == DeliveryReport(sent=3)
    journal = outbox.journal_for(app)
    assert journal.path.stat().st_size > 10
    queue(1)
    deliver_due()  # compacts first: every id in it belongs to a row marked sent
    assert journal.path.read_text().count("\n") == 1

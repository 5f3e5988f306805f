"""Privacy by design: consent records, the versioned notice, keyed hashes instead of addresses,
retention (``privacy purge``), a person's data found, downloaded and erased, the audit log."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from manifesto.access import audit
from manifesto.core import keyed, ratelimit
from manifesto.core.logs import scrub
from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    OutboxMessage,
    OutboxStatus,
    Role,
    Signature,
    SignatureStatus,
    User,
    utcnow,
)
from manifesto.personal_data import privacy
from manifesto.signatures.counts import (
    counter_drift,
    history_drift,
    public_counts,
    rebuild_stats,
    stats_drift,
)
from tests.support import factories
from tests.support.auth import AuthActions
from tests.support.signing import MAYOR, ORGANISATION, link, outbox, sign


@pytest.fixture
def site(app):
    factories.manifesto()
    return app


@pytest.fixture
def client(site):
    return site.test_client()


def only_signature() -> Signature:
    db.session.expire_all()
    [signature] = db.session.scalars(sa.select(Signature)).all()
    return signature


def consents() -> list[tuple]:
    return [(c.action, c.method, c.notice_language, c.notice_version)
            for c in db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id))]


def events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


# --- consent and the notice --------------------------------------------------------------------


def test_signing_and_withdrawing_are_recorded_against_the_notice_shown(client):
    assert sign(client, lang="fr", **ORGANISATION).status_code == 303
    assert consents() == [(ConsentAction.GIVEN, ConsentMethod.SIGN_FORM, "fr", 1)]
    manage = client.post(link(outbox()[0], "confirm")).headers["Location"]
    page = client.get(manage).get_data(as_text=True)
    assert "Avis de confidentialité" in page or "confidentialité" in page
    assert "/fr/privacy?version=1" in page

    data = json.loads(client.get(manage + "/data.json").get_data(as_text=True))
    assert data["consent"][0]["method"] == "sign_form"
    assert data["signature"]["address_hash"] == only_signature().ip_hash

    assert client.post(manage + "/withdraw", data={"understood": "y"}).status_code == 303
    assert consents()[-1] == (ConsentAction.WITHDRAWN, ConsentMethod.OWN_PAGE, "fr", 1)


def test_a_coordinator_publishes_a_new_notice_in_one_language(client, auth):
    coordinator = auth.login_as()
    form = client.get("/en/coordinate/privacy/notice/fr").get_data(as_text=True)
    assert "Qui est responsable de vos données" in form  # the shipped text, to start from

    unchanged = client.post("/en/coordinate/privacy/notice/fr", data={
        "body": privacy.builtin_notice("fr"), "confirm": "y"})
    assert unchanged.status_code == 400
    assert "nothing to publish" in unchanged.get_data(as_text=True)
    no_box = client.post("/en/coordinate/privacy/notice/fr", data={"body": "## Nouveau\n\nTexte."})
    assert no_box.status_code == 400

    body = "## Nouveau responsable\n\nLa fondation <script>alert(1)</script> répond."
    done = client.post("/en/coordinate/privacy/notice/fr", data={"body": body, "confirm": "y"})
    assert done.status_code == 303
    page = client.get("/fr/privacy").get_data(as_text=True)
    assert "Nouveau responsable" in page and "Version 2" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    old = client.get("/fr/privacy?version=1").get_data(as_text=True)
    assert "Qui est responsable de vos données" in old and 'aria-current="page"' in old
    assert client.get("/fr/privacy?version=3").status_code == 404
    assert client.get("/fr/privacy?version=x").status_code == 404
    assert "Version 1" in client.get("/en/privacy").get_data(as_text=True)  # other languages

    [event] = events(audit.PUBLISH_NOTICE)
    assert (event.user_id, event.detail) == (coordinator.id, {"language": "fr", "version": 2})
    client.get("/fr/logout")
    with client.session_transaction() as session:
        session.clear()
    sign(client, lang="fr", **ORGANISATION)
    assert consents()[-1] == (ConsentAction.GIVEN, ConsentMethod.SIGN_FORM, "fr", 2)


def test_the_shipped_notice_states_the_configured_periods(make_app):
    make_app(RETENTION_UNCONFIRMED_DAYS=45, IP_HASH_RETENTION_DAYS=14)
    factories.manifesto()
    text = privacy.builtin_notice("de")
    assert "45 Tage" in text and "14 Tage" in text
    assert "keyed hash" not in text  # translated, not English
    for lang in ("en", "fr", "de", "it", "pt", "ru", "es"):
        assert privacy.builtin_notice(lang).count("## ") == 11


# --- addresses ---------------------------------------------------------------------------------


def test_addresses_are_kept_only_as_keyed_hashes(client):
    sign(client, **ORGANISATION)
    signature = only_signature()
    with client.application.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        assert signature.ip_hash == keyed.client_hash("127.0.0.1")
    assert "127.0.0.1" not in signature.ip_hash and len(signature.ip_hash) == 32
    with client.application.app_context():
        keys = " ".join(ratelimit.storage_keys())
    assert keys and "127.0.0.1" not in keys  # the rate limits count hashes too


def test_the_review_page_counts_signatures_from_the_same_address(make_app):
    app = make_app(SIGN_RATE_LIMIT_PER_IP="1 per hour")
    factories.manifesto()
    client = app.test_client()
    sign(client, **ORGANISATION)
    sign(client, **MAYOR)  # over the limit: flagged
    AuthActions(client).login_as()
    page = client.get("/en/coordinate/review").get_data(as_text=True)
    assert "1 other signature came from the same internet address in the last 30 days." in page


def test_logs_mask_addresses_emails_and_links():
    line = ("81.2.69.160 - - [21/Nov/2026 10:00:00] \"GET /en/confirm/"
            "Zm9vYmFyYmF6cXV4cXV1eGNvcmdl HTTP/1.1\" 200 - maria.rossi@example.org 2001:db8::7")
    assert scrub(line) == ("*.*.*.* - - [21/Nov/2026 10:00:00] \"GET /en/confirm/*** "
                           "HTTP/1.1\" 200 - m***@example.org *:*")
    assert scrub("Running on http://127.0.0.1:5000 and [::1]") == \
        "Running on http://127.0.0.1:5000 and [::1]"  # the machine's own addresses


def test_signing_logs_no_personal_data(client, caplog):
    caplog.set_level(logging.DEBUG)
    sign(client, **ORGANISATION)
    logging.getLogger("manifesto").warning("failed for %s from 10.1.2.3",
                                           ORGANISATION["contact_email"])
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert ORGANISATION["contact_email"] not in text and "10.1.2.3" not in text


# --- retention ---------------------------------------------------------------------------------


def backdate(signature_id: int, days: int, **columns) -> None:
    when = utcnow() - timedelta(days=days)
    db.session.execute(sa.update(Signature).where(Signature.id == signature_id)
                       .values(created_at=when, **{c: when for c in columns}))
    db.session.commit()


def test_purge_erases_what_is_past_its_period_and_nothing_else(client, runner):
    old_pending, new_pending, old_withdrawn, confirmed = (
        sign(client, **{**ORGANISATION, "organisation_name": name,
                        "contact_email": f"{name.lower()}@example.org"}) and name
        for name in ("Old", "New", "Gone", "Kept"))
    by_name = {s.signatory.organisation_name: s for s in db.session.scalars(sa.select(Signature))}
    for name in ("Gone", "Kept"):
        message = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.signature_id == by_name[name].id))
        manage = client.post(link(message, "confirm")).headers["Location"]
        if name == "Gone":
            client.post(manage + "/withdraw", data={"understood": "y"})
    backdate(by_name["Old"].id, 31)
    backdate(by_name["New"].id, 29)
    backdate(by_name["Gone"].id, 40)
    db.session.execute(sa.update(Signature).where(Signature.id == by_name["Gone"].id)
                       .values(withdrawn_at=utcnow() - timedelta(days=31)))
    backdate(by_name["Kept"].id, 31)  # confirmed: kept, but its address hash goes
    rebuild_stats()  # the dashboard counts signatures by the day they were made
    db.session.execute(sa.update(OutboxMessage).values(
        status=OutboxStatus.SENT, sent_at=utcnow() - timedelta(days=31), to_address=None,
        body_text=None))
    old_account = factories.user(email="left@example.org", active=False,
                                 deactivated_at=utcnow() - timedelta(days=366))
    recent = factories.user(email="recent@example.org", active=False,
                            deactivated_at=utcnow() - timedelta(days=10))
    db.session.commit()
    counts_before = public_counts()

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "nothing erased" in dry.output
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    summary = dict(re.findall(r"^  (.+?)\s+(\d+) erased$", result.output, re.M))
    assert summary == {
        "address hashes": "3", "unconfirmed signatures": "1",
        "withdrawn or rejected signatures": "1", "used or expired signature links": "0",
        "sent or failed e-mails": "2", "expired account links": "0", "ended attempt counters": "0",
        "deactivated accounts": "1",
    }
    db.session.expire_all()
    left = {s.id: s for s in db.session.scalars(sa.select(Signature))}
    assert by_name["Old"].id not in left and by_name["New"].id in left
    gone = left[by_name["Gone"].id]
    assert gone.erased_at is not None and gone.signatory.organisation_name is None
    assert gone.signatory.city == "" and gone.status == SignatureStatus.WITHDRAWN
    assert left[by_name["Kept"].id].ip_hash is None and left[by_name["New"].id].ip_hash
    assert db.session.get(User, old_account.id) is None and db.session.get(User, recent.id)
    assert public_counts() == counts_before
    assert counter_drift() == [] and history_drift() == [] and stats_drift() == 0

    again = runner.invoke(args=["privacy", "purge", "--quiet"])
    assert again.exit_code == 0 and "Purged 0 row(s)" in again.output


def test_purge_help_and_a_missing_schema(make_app):
    app = make_app(tables=False)
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 1 and "db upgrade" in result.output
    assert "cron" in app.test_cli_runner().invoke(args=["privacy", "purge", "--help"]).output


# --- the data subject --------------------------------------------------------------------------


def test_a_coordinator_finds_downloads_and_erases_a_persons_data(client, auth):
    sign(client, **MAYOR)
    manage = client.post(link(outbox()[0], "confirm")).headers["Location"]
    address = MAYOR["contact_email"]
    coordinator = auth.login_as()
    assert public_counts().mayors == 0  # confirmed, waiting for a coordinator

    found = client.post("/en/coordinate/privacy/subject", data={"email": address.upper()})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "Lisboa" in page
    assert found.headers["Cache-Control"] == "private, no-store"
    reference = privacy.subject_reference(address)
    [search] = events(audit.SUBJECT_SEARCH)
    assert search.detail["subject"] == reference and address not in json.dumps(search.detail)

    export = client.post("/en/coordinate/privacy/subject/export", data={"email": address})
    data = json.loads(export.get_data(as_text=True))
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert data["signatures"][0]["signatory"]["contact_email"] == address
    assert data["signatures"][0]["consent"][0]["method"] == "sign_form"
    assert events(audit.SUBJECT_EXPORT)[0].detail["found"]["signatures"] == 1

    refused = client.post("/en/coordinate/privacy/subject/erase", data={"email": address})
    assert refused.status_code == 400 and "Confirm that the request" in refused.get_data(as_text=True)
    done = client.post("/en/coordinate/privacy/subject/erase",
                       data={"email": address, "confirm": "y"})
    assert done.status_code == 303
    signature = only_signature()
    assert signature.status == SignatureStatus.WITHDRAWN and signature.erased_at
    assert signature.signatory.contact_email is None and signature.signatory.city == ""
    assert consents()[-1][:2] == (ConsentAction.WITHDRAWN, ConsentMethod.COORDINATOR)
    assert client.get(manage).status_code == 404
    assert counter_drift() == [] and stats_drift() == 0
    [erase] = events(audit.SUBJECT_ERASE)
    assert erase.user_id == coordinator.id
    assert erase.detail == {"subject": reference,
                            "erased": {"signatures": 1, "accounts": 0, "emails": 0}}
    nothing = client.post("/en/coordinate/privacy/subject", data={"email": address})
    assert "Nothing is held about this address" in nothing.get_data(as_text=True)


def test_erasing_an_account_keeps_the_coordinators_own(client, auth):
    coordinator = auth.login_as()
    mine, address = coordinator.id, coordinator.email
    other = factories.user(role=Role.AMBASSADOR, email="amb@example.org").id
    client.post("/en/coordinate/privacy/subject/erase",
                data={"email": "amb@example.org", "confirm": "y"})
    assert db.session.get(User, other) is None
    kept = client.post("/en/coordinate/privacy/subject/erase",
                       data={"email": address, "confirm": "y"}, follow_redirects=True)
    assert "Your own account was kept" in kept.get_data(as_text=True)
    assert db.session.get(User, mine) is not None


def test_subject_search_refuses_a_bad_address(client, auth):
    auth.login_as()
    response = client.post("/en/coordinate/privacy/subject", data={"email": "<b>x"})
    assert response.status_code == 400
    assert "Enter an e-mail address such as" in response.get_data(as_text=True)
    assert events() == []


def test_an_invitation_asks_for_consent_and_records_it(client):
    from manifesto.access import accounts
    from manifesto.models import UserTokenPurpose

    inviter = factories.user()
    user = User(email="new@example.org", name="New", role=Role.AMBASSADOR, locale="it")
    db.session.add(user)
    db.session.flush()
    raw = accounts.issue_token(user, UserTokenPurpose.INVITE)
    db.session.commit()
    path = f"/it/account/set-password/{raw}"
    password = "a long and unusual passphrase 42"
    refused = client.post(path, data={"password": password, "confirm": password})
    assert refused.status_code == 400
    assert db.session.scalars(sa.select(ConsentRecord)).all() == []
    accepted = client.post(path, data={"password": password, "confirm": password,
                                       "consent_privacy": "y"})
    assert accepted.status_code == 303, inviter
    [record] = db.session.scalars(sa.select(ConsentRecord)).all()
    assert (record.user_id, record.method, record.notice_language) == (
        user.id, ConsentMethod.PASSWORD_FORM, "it")


# --- the audit log -----------------------------------------------------------------------------


def test_coordinator_actions_are_audited_and_the_log_filters(client, auth):
    sign(client, **MAYOR)
    client.post(link(outbox()[0], "confirm"))
    coordinator = auth.login_as()
    signature = only_signature()
    client.post(f"/en/coordinate/signatures/{signature.id}/verify")
    client.post("/en/coordinate/users", data={
        "name": "Ana", "email": "ana@example.org", "role": "coordinator", "locale": "pt"})
    ana = db.session.scalar(sa.select(User).where(User.email == "ana@example.org"))
    client.post(f"/en/coordinate/users/{ana.id}/deactivate")
    city = factories.ambassador_city()
    client.post(f"/en/coordinate/cities/{city.id}/move", data={
        "from_stage": "candidate", "interview_date": "2026-11-01", "interviewer": "Ana"})
    actions = [e.action for e in events()]
    assert actions[:3] == [audit.VERIFY, audit.INVITE, audit.DEACTIVATE]
    assert all(e.user_email == coordinator.email for e in events())

    page = client.get("/en/coordinate/audit?action=verify").get_data(as_text=True)
    assert f"signature no. {signature.id}" in page
    assert "<td>Verified a signature</td>" in page
    assert "<td>Deactivated an account</td>" not in page
    other = client.get("/en/coordinate/audit?who=nobody@example.org")
    assert other.status_code == 400 and "Choose one of the coordinators offered." in \
        other.get_data(as_text=True)
    today = utcnow().date()
    within = client.get(f"/en/coordinate/audit?start={today}&end={today}")
    assert "Invited someone to an account" in within.get_data(as_text=True)
    before = client.get("/en/coordinate/audit?start=2020-01-01&end=2020-01-02")
    assert "Nothing recorded yet." in before.get_data(as_text=True)
    inverted = client.get(f"/en/coordinate/audit?start={today}&end=2020-01-01")
    assert inverted.status_code == 400
    assert client.get("/fr/coordinate/audit?action=deactivate").status_code == 200


def test_audit_events_refuse_updates_and_deletes(app):
    user = factories.user()
    event = audit.record(user, audit.VERIFY, signature=1)
    db.session.commit()
    event.action = audit.REJECT
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == audit.VERIFY

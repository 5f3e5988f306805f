"""Status transitions as compare-and-set, without HTTP: a request that read the signature
before another one changed it (a stale object) loses, and moves nothing; the duplicate rule is
held by the database. The same races through a real server: tests/server/test_races.py."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    ConsentMethod,
    OutboxMessage,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    TokenPurpose,
)
from manifesto.personal_data import privacy
from manifesto.signatures import counts, signing, texts, transitions
from manifesto.signatures.counts import counter_drift, history_drift, public_counts, stats_drift
from tests.support import factories


@pytest.fixture
def site(app):
    factories.manifesto()
    return app  # no request: the e-mails' links come from SITE_URL


def request_for(kind=SignatoryKind.ORGANISATION, email="ana@example.org", **values):
    fields = dict(
        kind=kind, country="PT", city="Lisboa", contact_name="Ana", contact_email=email,
        language="en", version=texts.signable_version("en"), privacy_notice_version=1,
        submission_key=secrets.token_urlsafe(24), listed_publicly=True, themes=["participation"],
    )
    if kind == SignatoryKind.ORGANISATION:
        fields.update(organisation_name="Associação Cidade Aberta")
    else:
        fields.update(mayor_name="Carlos Moedas")
    fields.update(values)
    return signing.SignRequest(**fields)


def signed(kind=SignatoryKind.ORGANISATION, **values) -> Signature:
    outcome, signature_id = signing.submit(request_for(kind, **values))
    assert outcome == signing.SignOutcome.CREATED
    db.session.commit()
    return db.session.get(Signature, signature_id)


def stale(signature: Signature, status: SignatureStatus, flagged: bool = False) -> Signature:
    """Make the object show what a request that read it earlier would have seen."""
    set_committed_value(signature, "status", status)
    set_committed_value(signature, "flagged", flagged)
    return signature


def emails(signature_id: int, kind: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.signature_id == signature_id, OutboxMessage.kind == kind))


def audit_entries(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


def no_drift() -> bool:
    return counter_drift() == [] and history_drift() == [] and stats_drift() == 0


def confirm_directly(signature: Signature) -> None:
    won = transitions.change(signature, allowed=(SignatureStatus.PENDING,),
                             status=SignatureStatus.CONFIRMED)
    assert won is not None
    db.session.commit()


def test_two_confirmation_links_of_one_signature_count_it_once(site):
    signature = signed()
    first = signing.new_token(signature.id, TokenPurpose.CONFIRM)
    second = signing.new_token(signature.id, TokenPurpose.CONFIRM)  # "send me a new link"
    db.session.commit()
    assert signing.confirm(first)[0] == signing.ConfirmResult.CONFIRMED
    db.session.commit()
    stale(signature, SignatureStatus.PENDING)
    result, _ = signing.confirm(second)
    assert result == signing.ConfirmResult.ALREADY
    db.session.commit()
    assert public_counts().organisations == 1 and no_drift()


def test_a_stale_verify_loses_and_changes_nothing(site):
    coordinator = factories.user()
    signature = signed(SignatoryKind.MAYOR)
    confirm_directly(signature)
    assert signing.verify(signature, coordinator) == signing.Decision.DONE
    db.session.commit()
    stale(signature, SignatureStatus.CONFIRMED)
    assert signing.verify(signature, coordinator) == signing.Decision.ALREADY
    db.session.commit()
    assert public_counts().mayors == 1
    assert audit_entries("verify") == 1 and emails(signature.id, "verified") == 1
    assert no_drift()


def test_verify_after_a_rejection_is_not_now_and_changes_nothing(site):
    coordinator = factories.user()
    signature = signed(SignatoryKind.MAYOR)
    confirm_directly(signature)
    assert signing.reject(signature, coordinator, "No mandate") == signing.Decision.DONE
    db.session.commit()
    stale(signature, SignatureStatus.CONFIRMED)
    assert signing.verify(signature, coordinator) == signing.Decision.NOT_NOW
    stale(signature, SignatureStatus.CONFIRMED)
    assert signing.reject(signature, coordinator, "Again") == signing.Decision.ALREADY
    db.session.commit()
    assert public_counts().mayors == 0
    assert audit_entries("reject") == 1 and emails(signature.id, "rejected") == 1
    assert audit_entries("verify") == 0 and no_drift()


def test_a_stale_clear_flag_loses(site):
    coordinator = factories.user()
    signature = signed(flag_reasons=["honeypot"])
    assert signature.flagged and emails(signature.id, "confirm") == 0
    assert signing.clear_flag(signature, coordinator) == signing.Decision.DONE
    db.session.commit()
    stale(signature, SignatureStatus.PENDING, flagged=True)
    assert signing.clear_flag(signature, coordinator) == signing.Decision.ALREADY
    db.session.commit()
    assert audit_entries("clear_flag") == 1
    assert emails(signature.id, "confirm") == 1  # the link the bot check held back, once
    assert no_drift()


def test_a_second_withdrawal_loses_and_the_count_moves_once(site):
    signature = signed()
    confirm_directly(signature)
    assert public_counts().organisations == 1
    assert privacy.withdraw_signature(signature, ConsentMethod.OWN_PAGE)
    db.session.commit()
    stale(signature, SignatureStatus.CONFIRMED)
    assert not privacy.withdraw_signature(signature, ConsentMethod.OWN_PAGE)
    db.session.commit()
    assert public_counts().organisations == 0
    assert counts.counts_by_country() == [] and no_drift()


def test_a_withdrawal_that_read_before_a_verification_is_retried_and_wins(site, monkeypatch):
    """The row moved on (verified) between the read and the update, but may still be
    withdrawn: the transition reads again and takes the verified mayor out of the count."""
    coordinator = factories.user()
    signature = signed(SignatoryKind.MAYOR)
    confirm_directly(signature)
    real_seen = transitions._seen
    calls = []

    def seen_then_verified(signature_id):
        row = real_seen(signature_id)
        if not calls:
            calls.append(row)
            signing.verify(db.session.get(Signature, signature_id), coordinator)
        return row

    monkeypatch.setattr(transitions, "_seen", seen_then_verified)
    assert signing.withdraw(signature)
    db.session.commit()
    assert calls[0].status == SignatureStatus.CONFIRMED
    assert signature.status == SignatureStatus.WITHDRAWN
    assert public_counts().mayors == 0 and no_drift()


def test_erasing_an_unconfirmed_signature_loses_to_its_confirmation(site):
    signature = signed()
    confirm_directly(signature)
    stale(signature, SignatureStatus.PENDING)
    assert not privacy.erase_unconfirmed(signature)
    db.session.commit()
    assert db.session.get(Signature, signature.id) is not None
    assert public_counts().organisations == 1 and no_drift()


def test_the_database_refuses_a_second_standing_signature_for_the_same_signatory(site):
    signature = signed()

    def insert(status):
        db.session.execute(sa.insert(Signature).values(
            signatory_id=signature.signatory_id,
            manifesto_version_id=signature.manifesto_version_id, language="en",
            text_sha256=signature.text_sha256, status=status, privacy_notice_version="1",
            duplicate_key=signature.duplicate_key))

    insert(SignatureStatus.WITHDRAWN)  # (a key left on a closed signature blocks nothing)
    insert(SignatureStatus.REJECTED)
    db.session.commit()
    for status in counts.LIVE_STATUSES:
        with pytest.raises(sa.exc.IntegrityError):
            insert(status)
        db.session.rollback()


def test_a_duplicate_the_check_missed_is_answered_as_a_duplicate(site, monkeypatch):
    """Two identical signatures at once: both checks find nothing, one insert wins, the other
    fails on the unique index and is answered as the check would have answered it."""
    first = signed()
    real = signing.find_duplicate
    missed = []

    def misses_once(req):
        if not missed:
            missed.append(req)
            return None
        return real(req)

    monkeypatch.setattr(signing, "find_duplicate", misses_once)
    outcome, signature_id = signing.submit(request_for())
    db.session.commit()
    assert (outcome, signature_id) == (signing.SignOutcome.DUPLICATE, first.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signatory)) == 1
    assert emails(first.id, "confirm") == 2  # a new link, as for any repeat
    assert public_counts().organisations == 0 and no_drift()


def test_after_a_withdrawal_or_rejection_the_same_signatory_may_sign_again(site):
    coordinator = factories.user()
    signature = signed()
    assert signing.withdraw(signature)
    db.session.commit()
    again = signed()
    assert signing.reject(again, coordinator, "Spam") == signing.Decision.DONE
    db.session.commit()
    third = signed()
    assert len({signature.id, again.id, third.id}) == 3
    assert signature.duplicate_key is None and again.duplicate_key is None
    assert third.duplicate_key == signing.duplicate_key(
        SignatoryKind.ORGANISATION, "PT", signing.fold("Associação Cidade Aberta"),
        "ana@example.org")


def test_a_mayor_and_a_delegate_of_one_city_with_one_address_are_duplicates(site):
    first = signed(SignatoryKind.MAYOR)
    outcome, signature_id = signing.submit(request_for(
        SignatoryKind.DELEGATE, delegate_name="Rui", delegate_role="Vereador", mandate="Ok"))
    assert (outcome, signature_id) == (signing.SignOutcome.DUPLICATE, first.id)


def test_the_cap_on_emails_to_a_signer_holds_for_repeats(site):
    first = signed()
    for _ in range(signing.MAX_SIGNER_EMAILS + 3):
        assert signing.submit(request_for())[0] == signing.SignOutcome.DUPLICATE
        db.session.commit()
    assert emails(first.id, "confirm") == signing.MAX_SIGNER_EMAILS
    db.session.refresh(first)
    assert first.signer_emails_sent == signing.MAX_SIGNER_EMAILS

"""The domain runs without a request: signing, confirming, verifying and rejecting a signature,
inviting a user and sending a reset link work in a plain app context (the CLI, the outbox
worker, a script), and the e-mails they queue are written in their reader's language with
links on SITE_URL. And verification refuses, by itself, what only a confirmed, unflagged
signature may have; the coordinator's page says so as it always did.
"""

from __future__ import annotations

import re
import secrets

import pytest
import sqlalchemy as sa
from flask import has_app_context, has_request_context

from manifesto.access import accounts, audit
from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    OutboxMessage,
    Role,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from manifesto.signatures import signing, texts
from manifesto.signatures.counts import counter_drift, public_counts
from tests.support import factories

SITE = "https://manifesto.example.eu"


@pytest.fixture
def domain(make_app):
    app = make_app(SITE_URL=SITE)
    factories.manifesto()
    assert has_app_context() and not has_request_context()
    return app


def request_for(kind=SignatoryKind.ORGANISATION, language="pt", email="ana@example.org",
                **values) -> signing.SignRequest:
    fields = dict(
        kind=kind, country="PT", city="Évora", contact_name="Ana", contact_email=email,
        language=language, version=texts.signable_version(language), privacy_notice_version=1,
        submission_key=secrets.token_urlsafe(24), listed_publicly=True, themes=["energy"],
    )
    if kind == SignatoryKind.ORGANISATION:
        fields.update(organisation_name="Associação Cidade Aberta")
    else:
        fields.update(mayor_name="Carlos Pinto de Sá")
    fields.update(values)
    return signing.SignRequest(**fields)


def mail(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def links(message: OutboxMessage) -> list[str]:
    return re.findall(r"https?://\S+", message.body_text)


def signed(**values) -> Signature:
    outcome, signature_id = signing.submit(request_for(**values))
    assert outcome == signing.SignOutcome.CREATED
    db.session.commit()
    return db.session.get(Signature, signature_id)


def confirmed(signature: Signature) -> Signature:
    """Confirmed through the link its e-mail carries, as the signer would."""
    [message] = [m for m in mail("confirm") if m.signature_id == signature.id]
    [confirm_link] = [link for link in links(message) if "/confirm/" in link]
    result, _ = signing.confirm(confirm_link.rsplit("/", 1)[1])
    assert result == signing.ConfirmResult.CONFIRMED
    db.session.commit()
    return signature


def test_signing_and_confirming_need_no_request(domain):
    signature = confirmed(signed())
    [message] = mail("confirm")
    assert message.language == "pt" and "Associação Cidade Aberta" in message.body_text
    assert "Olá, Ana" in message.body_text and "(Évora, Portugal)" in message.body_text
    assert [link.split("/")[3:5] for link in links(message)] == [
        ["pt", "confirm"], ["pt", "signature"]]
    assert all(link.startswith(f"{SITE}/pt/") for link in links(message))
    assert signature.status == SignatureStatus.CONFIRMED
    assert public_counts().organisations == 1 and counter_drift() == []


def test_verifying_and_rejecting_need_no_request(domain):
    coordinator = factories.user(role=Role.COORDINATOR)
    mayor = confirmed(signed(kind=SignatoryKind.MAYOR))
    other = confirmed(signed(kind=SignatoryKind.MAYOR, city="Beja", email="rui@example.org",
                             language="fr"))

    assert signing.verify(mayor, coordinator) == signing.Decision.DONE
    assert signing.reject(other, coordinator, "Le mandat n'est pas signé.") == \
        signing.Decision.DONE
    db.session.commit()

    [verified] = mail("verified")
    assert verified.language == "pt" and verified.to_address == "ana@example.org"
    assert [link.startswith(f"{SITE}/pt/signature/") for link in links(verified)] == [True]
    [rejected] = mail("rejected")
    assert rejected.language == "fr" and "Le mandat n'est pas signé." in rejected.body_text
    assert "Beja" in rejected.body_text
    assert public_counts().mayors == 1 and counter_drift() == []


def test_inviting_and_resetting_need_no_request(domain):
    coordinator = factories.user(role=Role.COORDINATOR, name="Clara")
    accounts.invite(name="Jeanne", email="jeanne@example.org", role=Role.COORDINATOR,
                    city=None, locale="fr", invited_by=coordinator)
    db.session.commit()
    accounts.request_reset("jeanne@example.org", client="a keyed hash")
    db.session.commit()

    [invitation] = mail("invite")
    [reset] = mail("reset")
    for message in (invitation, reset):
        assert message.language == "fr" and message.to_address == "jeanne@example.org"
        assert "Bonjour Jeanne" in message.body_text
        [link] = links(message)
        assert link.startswith(f"{SITE}/fr/account/set-password/")
    assert "Clara" in invitation.body_text


# --- only a confirmed, unflagged signature can be verified ---------------------------------------


def verify_entries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == audit.VERIFY))


@pytest.mark.parametrize("status, flagged", [
    (SignatureStatus.PENDING, False),
    (SignatureStatus.CONFIRMED, True),
    (SignatureStatus.REJECTED, False),
    (SignatureStatus.WITHDRAWN, False),
])
def test_verify_refuses_what_is_not_confirmed_and_unflagged(domain, status, flagged):
    coordinator = factories.user(role=Role.COORDINATOR)
    signature = factories.signature(kind=SignatoryKind.MAYOR, status=status)
    signature.flagged = flagged
    db.session.commit()

    assert signing.verify(signature, coordinator) == signing.Decision.NOT_NOW
    db.session.commit()
    db.session.expire_all()
    assert (signature.status, signature.flagged) == (status, flagged)
    assert signature.verified_at is None and signature.verified_by_id is None
    assert verify_entries() == 0 and mail("verified") == []
    assert public_counts().mayors == 0


def test_verify_of_a_verified_signature_is_already_done(domain):
    coordinator = factories.user(role=Role.COORDINATOR)
    signature = factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.CONFIRMED)
    assert signing.verify(signature, coordinator) == signing.Decision.DONE
    db.session.commit()
    assert signing.verify(signature, coordinator) == signing.Decision.ALREADY
    db.session.commit()
    assert verify_entries() == 1 and len(mail("verified")) == 1


def test_the_coordinator_is_told_a_refused_verification_cannot_be_done_now(app, client, auth):
    factories.manifesto()
    auth.login_as(Role.COORDINATOR)
    signature = factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.CONFIRMED)
    signature.flagged = True
    db.session.commit()

    response = client.post(f"/en/coordinate/signatures/{signature.id}/verify",
                           follow_redirects=True)
    assert response.status_code == 200
    assert ("This signature cannot be verified now: it is not confirmed, or it is flagged."
            in response.get_data(as_text=True))
    db.session.expire_all()
    assert signature.status == SignatureStatus.CONFIRMED and verify_entries() == 0


def test_a_rejection_without_a_reason_shows_the_queue_with_the_error(app, client, auth):
    factories.manifesto()
    auth.login_as(Role.COORDINATOR)
    signature = factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.CONFIRMED)

    response = client.post(f"/en/coordinate/signatures/{signature.id}/reject",
                           data={f"s{signature.id}-reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="sig-{signature.id}"' in page  # the queue, with the signature still in it
    assert "Give the reason for the rejection." in page
    db.session.expire_all()
    assert signature.status == SignatureStatus.CONFIRMED

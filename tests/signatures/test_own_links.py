"""The signatory's own links without HTTP: the last e-mail on withdrawal, and the trace that
lets an old link say when its signature was withdrawn."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import ConsentMethod, OutboxMessage, SignatureStatus, TokenPurpose
from manifesto.personal_data import privacy
from manifesto.signatures import signing
from tests.support import factories


@pytest.fixture
def site(app):
    factories.manifesto()
    return app  # no request: the e-mails' links come from SITE_URL


def emails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def test_withdrawing_from_the_own_page_sends_a_last_email_in_the_signatures_language(site):
    signature = factories.signature(language="de")
    address = signature.signatory.contact_email
    assert privacy.withdraw_signature(signature, ConsentMethod.OWN_PAGE)
    db.session.commit()
    [goodbye] = emails("withdrawn")
    assert goodbye.to_address == address and goodbye.language == "de"
    assert "zurückgezogen" in goodbye.subject and "Guten Tag" in goodbye.body_text
    assert signature.withdrawn_at.strftime("%Y") in goodbye.body_text
    assert "http://localhost/de/sign" in goodbye.body_text
    # The address is erased from the signature all the same.
    assert signature.signatory.contact_email is None and signature.signatory.email_canonical is None


def test_a_coordinator_erasing_an_address_sends_no_email(site):
    signature = factories.signature()
    assert privacy.withdraw_signature(signature, ConsentMethod.COORDINATOR)
    db.session.commit()
    assert emails("withdrawn") == []


def test_an_own_link_says_when_its_signature_was_withdrawn_until_the_purge(site):
    signature = factories.signature()
    raw = signing.new_token(signature.id, TokenPurpose.MANAGE)
    other = factories.signature()
    other_raw = signing.new_token(other.id, TokenPurpose.MANAGE)
    db.session.commit()
    assert signing.withdrawn_on(raw) is None  # standing
    assert signing.withdraw(signature)
    db.session.commit()
    assert signing.manage_link_signature(raw) is None
    assert signing.withdrawn_on(raw) == signature.withdrawn_at
    assert signing.withdrawn_on(other_raw) is None
    assert signing.withdrawn_on("no-such-link") is None
    # The retention purge anonymises the signature: the link is forgotten with the rest.
    assert signature.status == SignatureStatus.WITHDRAWN and privacy.anonymise(signature)
    db.session.commit()
    assert signing.withdrawn_on(raw) is None

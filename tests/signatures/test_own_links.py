"""The signatory's own links without HTTP: the last e-mail on withdrawal, and the trace that
lets an old link say when its signature was withdrawn."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import (
    ConsentMethod,
    OutboxMessage,
    SignatoryKind,
    SignatureStatus,
    TokenPurpose,
)
from manifesto.personal_data import privacy
from manifesto.signatures import signing
from tests.support import factories

CLIENT = "a-client-hash"


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


# --- "Lost your link?" ------------------------------------------------------------------------


def test_lost_links_are_one_email_in_the_asked_language_with_a_working_link_per_signature(site):
    first = factories.signature()
    second = factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.VERIFIED)
    second.signatory.contact_email = "CONTACT.again@example.org"
    second.signatory.email_canonical = first.signatory.email_canonical
    gone = factories.signature()
    gone.signatory.email_canonical = first.signatory.email_canonical
    db.session.commit()
    assert privacy.withdraw_signature(gone, ConsentMethod.OWN_PAGE)
    db.session.commit()

    assert signing.send_own_links(first.signatory.contact_email.upper(), "pt", CLIENT) == 2
    db.session.commit()
    [mail] = emails("own_links")
    assert mail.to_address == first.signatory.contact_email and mail.language == "pt"
    assert "2 assinaturas" in mail.subject and "Encontrámos 2 assinaturas" in mail.body_text
    raws = re.findall(r"http://localhost/pt/signature/([\w-]+)", mail.body_text)
    assert [signing.manage_link_signature(raw) for raw in raws] == [first, second]
    assert "Confirmada e verificada" in mail.body_text  # each signature's status


def test_an_address_that_never_signed_gets_nothing(site):
    factories.signature()
    assert signing.send_own_links("nobody@example.org", "en", CLIENT) == 0
    assert emails("own_links") == []


def test_lost_links_stop_at_the_limit_per_address_and_per_client(site):
    site.config.update(LOST_LINK_RATE_LIMIT_PER_ADDRESS="2 per hour",
                       LOST_LINK_RATE_LIMIT_PER_IP="4 per hour")
    address = factories.signature().signatory.contact_email
    other = factories.signature().signatory.contact_email
    def ask(address, client=CLIENT):
        sent = signing.send_own_links(address, "en", client)
        db.session.commit()
        return sent

    assert [ask(address) for _ in range(3)] == [1, 1, 0]
    assert ask(other) == 1  # the client's fourth request
    assert ask(other) == 0  # its fifth: over
    assert ask(other, "another-client") == 1
    assert len(emails("own_links")) == 4


def test_a_flagged_signature_gets_no_link_until_a_coordinator_clears_it(site):
    """As every e-mail to a flagged signature's address: a bot that signed with someone's
    address cannot make the form write to them."""
    signature = factories.signature(status=SignatureStatus.PENDING)
    signature.flagged = True
    db.session.commit()
    assert signing.send_own_links(signature.signatory.contact_email, "en", CLIENT) == 0
    assert emails("own_links") == []
    signature.flagged = False
    db.session.commit()
    assert signing.send_own_links(signature.signatory.contact_email, "en", CLIENT) == 1
    [mail] = emails("own_links")
    assert "Waiting for e-mail confirmation" in mail.body_text

"""Confirming (signing.confirm, with no request): the signature counts, and the signatory gets
a fresh link to their own page."""

from __future__ import annotations

from manifesto.extensions import db
from manifesto.models import SignatureStatus, TokenPurpose
from manifesto.signatures import signing
from tests.support import factories


def pending_signature_and_link():
    signature = factories.signature(status=SignatureStatus.PENDING)
    link = signing.new_token(signature.id, TokenPurpose.CONFIRM)
    db.session.commit()
    return signature, link


def test_confirming_gives_a_fresh_link_to_the_signatorys_own_page(app):
    signature, link = pending_signature_and_link()
    result, own_page = signing.confirm(link)
    db.session.commit()
    assert result == signing.ConfirmResult.CONFIRMED
    assert signature.status == SignatureStatus.CONFIRMED
    assert signing.manage_link_signature(own_page) == signature


def test_a_second_click_confirms_nothing_and_gives_no_link(app):
    _signature, link = pending_signature_and_link()
    signing.confirm(link)
    db.session.commit()
    assert signing.confirm(link) == (signing.ConfirmResult.ALREADY, None)
    assert signing.confirm("no-such-link") == (signing.ConfirmResult.INVALID, None)

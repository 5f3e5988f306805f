"""The signatory's own page: leaving (the last e-mail, the old link's 410), recovering lost
links, and what a flagged signature's page says."""

from __future__ import annotations

import pytest

from manifesto.extensions import db
from manifesto.models import SignatureStatus
from tests.support import factories
from tests.support.signing import ORGANISATION, form_fields, link, outbox, sign, signatures


@pytest.fixture
def site(app):
    factories.manifesto()
    return app


@pytest.fixture
def client(site):
    return site.test_client()


def confirmed_own_link(client, lang="en", **fields) -> str:
    """Sign in ``lang``, confirm, and return the path of the own page the confirmation opens."""
    sign(client, lang, **{**ORGANISATION, **fields})
    response = client.post(link(outbox("confirm")[-1], "confirm"))
    assert response.status_code == 303
    return response.headers["Location"]


def test_withdrawing_sends_a_last_email_in_the_signatorys_language(client):
    own = confirmed_own_link(client, "it")
    assert client.post(own + "/withdraw", data={"understood": "y"}).status_code == 303
    [goodbye] = outbox("withdrawn")
    assert goodbye.language == "it" and goodbye.to_address == ORGANISATION["contact_email"]
    assert "ritirata" in goodbye.subject
    assert "Marie Dupont" in goodbye.body_text and "http://localhost/it/sign" in goodbye.body_text


def test_the_old_own_link_answers_410_gone_with_the_date_and_how_to_sign_again(client):
    own = confirmed_own_link(client, "fr")
    client.post(own + "/withdraw", data={"understood": "y"})
    db.session.expire_all()
    [signature] = signatures()
    page = client.get(own)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    day = signature.withdrawn_at
    assert f"{day.day} " in text and str(day.year) in text  # « retirée le 3 mars 2027 »
    assert 'href="/fr/sign"' in text
    # Nothing of who signed.
    for value in ("Université de Lyon", "Lyon", "Marie Dupont", ORGANISATION["contact_email"],
                  signature.text_sha256):
        assert value not in text
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get(own + "/data.json").status_code == 410
    # A link that never existed is still a plain 404.
    assert client.get("/fr/signature/no-such-link").status_code == 404


# --- "Lost your link?" ------------------------------------------------------------------------


def ask_for_links(client, address: str, lang: str = "en"):
    page = client.get(f"/{lang}/signature/lost").get_data(as_text=True)
    token = form_fields(page)["csrf_token"]
    return client.post(f"/{lang}/signature/lost",
                       data={"csrf_token": token, "lost_email": address}, follow_redirects=True)


@pytest.fixture
def csrf_client(site):
    site.config["WTF_CSRF_ENABLED"] = True
    return site.test_client()


def test_lost_link_is_offered_on_the_sign_receipt_and_signatories_pages(client):
    for path in ("/en/sign", "/en/signatories"):
        assert 'href="/en/signature/lost"' in client.get(path).get_data(as_text=True)
    sign(client, **ORGANISATION)
    receipt = client.get("/en/sign/sent").get_data(as_text=True)
    assert 'action="/en/signature/lost"' in receipt and 'name="lost_email"' in receipt


def test_the_answer_is_the_same_page_for_a_known_and_an_unknown_address(csrf_client):
    sign(csrf_client, **ORGANISATION)
    known = ask_for_links(csrf_client, ORGANISATION["contact_email"])
    unknown = ask_for_links(csrf_client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.request.path == unknown.request.path == "/en/signature/lost/sent"
    assert known.get_data() == unknown.get_data()
    assert len(outbox("own_links")) == 1


def test_the_email_is_translated_and_its_link_opens_the_own_page(csrf_client):
    sign(csrf_client, "es", **ORGANISATION)
    ask_for_links(csrf_client, ORGANISATION["contact_email"].upper(), "es")
    [mail] = outbox("own_links")
    assert mail.language == "es" and "1 firma" in mail.subject
    own = csrf_client.get(link(mail, "signature"))
    assert own.status_code == 200 and "Université de Lyon" in own.get_data(as_text=True)
    # The link of the first e-mail still works too.
    assert csrf_client.get(link(outbox("confirm")[0], "signature")).status_code == 200


def test_the_form_needs_its_csrf_token_and_a_real_address(csrf_client):
    sign(csrf_client, **ORGANISATION)
    refused = csrf_client.post("/en/signature/lost",
                               data={"lost_email": ORGANISATION["contact_email"]})
    assert refused.status_code == 400
    bad = ask_for_links(csrf_client, "not-an-address")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'value="not-an-address"' in text and 'aria-invalid="true"' in text
    assert outbox("own_links") == []


def test_over_the_limit_the_same_answer_and_no_email(site, csrf_client):
    site.config["LOST_LINK_RATE_LIMIT_PER_ADDRESS"] = "1 per hour"
    sign(csrf_client, **ORGANISATION)
    first = ask_for_links(csrf_client, ORGANISATION["contact_email"])
    second = ask_for_links(csrf_client, ORGANISATION["contact_email"])
    assert first.get_data() == second.get_data()
    assert len(outbox("own_links")) == 1


# --- A flagged signature ----------------------------------------------------------------------


def test_a_flagged_signatures_page_says_received_under_review_never_confirmed(client):
    sign(client, **ORGANISATION)
    [signature] = signatures()
    signature.flagged = True
    signature.status = SignatureStatus.CONFIRMED  # even should it have been confirmed
    signature.confirmed_at = signature.created_at
    db.session.commit()
    own = client.get(link(outbox("confirm")[0], "signature"))
    text = own.get_data(as_text=True)
    assert "Received, under review" in text
    assert "Confirmed" not in text and "confirmed" not in text.split("<main", 1)[1]

"""The signatory's own page: leaving (the last e-mail, the old link's 410), recovering lost
links, and what a flagged signature's page says."""

from __future__ import annotations

import pytest

from manifesto.extensions import db
from tests.support import factories
from tests.support.signing import ORGANISATION, link, outbox, sign, signatures


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

"""The signing flow end to end through the test client: sign, e-mail, confirm, count, list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import (
    SignatoryKind,
    SignatureStatus,
    SignatureToken,
    TokenPurpose,
    utcnow,
)
from manifesto.signatures.counts import counter_drift, history_drift, public_counts
from tests.support import factories
from tests.support.auth import AuthActions
from tests.support.signing import (
    DELEGATE,
    MAYOR,
    ORGANISATION,
    form_fields,
    link,
    outbox,
    sign,
    signatures,
    started_stamp,
)


@pytest.fixture
def site(app):
    factories.manifesto()
    return app


@pytest.fixture
def client(site):
    return site.test_client()


def confirm(client, message):
    url = link(message, "confirm")
    return client.post(url)


def test_sign_form_offers_three_kinds_and_localized_countries(client):
    page = client.get("/de/sign").get_data(as_text=True)
    assert "Manifest" in page
    for kind in ("organisation", "mayor", "delegate"):
        assert f'value="{kind}"' in page
    assert '<option value="DE">Deutschland</option>' in page
    assert page.count("<option value=") > 249  # every ISO 3166 country, plus types
    fields = form_fields(page)
    assert fields["submission_key"] and fields["started"] and fields["version_number"] == "1"


def test_organisation_signs_confirms_and_is_counted_and_listed(client):
    response = sign(client, "fr", **ORGANISATION)
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/sign/sent"
    sent = client.get("/fr/sign/sent").get_data(as_text=True)
    assert ORGANISATION["contact_email"] in sent

    [signature] = signatures()
    assert signature.status == SignatureStatus.PENDING
    assert signature.language == "fr"
    assert signature.manifesto_version.number == 1
    assert signature.text_sha256 == signature.manifesto_version.sha256
    assert signature.privacy_notice_version == "1"
    assert sorted(signature.signatory.themes) == ["data_privacy", "mobility"]
    assert public_counts().organisations == 0

    [message] = outbox()
    assert message.to_address == ORGANISATION["contact_email"]
    assert message.language == "fr"
    # A GET (a mail scanner following the link) shows a button and confirms nothing.
    page = client.get(link(message, "confirm"))
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert signatures()[0].status == SignatureStatus.PENDING

    response = confirm(client, message)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/fr/signature/")
    db.session.expire_all()
    assert signatures()[0].status == SignatureStatus.CONFIRMED
    assert public_counts().organisations == 1
    listed = client.get("/en/signatories").get_data(as_text=True)
    assert "Université de Lyon" in listed
    assert ORGANISATION["contact_email"] not in listed
    assert "Marie Dupont" not in listed
    assert counter_drift() == [] and history_drift() == []


def test_confirmation_link_works_once(client):
    sign(client, **ORGANISATION)
    [message] = outbox()
    assert confirm(client, message).status_code == 303
    again = confirm(client, message)
    assert again.status_code == 200
    assert "Already confirmed" in again.get_data(as_text=True)


def test_expired_and_tampered_links_give_a_friendly_page(client):
    sign(client, **ORGANISATION)
    [message] = outbox()
    url = link(message, "confirm")
    token = db.session.scalar(sa.select(SignatureToken).where(
        SignatureToken.purpose == TokenPurpose.CONFIRM))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.post(url)
    assert expired.status_code == 404
    assert "This link has expired" in expired.get_data(as_text=True)
    assert signatures()[0].status == SignatureStatus.PENDING

    tampered = client.get(url[:-3] + "xyz")
    assert tampered.status_code == 404
    text = tampered.get_data(as_text=True)
    assert "This link does not work" in text and "Send me a new link" in text
    assert tampered.headers["Referrer-Policy"] == "no-referrer"


def test_tokens_are_stored_hashed(client):
    sign(client, **ORGANISATION)
    [message] = outbox()
    raw = link(message, "confirm").rsplit("/", 1)[1]
    stored = db.session.scalars(sa.select(SignatureToken.token_hash)).all()
    assert raw not in stored and all(len(h) == 64 for h in stored)


def test_mayor_counts_only_after_a_coordinator_verifies(client, auth):
    sign(client, "pt", **MAYOR)
    confirm(client, outbox()[0])
    assert public_counts().mayors == 0
    assert "Lisboa" not in client.get("/en/signatories").get_data(as_text=True)

    auth.login_as()
    queue = client.get("/pt/coordinate/review").get_data(as_text=True)
    assert "Carlos Moedas" in queue
    signature = signatures()[0]
    response = client.post(f"/pt/coordinate/signatures/{signature.id}/verify")
    assert response.status_code == 303
    db.session.expire_all()
    assert signatures()[0].status == SignatureStatus.VERIFIED
    assert public_counts().mayors == 1
    assert "Lisboa" in client.get("/en/signatories").get_data(as_text=True)
    [verified] = outbox("verified")
    assert verified.language == "pt"
    assert counter_drift() == [] and history_drift() == []


def test_delegate_needs_name_role_and_mandate(client):
    response = sign(client, "de", **{**DELEGATE, "delegate_role": "", "mandate": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Laura Dornheim" in page  # what was typed is kept
    assert 'id="delegate_role-error"' in page and 'id="mandate-error"' in page
    assert signatures() == []
    assert sign(client, "de", **DELEGATE).status_code == 303
    assert signatures()[0].signatory.mandate.startswith("Vollmacht")


def test_coordinator_rejects_with_a_reason_sent_in_the_signers_language(client, auth):
    sign(client, "it", **{**MAYOR, "city": "Torino", "country": "IT"})
    confirm(client, outbox()[0])
    auth.login_as()
    signature = signatures()[0]
    empty = client.post(f"/it/coordinate/signatures/{signature.id}/reject",
                        data={f"s{signature.id}-reason": ""})
    assert empty.status_code == 400
    response = client.post(f"/it/coordinate/signatures/{signature.id}/reject",
                           data={f"s{signature.id}-reason": "Il mandato non è allegato."})
    assert response.status_code == 303
    [rejected] = outbox("rejected")
    assert rejected.language == "it"
    assert "Il mandato non è allegato." in rejected.body_text
    assert signatures()[0].status == SignatureStatus.REJECTED


@pytest.mark.parametrize("variant", ["MARIE.DUPONT@univ-lyon.example",
                                     "marie.dupont+manifesto@univ-lyon.example"])
def test_signing_twice_makes_one_signature_and_the_email_says_so(client, variant):
    first = sign(client, **ORGANISATION)
    confirm(client, outbox()[0])
    second = sign(client, **{**ORGANISATION, "contact_email": variant,
                             "organisation_name": "  université DE lyon "})
    assert second.status_code == first.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert len(signatures()) == 1
    [notice] = outbox("already_signed")
    assert "already signed" in notice.body_text
    assert "/en/signature/" in notice.body_text


def test_duplicate_while_pending_sends_a_new_confirmation_link(client):
    sign(client, **ORGANISATION)
    sign(client, **ORGANISATION)
    assert len(signatures()) == 1
    assert len(outbox("confirm")) == 2


def test_a_retried_post_creates_one_signature(client):
    page = client.get("/en/sign").get_data(as_text=True)
    data = {**form_fields(page), **ORGANISATION}
    data["started"] = started_stamp(60)
    assert client.post("/en/sign", data=data).status_code == 303
    assert client.post("/en/sign", data=data).status_code == 303
    assert len(signatures()) == 1
    assert len(outbox()) == 1


def test_no_more_than_five_emails_per_signature(client):
    sign(client, **ORGANISATION)
    for _ in range(7):
        response = client.post("/en/sign/resend", data={"email": ORGANISATION["contact_email"]})
        assert response.status_code == 303
    assert len(outbox()) == 5
    assert signatures()[0].signer_emails_sent == 5


def test_resend_says_the_same_for_an_unknown_address(client):
    known = client.post("/en/sign/resend", data={"email": "nobody@example.org"},
                        follow_redirects=True).get_data(as_text=True)
    assert "If a signature with this address is waiting for confirmation" in known
    assert outbox() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("organisation_name", "x" * 201, "Use at most 200 characters."),
        ("organisation_name", "ACME\u202eevil", "Remove the invisible or control characters"),
        ("city", "Lyon\x00", "Remove the invisible or control characters"),
        ("contact_email", "marie@", "Enter an e-mail address such as name@example.org."),
        ("country", "XX", "Choose the country from the list."),
        ("country", "", "Choose the country."),
        ("website", "not a web address", "Enter a web address such as https://example.org."),
        ("consent_privacy", "", "You need to agree to the privacy notice to sign."),
        ("kind", "emperor", "Not a valid choice"),
    ],
)
def test_bad_input_is_explained_and_the_form_keeps_what_was_typed(client, field, value, message):
    data = {**ORGANISATION, field: value}
    if not value:
        data.pop(field)
    response = sign(client, **data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Marie Dupont"' in page
    assert signatures() == []


def test_messages_are_in_the_page_language(client):
    page = sign(client, "fr", **{**ORGANISATION, "contact_email": "x"}).get_data(as_text=True)
    assert "There is a problem" not in page


def test_html_is_stored_as_text_and_shown_escaped(client):
    sign(client, **{**ORGANISATION, "organisation_name": "<script>alert(1)</script> Lab"})
    confirm(client, outbox()[0])
    page = client.get("/en/signatories").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lab" in page


def test_honeypot_is_flagged_silently(client, auth):
    response = sign(client, **{**ORGANISATION, "homepage": "http://spam.example"})
    assert response.status_code == 303  # the bot sees the usual page
    [signature] = signatures()
    assert signature.flagged and "honeypot" in signature.flag_reasons
    assert outbox() == []  # nothing sent to an address a bot typed
    auth.login_as()
    assert "Filled in the field hidden from people" in client.get(
        "/en/coordinate/review").get_data(as_text=True)
    client.post(f"/en/coordinate/signatures/{signature.id}/clear-flag")
    assert len(outbox("confirm")) == 1
    assert counter_drift() == [] and history_drift() == []


def test_a_flagged_signature_is_taken_in_and_held_unsent_until_cleared(make_app):
    app = make_app(SIGN_RATE_LIMIT_PER_IP="2 per hour")
    factories.manifesto()
    client = app.test_client()
    response = sign(client, seconds_ago=1, **ORGANISATION)
    assert response.headers["Location"] == "/en/sign/sent"
    page = client.get("/en/sign/sent").get_data(as_text=True)
    # Told it is received and under review; not which signal fired, nor "check your e-mail".
    assert "your signature has been received and is under review" in page
    assert "Check your e-mail" not in page and "fast" not in page
    assert "Send me a new link" not in page
    for n in range(3):
        sign(client, **{**ORGANISATION, "contact_email": f"person{n}@lab{n}.example",
                        "organisation_name": f"Lab {n}"})
    flags = [s.flag_reasons for s in signatures()]
    assert flags == ["too_fast", None, "ip_rate", "ip_rate"]
    assert [m.to_address for m in outbox("confirm")] == ["person0@lab0.example"]
    # Asking for a new link, or signing again, sends nothing to a held signature either.
    for email in (ORGANISATION["contact_email"], "person1@lab1.example"):
        client.post("/en/sign/resend", data={"email": email})
    sign(client, **ORGANISATION)
    assert len(outbox()) == 1
    # The coordinator clears two flags: the e-mail held back goes then, once each.
    AuthActions(client).login_as()
    held = [s for s in signatures() if s.flagged]
    for signature in held[:2]:
        client.post(f"/en/coordinate/signatures/{signature.id}/clear-flag")
        client.post(f"/en/coordinate/signatures/{signature.id}/clear-flag")  # a second click
    assert len(outbox("confirm")) == 3
    for message in outbox("confirm"):
        confirm(client, message)
    assert public_counts().organisations == 3  # the third flagged one does not count
    assert counter_drift() == [] and history_drift() == []


def test_the_signers_page_says_under_review_not_confirmed_while_flagged(client):
    sign(client, **ORGANISATION)
    message = outbox("confirm")[0]
    confirm(client, message)
    [signature] = signatures()
    signature.flagged, signature.flag_reasons = True, "ip_rate"  # flagged before this change
    db.session.commit()
    page = client.get(link(message, "signature")).get_data(as_text=True)
    assert "Received, under review" in page
    assert "Confirmed" not in page


def test_signatory_page_shows_the_receipt_and_downloads_the_data(client):
    sign(client, "es", **{**ORGANISATION, "country": "ES", "city": "Valencia"})
    manage = link(outbox()[0], "signature")
    page = client.get(manage)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert signatures()[0].text_sha256 in text
    assert page.headers["Cache-Control"] == "no-store"
    data = client.get(manage + "/data.json")
    assert data.headers["Content-Disposition"].startswith("attachment")
    exported = json.loads(data.get_data(as_text=True))
    assert exported["signatory"]["contact_email"] == ORGANISATION["contact_email"]
    assert exported["signature"]["language"] == "es"
    assert exported["emails"][0]["kind"] == "confirm"


def test_withdrawal_removes_from_lists_and_counts_and_erases_personal_data(client):
    sign(client, **ORGANISATION)
    response = confirm(client, outbox()[0])
    manage = response.headers["Location"]
    assert public_counts().organisations == 1
    refused = client.post(manage + "/withdraw", data={})
    assert refused.status_code == 400
    assert "Tick the box" in refused.get_data(as_text=True)
    done = client.post(manage + "/withdraw", data={"understood": "y"})
    assert done.status_code == 303
    db.session.expire_all()
    [signature] = signatures()
    assert signature.status == SignatureStatus.WITHDRAWN
    who = signature.signatory
    assert (who.contact_name, who.contact_email, who.email_canonical) == (None, None, None)
    assert signature.text_sha256 and signature.manifesto_version_id  # the audit keeps these
    assert public_counts().organisations == 0
    assert "Université de Lyon" not in client.get("/en/signatories").get_data(as_text=True)
    assert client.get(manage).status_code == 410  # tests/web/sign/test_own_page.py
    # What was sent before is erased; only the last e-mail, saying it is done, is to go.
    assert all(m.to_address is None and m.body_text is None
               for m in outbox() if m.kind != "withdrawn")
    assert counter_drift() == [] and history_drift() == []
    # Signing again afterwards is a new signature, not a duplicate.
    assert sign(client, **ORGANISATION).status_code == 303
    assert len(signatures()) == 2


def test_publishing_a_new_version_keeps_the_old_one_and_binds_new_signatures(client, auth):
    auth.login_as()
    page = client.get("/en/coordinate/manifesto").get_data(as_text=True)
    assert "Text in Deutsch" in page or "Deutsch" in page
    from manifesto.signatures import texts
    data = {f"text_{lang}": texts.current_version(lang).body + "\nAddendum.\n"
            for lang in ("en", "fr", "de", "it", "pt", "ru", "es")}
    refused = client.post("/en/coordinate/manifesto", data=data)
    assert refused.status_code == 400  # the box is not ticked
    response = client.post("/en/coordinate/manifesto", data={**data, "confirm": "y"})
    assert response.status_code == 303
    assert "Version 2" in client.get("/en/manifesto").get_data(as_text=True)
    assert client.get("/en/manifesto/v1").status_code == 200
    sign(client, **ORGANISATION)
    assert signatures()[0].manifesto_version.number == 2


def test_signatories_filters_search_and_pagination(client, site):
    from manifesto.signatures.counts import rebuild_signature_counts
    for n in range(3):
        s = factories.signature(country="FR", language="fr")
        s.signatory.listed_publicly = True
        s.signatory.name_folded = s.signatory.organisation_name.casefold()
        s.public_since = utcnow()
    mayor = factories.signature(kind=SignatoryKind.MAYOR, status=SignatureStatus.VERIFIED,
                                country="IT", language="it")
    mayor.signatory.listed_publicly = True
    mayor.public_since = utcnow()
    rebuild_signature_counts()
    db.session.commit()
    everyone = client.get("/en/signatories").get_data(as_text=True)
    assert everyone.count("<tr>") == 1 + 4 + 1 + 2  # list header + rows + counts header + rows
    italy = client.get("/en/signatories?country=IT").get_data(as_text=True)
    assert "Mayor of" in italy and "Organisation " not in italy.split("Counts by country")[0]
    mayors = client.get("/en/signatories?kind=mayor").get_data(as_text=True)
    assert "Mayor of" in mayors
    french = client.get("/en/signatories?language=fr").get_data(as_text=True)
    assert "Mayor of" not in french.split("Counts by country")[0]
    name = signatures()[0].signatory.organisation_name
    found = client.get(f"/en/signatories?q={name.upper()}").get_data(as_text=True)
    assert name in found
    nothing = client.get("/en/signatories?q=zzzz").get_data(as_text=True)
    assert "No listed signatory matches your choice." in nothing
    assert client.get("/en/signatories?country=<b>&page=-1").status_code == 200
    # Control characters are dropped from the search (PostgreSQL refuses NUL in text).
    found = client.get(f"/en/signatories?q=%00{name.upper()}%07").get_data(as_text=True)
    assert name in found


def test_the_blank_form_is_reused_but_every_visitor_gets_fresh_hidden_values(make_app):
    """The form page is rendered once per language and version; the CSRF token, the start
    stamp and the submission key are still each visitor's own, and a new version shows."""
    from manifesto.signatures import texts

    app = make_app(WTF_CSRF_ENABLED=True)
    factories.manifesto()
    first, second = app.test_client(), app.test_client()
    pages = [c.get("/fr/sign?kind=mayor").get_data(as_text=True) for c in (first, second, first)]
    fields = [form_fields(page) for page in pages]
    assert "placeholder" not in pages[0] + pages[1]
    assert fields[0]["csrf_token"] != fields[1]["csrf_token"]
    assert len({f["submission_key"] for f in fields}) == 3
    assert '<input checked id="kind-1" name="kind" required type="radio" value="mayor">' in pages[1]
    assert "Signer le Manifeste" in pages[1] and "Portugal" in pages[1]

    data = {**fields[1], **MAYOR}
    data.pop("started")
    assert second.post("/fr/sign", data=data).status_code == 303
    assert first.post("/fr/sign", data={**fields[0], **MAYOR,
                                        "city": "Porto"}).status_code == 303
    assert len(signatures()) == 2

    texts.publish_version({lang: texts.current_version(lang).body + "\nAddendum.\n"
                           for lang in app.config["LANGUAGES"]})
    db.session.commit()
    page = first.get("/fr/sign?kind=mayor").get_data(as_text=True)
    assert form_fields(page)["version_number"] == "2"

"""Abuse limits through a real server (gunicorn, several workers and threads, production
settings), on SQLite and PostgreSQL: the cap on signing e-mails to one address under a burst,
a flagged signature held unsent until a coordinator clears it, and the login and reset
throttles counting each attempt before it is checked. Each simulated client says who it is
with X-Forwarded-For (the server trusts one proxy)."""

from __future__ import annotations

import html
import re
import secrets

import sqlalchemy as sa

from manifesto.access.passwords import hash_password
from manifesto.core.emails import canonical_email
from manifesto.extensions import db
from manifesto.models import OutboxMessage, Signatory, Signature, User
from tests.server.conftest import DEMO_PASSWORD, csrf_token

HIDDEN = re.compile(r'<input id="(\w+)" name="(\w+)" type="hidden" value="([^"]*)"')
ORGANISATION = {
    "kind": "organisation",
    "organisation_type": "ngo",
    "city": "Porto",
    "country": "PT",
    "contact_name": "Claim your prize at http://phish.example",
    "consent_privacy": "y",
}


def client_address() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def sign_form(server, address: str):
    """A client from ``address`` that has the sign form open; returns (client, its fields)."""
    client = server.client(headers={"X-Forwarded-For": address})
    page = client.get("/en/sign")
    assert page.status_code == 200
    fields = {name: html.unescape(value) for _id, name, value in HIDDEN.findall(page.text)}
    fields["csrf_token"] = csrf_token(page.text)
    return client, fields


def signatures_of(server, email: str) -> list[Signature]:
    with server.app.app_context():
        rows = db.session.scalars(
            sa.select(Signature).join(Signature.signatory)
            .where(Signatory.email_canonical == canonical_email(email)).order_by(Signature.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def emails_about(server, signature_ids: list[int]) -> list[OutboxMessage]:
    with server.app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.signature_id.in_(signature_ids))
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_a_burst_of_signatures_to_one_address_sends_it_no_more_than_five_emails(server, burst):
    mailbox = f"prize{secrets.token_hex(4)}"
    # One webmail mailbox, written 14 ways, each for a new organisation, each from its own client.
    variants = [f"{mailbox}@gmail.com", f"{mailbox[:3]}.{mailbox[3:]}@googlemail.com",
                f"{mailbox.upper()}+win@gmail.com"]
    forms = [sign_form(server, client_address()) for _ in range(14)]

    def post(i: int):
        client, fields = forms[i]
        data = {**fields, **ORGANISATION, "organisation_name": f"Prize {mailbox} {i}",
                "contact_email": variants[i % 3]}
        response = client.post("/en/sign", data=data)
        page = client.get("/en/sign/sent").text
        client.close()
        return response.status_code, page

    answers = burst(14, post)
    assert [status for status, _page in answers] == [303] * 14
    signatures = signatures_of(server, variants[0])
    assert len(signatures) == 14  # every signature is taken in, none lost
    emails = emails_about(server, [s.id for s in signatures])
    assert len(emails) == 5 and {e.kind for e in emails} == {"confirm"}
    held = [s for s in signatures if s.flagged]
    assert len(held) == 9 and {s.flag_reasons for s in held} == {"email_cap"}
    under_review = [page for _status, page in answers if "is under review" in page]
    assert len(under_review) == 9
    assert not any("limit" in page or "24 hours" in page for page in under_review)  # no hint why
    server.reconcile_check()  # the held signatures are in no count


def test_a_flagged_signature_sends_nothing_until_a_coordinator_clears_it(server, burst):
    email = f"bot{secrets.token_hex(4)}@lab.example"
    client, fields = sign_form(server, client_address())
    data = {**fields, **ORGANISATION, "organisation_name": f"Lab {email}", "contact_email": email,
            "homepage": "http://spam.example"}  # the field hidden from people
    assert client.post("/en/sign", data=data).status_code == 303
    page = client.get("/en/sign/sent").text
    assert "is under review" in page and "field hidden" not in page
    # A new link, or the same form again, sends nothing either.
    resend = client.post("/en/sign/resend",
                         data={"csrf_token": fields["csrf_token"], "email": email})
    assert resend.status_code == 303
    client.close()
    again, fields = sign_form(server, client_address())
    assert again.post("/en/sign", data={**data, **fields}).status_code == 303
    again.close()
    [signature] = signatures_of(server, email)
    assert signature.flagged and emails_about(server, [signature.id]) == []

    # Two coordinators' browsers clear the flag at the same instant: one e-mail goes.
    coordinators = []
    for _ in range(3):
        coordinator = server.client()
        coordinator.login("coordinator@manifesto.example")
        review = coordinator.get("/en/coordinate/review")
        assert review.status_code == 200 and f"/signatures/{signature.id}/clear-flag" in review.text
        coordinators.append((coordinator, csrf_token(review.text)))

    def clear(i: int) -> int:
        coordinator, token = coordinators[i]
        answer = coordinator.post(f"/en/coordinate/signatures/{signature.id}/clear-flag",
                                  data={"csrf_token": token})
        coordinator.close()
        return answer.status_code

    assert burst(3, clear) == [303] * 3
    [message] = emails_about(server, [signature.id])
    assert message.kind == "confirm" and message.to_address == email
    server.reconcile_check()


def _new_account(server) -> str:
    email = f"owner{secrets.token_hex(4)}@manifesto.example"
    with server.app.app_context():
        db.session.add(User(name="Owner", email=email, password_hash=hash_password(DEMO_PASSWORD),
                            role="coordinator", locale="en"))
        db.session.commit()
    return email


def _login_page(server, address: str):
    client = server.client(headers={"X-Forwarded-For": address})
    page = client.get("/en/login")
    assert page.status_code == 200
    return client, csrf_token(page.text)


def test_a_burst_of_wrong_passwords_gets_five_checks_and_the_owner_still_logs_in(server, burst):
    email = _new_account(server)
    attacker = client_address()
    clients = [_login_page(server, attacker) for _ in range(16)]

    def guess(i: int) -> int:
        client, token = clients[i]
        response = client.post("/en/login", data={"csrf_token": token, "email": email,
                                                  "password": f"wrong guess {i}"})
        client.close()
        return response.status_code

    statuses = sorted(burst(16, guess))
    # A wrong password that was checked gets the form again (200); the others were refused
    # before any check (429): however simultaneous, no more than 5 checks.
    assert statuses == [200] * 5 + [429] * 11
    client, token = _login_page(server, attacker)
    refused = client.post("/en/login", data={"csrf_token": token, "email": email,
                                             "password": DEMO_PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts to log in" in refused.text
    client.close()
    # The owner, from another address, is not locked out by the storm.
    owner, token = _login_page(server, client_address())
    welcome = owner.post("/en/login", data={"csrf_token": token, "email": email,
                                            "password": DEMO_PASSWORD})
    assert welcome.status_code == 302
    owner.close()


def test_a_burst_of_reset_requests_sends_no_more_than_the_limit(server, burst):
    email = _new_account(server)
    clients = [_login_page(server, client_address()) for _ in range(8)]

    def ask(i: int) -> int:
        client, token = clients[i]
        response = client.post("/en/account/reset", data={"csrf_token": token, "email": email})
        client.close()
        return response.status_code

    assert burst(8, ask) == [303] * 8  # the same answer to everyone
    with server.app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "reset", OutboxMessage.to_address == email))
    assert sent == 3  # RESET_RATE_LIMIT_PER_ADDRESS, "3 per hour"

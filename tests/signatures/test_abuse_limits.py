"""Limits against abuse, in process: attempt counters in the database (count first, then
decide), the cap on e-mails from signing to one address, and the login throttle per account
and client address. The same rules through a real server: tests/server/test_abuse.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from limits import parse

from manifesto.access import accounts
from manifesto.core import throttle
from manifesto.extensions import db
from manifesto.models import AttemptCounter, OutboxMessage, OutboxStatus, utcnow
from manifesto.personal_data import retention
from tests.support import factories
from tests.support.auth import AuthActions
from tests.support.signing import ORGANISATION, outbox, sign, signatures

OTHER_CLIENT = {"REMOTE_ADDR": "192.0.2.44"}


# --- attempt counters -------------------------------------------------------------------------


def test_a_counter_counts_each_attempt_and_starts_afresh_when_its_window_ends(app):
    limit = parse("3 per 15 minutes")
    with db.engine.begin() as connection:
        counts = [throttle.hit(connection, "test", "k", limit) for _ in range(4)]
    assert [c.hits for c in counts] == [1, 2, 3, 4]
    assert len({c.resets_at for c in counts}) == 1  # one window, from the first attempt
    assert 890 < counts[-1].wait_seconds() <= 900
    db.session.execute(sa.update(AttemptCounter).values(resets_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with db.engine.begin() as connection:
        assert throttle.hit(connection, "test", "k", limit).hits == 1
        assert throttle.hit(connection, "test", "other key", limit).hits == 1


def test_claim_stops_counting_at_the_first_limit_exceeded(make_app):
    make_app(A_LIMIT="1 per hour", B_LIMIT="5 per hour")
    assert throttle.claim([("A_LIMIT", "a"), ("B_LIMIT", "b")]) == 0
    wait = throttle.claim([("A_LIMIT", "a"), ("B_LIMIT", "b")])
    assert 3590 < wait <= 3600
    hits = dict(db.session.execute(sa.select(AttemptCounter.limit_name, AttemptCounter.hits)).all())
    assert hits == {"A_LIMIT": 2, "B_LIMIT": 1}  # the refused attempt never reached B


def test_ended_counters_are_purged_with_the_address_hashes(make_app):
    make_app(IP_HASH_RETENTION_DAYS=1, A_LIMIT="1 per hour")
    throttle.claim([("A_LIMIT", "old")])
    throttle.claim([("A_LIMIT", "new")])
    db.session.execute(sa.update(AttemptCounter).where(AttemptCounter.key == "old")
                       .values(resets_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert retention.due()["ended attempt counters"] == 1
    assert dict(retention.purge())["ended attempt counters"] == 1
    assert db.session.scalars(sa.select(AttemptCounter.key)).all() == ["new"]


# --- the cap on e-mails from signing to one address ----------------------------------------------


@pytest.fixture
def signing_client(make_app):
    app = make_app(SIGN_EMAILS_PER_ADDRESS_PER_DAY=3,
                   SIGN_RATE_LIMIT_EXEMPT_DOMAINS=frozenset({"gmail.com"}))
    factories.manifesto()
    return app.test_client()


def _as(n: int) -> dict:
    """The same mailbox each time, written differently, for a different organisation."""
    return {**ORGANISATION, "organisation_name": f"Prize Lab {n}",
            "contact_name": "Claim your prize at http://phish.example",
            "contact_email": ["victim@gmail.com", f"Vic.Tim+{n}@googlemail.com",
                              f"v.ictim+x{n}@Gmail.com"][n % 3]}


def test_no_address_gets_more_signing_emails_a_day_than_the_cap(signing_client):
    client = signing_client
    for n in range(5):
        assert sign(client, **_as(n)).status_code == 303
    assert len(signatures()) == 5  # every signature is taken in
    assert len(outbox("confirm")) == 3
    held = [s for s in signatures() if s.flagged]
    assert [s.flag_reasons for s in held] == ["email_cap", "email_cap"]
    page = client.get("/en/sign/sent").get_data(as_text=True)
    assert "under review" in page and "limit" not in page
    # A new link or "you already signed" counts against the same cap: nothing more goes out.
    client.post("/en/sign/resend", data={"email": "victim@gmail.com"})
    sign(client, **_as(0))
    assert len(outbox()) == 3


def test_the_cap_counts_sent_emails_whose_address_is_erased_and_only_the_last_24_hours(
    signing_client,
):
    client = signing_client
    for n in range(3):
        sign(client, **_as(n))
    db.session.execute(sa.update(OutboxMessage).values(
        status=OutboxStatus.SENT, sent_at=utcnow(), to_address=None, body_text=None))
    db.session.commit()
    sign(client, **_as(3))
    assert len(outbox("confirm")) == 3  # sent and erased, still counted
    db.session.execute(sa.update(OutboxMessage).values(
        created_at=utcnow() - timedelta(hours=24, minutes=1)))
    db.session.commit()
    sign(client, **_as(4))
    assert len(outbox("confirm")) == 4  # a day later, the address may be written to again
    assert [s.flagged for s in signatures()] == [False, False, False, True, False]


def test_other_addresses_are_not_held_by_the_cap(signing_client):
    for n in range(3):
        sign(signing_client, **_as(n))
    sign(signing_client, **{**ORGANISATION, "contact_email": "someone.else@gmail.com"})
    assert len(outbox("confirm")) == 4
    assert not signatures()[-1].flagged


# --- the login throttle ---------------------------------------------------------------------------


def test_an_attempt_is_counted_before_its_password_is_checked(client, monkeypatch, auth):
    user = factories.user(email="owner@example.org")
    counted_at_check = []
    real_verify = accounts.verify_password

    def verify(hashed, password):
        with db.engine.connect() as connection:  # what every other worker sees at that moment
            counted_at_check.append(connection.scalar(
                sa.select(AttemptCounter.hits)
                .where(AttemptCounter.limit_name == "LOGIN_RATE_LIMIT_PER_ACCOUNT")))
        return real_verify(hashed, password)

    monkeypatch.setattr(accounts, "verify_password", verify)
    auth.login(user.email, "wrong password!")
    auth.login(user.email, "wrong password!")
    assert counted_at_check == [1, 2]


def test_a_storm_from_one_address_does_not_lock_the_owner_out_elsewhere(app):
    user = factories.user(email="owner@example.org")
    attacker, owner = AuthActions(app.test_client()), AuthActions(app.test_client())
    answers = [attacker.login(user.email, "wrong password!").status_code for _ in range(12)]
    assert answers == [200] * 5 + [429] * 7
    # Even the right password is refused from there...
    assert attacker.login(user.email, factories.PASSWORD).status_code == 429
    # ...while the owner, from another address, logs in.
    assert owner.login(user.email, factories.PASSWORD,
                       environ_base=OTHER_CLIENT).status_code == 302


def test_an_account_has_a_ceiling_over_every_address_together(make_app):
    app = make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="6 per 15 minutes")
    user = factories.user(email="owner@example.org")
    auth = AuthActions(app.test_client())
    for n in range(3):
        for _ in range(2):
            response = auth.login(user.email, "wrong password!",
                                  environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
            assert response.status_code == 200
    response = auth.login(user.email, factories.PASSWORD, environ_base=OTHER_CLIENT)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts to log in" in html and "owner@example.org" in html


def test_a_success_takes_its_attempt_back(make_app):
    app = make_app(LOGIN_RATE_LIMIT_PER_IP="3 per 15 minutes")
    auth = AuthActions(app.test_client())
    users = [factories.user(email=f"user{n}@example.org") for n in range(4)]
    for user in users:  # four good logins from one address: none is a failure
        assert AuthActions(app.test_client()).login(user).status_code == 302
    for _ in range(3):
        auth.login("user0@example.org", "wrong password!")
    assert auth.login("user1@example.org", factories.PASSWORD).status_code == 429


@pytest.mark.parametrize(("lang", "heading"), [("de", "Unterschrift eingegangen"),
                                               ("ru", "Подпись получена")])
def test_the_signer_is_told_in_their_language_that_the_signature_is_under_review(
    app, lang, heading
):
    factories.manifesto()
    client = app.test_client()
    sign(client, lang, **{**ORGANISATION, "homepage": "http://spam.example"})
    page = client.get(f"/{lang}/sign/sent").get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    assert outbox() == []

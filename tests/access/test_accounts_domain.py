"""Accounts without HTTP: a city's team, the login throttle (``accounts.attempt_login`` and
``accounts.check_current_password``), and accepting an invitation, which records the consent
(``privacy.choose_password_from_link``). The same rules through the pages: tests/web/auth and
tests/signatures/test_abuse_limits.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from manifesto.access import accounts
from manifesto.extensions import db
from manifesto.models import (
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    Role,
    User,
    UserTokenPurpose,
)
from manifesto.personal_data import privacy
from tests.support import factories

HERE, THERE = "client-hash-here", "client-hash-there"
WRONG = "not the password at all"


@pytest.fixture
def checks(monkeypatch):
    """The argon2 hashes verified, in order: one per call is the time a check takes."""
    calls = []
    real = accounts.verify_password

    def verify(hashed, password):
        calls.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(accounts, "verify_password", verify)
    return calls


def test_a_citys_team_is_its_accounts_by_name(app):
    lisbon, porto = factories.ambassador_city(), factories.ambassador_city()
    rita = factories.user(role=Role.AMBASSADOR, name="Rita", ambassador_city_id=lisbon.id)
    ana = factories.user(role=Role.AMBASSADOR, name="Ana", ambassador_city_id=lisbon.id,
                         active=False)
    factories.user(role=Role.AMBASSADOR, name="Bruno", ambassador_city_id=porto.id)
    factories.user(role=Role.COORDINATOR, name="Clara")
    assert accounts.city_team(lisbon.id) == [ana, rita]


# --- logging in -------------------------------------------------------------------------------


def test_the_right_password_logs_in_and_a_wrong_one_or_an_unknown_address_does_not(app):
    user = factories.user(email="Owner@Example.org")
    found = accounts.attempt_login("owner@example.org", factories.PASSWORD, HERE)
    db.session.commit()  # the caller commits a success (the time of the login)
    assert found == accounts.LoginResult(user=user) and user.last_login_at is not None
    assert accounts.attempt_login(user.email, WRONG, HERE) == accounts.LoginResult()
    assert accounts.attempt_login("nobody@example.org", factories.PASSWORD, HERE
                                  ) == accounts.LoginResult()


def test_a_deactivated_or_invited_account_does_not_log_in(app):
    gone = factories.user(active=False)
    invited = factories.user(email="new@example.org")
    invited.password_hash = None
    db.session.commit()
    assert accounts.attempt_login(gone.email, factories.PASSWORD, HERE).user is None
    assert accounts.attempt_login(invited.email, factories.PASSWORD, HERE).user is None


def test_past_the_limit_even_the_right_password_waits_and_is_not_checked(make_app, checks):
    make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP="3 per 15 minutes")
    user = factories.user()
    for _ in range(3):
        assert accounts.attempt_login(user.email, WRONG, HERE).wait_seconds == 0
    refused = accounts.attempt_login(user.email, factories.PASSWORD, HERE)
    assert refused.user is None and 890 < refused.wait_seconds <= 900
    assert len(checks) == 4 and checks[-1] != user.password_hash  # one hash, not the user's
    # The account is not locked for everyone: from another client it logs in.
    assert accounts.attempt_login(user.email, factories.PASSWORD, THERE).user == user


def test_a_refused_attempt_takes_as_long_as_a_check(make_app, checks):
    make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP="1 per 15 minutes")
    user = factories.user()
    accounts.attempt_login(user.email, WRONG, HERE)
    checks.clear()
    assert accounts.attempt_login(user.email, factories.PASSWORD, HERE).wait_seconds > 0
    assert len(checks) == 1


def test_an_unknown_address_takes_as_long_as_a_known_one(app, checks):
    user = factories.user()
    accounts.attempt_login(user.email, WRONG, HERE)
    accounts.attempt_login("nobody@example.org", WRONG, HERE)
    assert len(checks) == 2  # one argon2 verification each


def test_a_success_takes_its_attempt_back(make_app):
    make_app(LOGIN_RATE_LIMIT_PER_IP="3 per 15 minutes")
    users = [factories.user() for _ in range(4)]
    for user in users:  # four good logins from one client: none of them is a failure
        assert accounts.attempt_login(user.email, factories.PASSWORD, HERE).user == user
        db.session.commit()
    for _ in range(3):
        assert accounts.attempt_login(users[0].email, WRONG, HERE).wait_seconds == 0
    assert accounts.attempt_login(users[1].email, factories.PASSWORD, HERE).wait_seconds > 0


def test_the_accounts_ceiling_counts_every_client_together(make_app):
    make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="4 per 15 minutes")
    user = factories.user()
    for n in range(4):
        assert accounts.attempt_login(user.email, WRONG, f"client {n}").wait_seconds == 0
    assert accounts.attempt_login(user.email, factories.PASSWORD, "client 9").wait_seconds > 0


# --- the current password, to change it --------------------------------------------------------


def test_the_current_password_is_checked_and_limited_as_a_login(make_app, checks):
    make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP="3 per 15 minutes")
    user = factories.user()
    assert accounts.check_current_password(user, factories.PASSWORD, HERE).user == user
    db.session.commit()
    for _ in range(3):
        assert accounts.check_current_password(user, WRONG, HERE) == accounts.LoginResult()
    checks.clear()
    refused = accounts.check_current_password(user, factories.PASSWORD, HERE)
    assert refused.user is None and 890 < refused.wait_seconds <= 900
    assert len(checks) == 1  # as slow as a check, and not one
    # Logging in from the same client is refused too: it is the same count.
    assert accounts.attempt_login(user.email, factories.PASSWORD, HERE).wait_seconds > 0


# --- accepting an invitation ----------------------------------------------------------------------


def _invited(locale: str = "it") -> User:
    user = User(email="new@example.org", name="Nuova", role=Role.AMBASSADOR, locale=locale)
    db.session.add(user)
    db.session.flush()
    return user


def _consents(user: User) -> list[ConsentRecord]:
    return list(db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.user_id == user.id)))


@pytest.mark.parametrize("purpose", [UserTokenPurpose.INVITE, UserTokenPurpose.RESET])
def test_a_first_password_from_any_link_records_the_consent(app, purpose):
    user = _invited()
    token, _problem = accounts.check_token(accounts.issue_token(user, purpose))
    assert privacy.choose_password_from_link(token, "a long and unusual passphrase 42", "de")
    db.session.commit()
    assert not accounts.is_invited(user) and user.last_login_at is not None
    [record] = _consents(user)
    assert (record.action, record.method, record.notice_language, record.notice_version) == (
        ConsentAction.GIVEN, ConsentMethod.PASSWORD_FORM, "de", privacy.current_version("de"))


def test_a_new_password_for_an_account_that_has_one_records_no_consent(app):
    user = factories.user()
    token, _problem = accounts.check_token(accounts.issue_token(user, UserTokenPurpose.RESET))
    assert privacy.choose_password_from_link(token, "a long and unusual passphrase 42", "en")
    db.session.commit()
    assert _consents(user) == []


def test_a_link_used_meanwhile_sets_nothing_and_records_nothing(app):
    user = _invited()
    raw = accounts.issue_token(user, UserTokenPurpose.INVITE)
    token, _problem = accounts.check_token(raw)
    assert privacy.choose_password_from_link(token, "a long and unusual passphrase 42", "it")
    db.session.commit()
    # The same link again (a double submit that read it before the first one was saved).
    assert not privacy.choose_password_from_link(token, "another passphrase, 43 long", "it")
    db.session.rollback()
    assert len(_consents(user)) == 1

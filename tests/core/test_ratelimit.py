"""The sign flags' counters (``manifesto.core.ratelimit``): in memory, in Redis, and with the
storage away (nothing is flagged, the log says so)."""

from __future__ import annotations

import logging
import os

import pytest

from manifesto.core import ratelimit
from manifesto.signatures import abuse

REDIS_URL = os.environ.get("REDIS_URL", "")


def test_a_limit_counts_each_key_on_its_own(make_app):
    app = make_app(tables=False, SIGN_RATE_LIMIT_PER_IP="2 per hour")
    with app.app_context():
        assert [ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", "a") for _ in range(3)] == [
            False, False, True]
        assert not ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", "b")


def test_an_empty_setting_is_no_limit(make_app):
    app = make_app(tables=False, SIGN_RATE_LIMIT_PER_IP="")
    with app.app_context():
        assert not any(ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", "a") for _ in range(50))


def test_each_app_has_its_own_counters(make_app):
    first = make_app(tables=False, SIGN_RATE_LIMIT_PER_IP="1 per hour")
    second = make_app(tables=False, SIGN_RATE_LIMIT_PER_IP="1 per hour")
    with first.app_context():
        ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", "a")
    with second.app_context():
        assert not ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", "a")


def test_with_the_storage_away_nothing_is_flagged_and_the_log_says_so(make_app, caplog):
    app = make_app(tables=False, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                   SIGN_RATE_LIMIT_PER_IP="1 per hour")
    with app.app_context(), caplog.at_level(logging.WARNING, "manifesto.core.ratelimit"):
        assert abuse.resend_allowed("a") and abuse.resend_allowed("a")
        flags = abuse.sign_flags(None, abuse.form_started_stamp(), "x@example.org", "a")
        flags += abuse.sign_flags(None, abuse.form_started_stamp(), "x@example.org", "a")
    assert "ip_rate" not in flags
    assert "rate limit storage unavailable; SIGN_RATE_LIMIT_PER_IP not checked" in caplog.text


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis (REDIS_URL)")
def test_redis_shares_the_counts_between_apps(make_app):
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "SIGN_RATE_LIMIT_PER_IP": "1 per hour"}
    first, second = make_app(tables=False, **settings), make_app(tables=False, **settings)
    key = os.urandom(8).hex()
    with first.app_context():
        assert not ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", key)
    with second.app_context():  # another worker, the same storage
        assert ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", key)

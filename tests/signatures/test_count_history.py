"""The daily count history: every counter move lands on its day, the sums up to a day are the
counters of that day, a rebuild from the rows gives the same, and reconcile repairs drift."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import SignatoryKind, SignatureCountDay, SignatureStatus
from manifesto.signatures import counts
from manifesto.signatures.counts import (
    MAYOR_KINDS,
    counted_history,
    counter_drift,
    history_deltas,
    history_drift,
    rebuild_signature_counts,
)
from tests.support import factories

ORG, MAYOR = SignatoryKind.ORGANISATION, SignatoryKind.MAYOR
P, C, V, W = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED,
              SignatureStatus.WITHDRAWN)


def at(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=UTC)


def made(kind, status, country, created, confirmed=None, verified=None, withdrawn=None):
    signature = factories.signature(kind=kind, status=status, country=country)
    signature.created_at, signature.confirmed_at = created, confirmed
    signature.verified_at, signature.withdrawn_at = verified, withdrawn
    return signature


def test_adjust_moves_the_counter_and_todays_row(app, monkeypatch):
    monkeypatch.setattr(counts, "today", lambda: date(2026, 3, 2))
    counts.adjust(ORG, C, "PT", +1)
    counts.adjust(ORG, C, "PT", +1)
    monkeypatch.setattr(counts, "today", lambda: date(2026, 3, 5))
    counts.adjust(ORG, C, "PT", -1)
    counts.adjust(ORG, W, "PT", +1)
    rows = db.session.execute(sa.select(SignatureCountDay.day, SignatureCountDay.status,
                                        SignatureCountDay.delta)
                              .order_by(SignatureCountDay.day, SignatureCountDay.status)).all()
    assert rows == [(date(2026, 3, 2), C, 2), (date(2026, 3, 5), C, -1),
                    (date(2026, 3, 5), W, 1)]
    assert counted_history() == [(date(2026, 3, 2), 2), (date(2026, 3, 5), 1)]


def test_a_signatures_path_through_its_statuses():
    class Row:
        def __init__(self, **values):
            self.__dict__.update({"kind": MAYOR, "country": "IT", "confirmed_at": None,
                                  "verified_at": None, "rejected_at": None,
                                  "withdrawn_at": None, **values})

    deltas = history_deltas([
        Row(status=V, created_at=at(2026, 1, 1), confirmed_at=at(2026, 1, 2),
            verified_at=at(2026, 1, 9)),
        # A status without its timestamp: it ends there anyway, on its last known day.
        Row(status=C, created_at=at(2026, 1, 3)),
    ])
    assert {k: v for k, v in deltas.items() if v} == {
        (date(2026, 1, 1), MAYOR, P, "IT"): 1,
        (date(2026, 1, 2), MAYOR, P, "IT"): -1,
        (date(2026, 1, 2), MAYOR, C, "IT"): 1,
        (date(2026, 1, 9), MAYOR, C, "IT"): -1,
        (date(2026, 1, 9), MAYOR, V, "IT"): 1,
        (date(2026, 1, 3), MAYOR, C, "IT"): 1,
    }


def test_the_history_rebuilt_from_the_rows_counts_what_was_counted_each_day(app):
    made(ORG, C, "PT", at(2026, 1, 1), confirmed=at(2026, 1, 2))
    made(ORG, C, "FR", at(2026, 1, 2), confirmed=at(2026, 1, 4))
    made(MAYOR, V, "PT", at(2026, 1, 1), confirmed=at(2026, 1, 1), verified=at(2026, 1, 6))
    made(ORG, W, "PT", at(2026, 1, 1), confirmed=at(2026, 1, 1), withdrawn=at(2026, 1, 5))
    made(ORG, P, "PT", at(2026, 1, 3))  # never confirmed: never counted
    db.session.commit()
    rebuild_signature_counts()

    assert counter_drift() == [] and history_drift() == []
    assert counted_history() == [
        (date(2026, 1, 1), 1),  # the one withdrawn later
        (date(2026, 1, 2), 2),
        (date(2026, 1, 4), 3),
        (date(2026, 1, 5), 2),  # withdrawn
        (date(2026, 1, 6), 3),  # the mayor, once verified
    ]
    assert counted_history(MAYOR_KINDS) == [(date(2026, 1, 6), 1)]
    assert counted_history([ORG], "fr") == [(date(2026, 1, 4), 1)]


def test_reconcile_finds_and_repairs_a_history_that_drifted(app):
    made(ORG, C, "PT", at(2026, 1, 1), confirmed=at(2026, 1, 2))
    db.session.commit()
    rebuild_signature_counts()
    db.session.add(SignatureCountDay(day=date(2026, 2, 1), kind=ORG, status=C, country="PT",
                                     delta=5))
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["counts", "reconcile", "--check"])
    assert result.exit_code == 1
    assert "history        6  counter        1" in result.output
    assert "row(s) of the daily history out of step" in result.output

    result = runner.invoke(args=["counts", "reconcile"])
    assert result.exit_code == 0 and "the daily history and the dashboard" in result.output
    assert runner.invoke(args=["counts", "reconcile", "--check"]).exit_code == 0
    assert counted_history() == [(date(2026, 1, 2), 1)]

"""Attempt counters kept in the database: every worker of the server sees the same counts.

The rule is *count first, then decide*: one statement adds the attempt and returns the new
count (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, atomic on SQLite and PostgreSQL), and
only an attempt whose count is within the limit goes on to the slow part (checking a password,
sending an e-mail). However many requests arrive at once, no more than the limit get through:
each sees a different count.

Limits are written as the other settings are ("5 per 15 minutes", parsed by ``limits``)
and counted in a fixed window that starts at a key's first attempt. Keys are keyed hashes
(``keyed.keyed_hash``), never an address.

Why not ``ratelimit``'s storage: its default (``memory://``) is per process, so with
several workers each keeps its own count; the shared storages ``limits`` offers need a Redis,
Memcached or MongoDB server, which the app must run without. The database is already shared.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy.dialects import postgresql, sqlite

from manifesto.extensions import db
from manifesto.models import AttemptCounter, UTCDateTime, utcnow

log = logging.getLogger(__name__)

_TABLE = AttemptCounter.__table__


def limit_for(setting: str) -> RateLimitItem | None:
    """The limit a setting names ("5 per 15 minutes"), or None when it is off or unreadable."""
    value = current_app.config.get(setting)
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        log.error("%s is not a rate limit: %r", setting, value)
        return None


@dataclass(frozen=True)
class Count:
    hits: int  # attempts in the window, this one included
    resets_at: datetime  # when the window ends

    def wait_seconds(self, now: datetime | None = None) -> int:
        """Whole seconds until the window ends (at least 1)."""
        left = (self.resets_at - (now or utcnow())).total_seconds()
        return max(1, math.ceil(left))


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """Add one attempt, starting a new window if the last one has ended; returns the count."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(
        limit_name=sa.bindparam("name"),
        key=sa.bindparam("key"),
        hits=1,
        resets_at=sa.bindparam("resets_at", type_=UTCDateTime()),
    )
    ended = _TABLE.c.resets_at <= sa.bindparam("now", type_=UTCDateTime())
    return statement.on_conflict_do_update(
        index_elements=["limit_name", "key"],
        # Both right-hand sides see the row as it was before this statement.
        set_={
            "hits": sa.case((ended, 1), else_=_TABLE.c.hits + 1),
            "resets_at": sa.case((ended, statement.excluded.resets_at), else_=_TABLE.c.resets_at),
        },
    ).returning(_TABLE.c.hits, _TABLE.c.resets_at)


def hit(connection: sa.Connection, name: str, key: str, limit: RateLimitItem) -> Count:
    """Count one attempt of ``key`` under ``name`` on ``connection``; returns the new count.

    On PostgreSQL the counter's row stays locked until the transaction ends: two transactions
    that hit the same key one after the other see each other's attempt.
    """
    now = utcnow()
    row = connection.execute(
        _upsert(connection.dialect.name),
        {"name": name, "key": key, "now": now,
         "resets_at": now + timedelta(seconds=limit.get_expiry())},
    ).one()
    return Count(row.hits, row.resets_at)


def claim(checks: Iterable[tuple[str, str]]) -> int:
    """Count an attempt under each (setting, key) in turn, in a transaction of its own that is
    committed at once; returns 0 if every count is within its limit, else the seconds until the
    first limit exceeded lets attempts through again.

    A limit exceeded stops the counting: the limits after it do not see the attempt (so that a
    client refused under its own limit cannot use up a wider one, such as an account's).
    """
    with db.engine.begin() as connection:
        for setting, key in checks:
            limit = limit_for(setting)
            if limit is None:
                continue
            count = hit(connection, setting, key, limit)
            if count.hits > limit.amount:
                return count.wait_seconds()
    return 0


def refund(setting: str, key: str) -> None:
    """Take one attempt back (it turned out well), in the caller's transaction."""
    db.session.execute(
        sa.update(AttemptCounter)
        .where(AttemptCounter.limit_name == setting, AttemptCounter.key == key,
               AttemptCounter.hits > 0)
        .values(hits=AttemptCounter.hits - 1)
        .execution_options(synchronize_session=False)
    )


def forget(setting: str, key: str) -> None:
    """Start this key's count afresh, in the caller's transaction."""
    db.session.execute(
        sa.delete(AttemptCounter)
        .where(AttemptCounter.limit_name == setting, AttemptCounter.key == key)
        .execution_options(synchronize_session=False)
    )


def ended_before(cutoff: datetime) -> sa.Select:
    """The ids of counters whose window ended before ``cutoff`` (for the retention purge)."""
    return sa.select(AttemptCounter.id).where(AttemptCounter.resets_at < cutoff)

"""Per-client counters that may live outside the database (``RATELIMIT_STORAGE_URI``: in memory
by default, ``redis://…`` to share them between workers), on the ``limits`` library.

They serve the sign flags and the resend limit (``abuse``), which *flag* rather than refuse:
when the storage is away, nothing is counted and nothing is flagged, and the log says so. What
must hold across workers whatever the storage (logins, resets, the e-mail cap) is counted in
the database instead (``throttle``). Keys are keyed hashes (``keyed``), never addresses.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from limits import parse, storage, strategies

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """One storage per app, made from its configuration (connections open on first use)."""
    store = storage.storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    app.extensions["manifesto_rate_limits"] = strategies.FixedWindowRateLimiter(store)


def _limiter() -> strategies.FixedWindowRateLimiter:
    return current_app.extensions["manifesto_rate_limits"]


def storage_keys() -> list[str]:
    """What the in-memory storage holds (for tests that check no address is kept)."""
    return [str(key) for key in getattr(_limiter().storage, "storage", {})]


def over_limit(setting: str, *keys: str) -> bool:
    """Count one hit against the limit the setting names (``"10 per hour"``; unset or empty:
    no limit) for ``keys``; True when the hit is beyond it."""
    limit = current_app.config.get(setting)
    if not limit:
        return False
    try:
        return not _limiter().hit(parse(limit), setting, *keys)
    except Exception:  # the shared storage is down: count nothing, flag nothing, and say so
        log.warning("rate limit storage unavailable; %s not checked", setting)
        return False

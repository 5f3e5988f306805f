"""Signs of automated or abusive signing, without captchas.

Nothing here refuses a request: each check returns a reason to *flag* the signature for a
coordinator, so a bot learns nothing from the response. Rate limits use ``ratelimit``'s
storage (in memory by default; ``RATELIMIT_STORAGE_URI=redis://…`` shares it between workers),
keyed by a keyed hash of the address, never the address itself. A flagged signature gets no
e-mail until a coordinator clears it (``signing``). What must hold across workers whatever the
storage (the cap on e-mails to one address, login and reset throttling) is counted in the
database instead: ``notify.within_cap`` and ``throttle``.
"""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from manifesto.core import ratelimit, throttle
from manifesto.core.emails import canonical_email
from manifesto.core.keyed import keyed_hash


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="sign-form-started")


def form_started_stamp() -> str:
    """A signed timestamp put in the form when it is shown."""
    return _serializer().dumps(int(time.time()))


def seconds_since_start(stamp: str | None) -> float | None:
    """Seconds since the form was shown, or None if the stamp is missing or forged."""
    try:
        started = _serializer().loads(stamp or "")
    except BadSignature:
        return None
    if not isinstance(started, int):
        return None
    return time.time() - started


def sign_flags(honeypot: str | None, started: str | None, email: str, client: str) -> list[str]:
    """Reasons to hold a new signature for review; empty when nothing looks wrong. ``client``
    is the requesting address's keyed hash (``keyed.client_hash``)."""
    reasons = []
    if honeypot:
        reasons.append("honeypot")
    elapsed = seconds_since_start(started)
    if elapsed is None:
        reasons.append("no_timestamp")
    elif elapsed < current_app.config["SIGN_MIN_SECONDS"]:
        reasons.append("too_fast")
    if ratelimit.over_limit("SIGN_RATE_LIMIT_PER_IP", client):
        reasons.append("ip_rate")
    domain = email.rpartition("@")[2].lower()
    if domain not in current_app.config["SIGN_RATE_LIMIT_EXEMPT_DOMAINS"] and ratelimit.over_limit(
        "SIGN_RATE_LIMIT_PER_DOMAIN", domain
    ):
        reasons.append("domain_rate")
    return reasons


def resend_allowed(client: str) -> bool:
    """New-link requests per address of origin (``client``, its keyed hash); beyond the limit
    they quietly do nothing."""
    return not ratelimit.over_limit("RESEND_RATE_LIMIT_PER_IP", client)


def own_links_allowed(address: str, client: str) -> bool:
    """"Lost your link?" requests, per address of origin (``client``, its keyed hash) and per
    e-mail address (its keyed hash, never the address), counted first in the database so that
    every worker sees them; beyond either limit they quietly send nothing."""
    return not throttle.claim([
        ("LOST_LINK_RATE_LIMIT_PER_IP", client),
        ("LOST_LINK_RATE_LIMIT_PER_ADDRESS", keyed_hash(canonical_email(address)[:254],
                                                        "lost-link")),
    ])

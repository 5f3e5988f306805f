"""The ambassador city's own area: its home, outreach log, referral links and best practices."""

from flask import Blueprint

bp = Blueprint("ambassador", __name__)

from manifesto.web.ambassador import practices, routes  # noqa: E402,F401

from flask import Blueprint

bp = Blueprint("coordinate", __name__)

from manifesto.web.coordinate import cities, dashboard, practices, privacy, routes, targets, users  # noqa: E402,F401

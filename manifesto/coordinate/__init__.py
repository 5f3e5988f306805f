from flask import Blueprint

bp = Blueprint("coordinate", __name__)

from . import cities, dashboard, practices, privacy, routes, targets, users  # noqa: E402,F401

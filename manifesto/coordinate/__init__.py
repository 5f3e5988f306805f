from flask import Blueprint

bp = Blueprint("coordinate", __name__)

from . import cities, practices, routes, targets, users  # noqa: E402,F401

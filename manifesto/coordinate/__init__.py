from flask import Blueprint

bp = Blueprint("coordinate", __name__)

from . import cities, practices, routes, users  # noqa: E402,F401

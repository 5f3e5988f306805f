from flask import Blueprint

bp = Blueprint("coordinate", __name__)

from . import routes  # noqa: E402,F401

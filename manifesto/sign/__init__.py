from flask import Blueprint

bp = Blueprint("sign", __name__)

from . import routes  # noqa: E402,F401

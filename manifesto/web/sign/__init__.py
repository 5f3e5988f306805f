from flask import Blueprint

bp = Blueprint("sign", __name__)

from manifesto.web.sign import routes  # noqa: E402,F401

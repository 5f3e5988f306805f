"""``/healthz``: for load balancers and uptime checks; says whether the database answers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from manifesto.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database unreachable (%s)", type(exc).__name__)
        response = jsonify(status="error", database="unreachable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response

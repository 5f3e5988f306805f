"""Error pages in the visitor's language, and a friendly 503 when the database is away."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from manifesto.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _page(template: str, status: int, **context):
    if _wants_json():
        return {"error": {"status": status}}, status
    response = render_template(template, status=status, **context)
    return response, status


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(error):
        return _page("errors/404.html", 404)

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _page("errors/generic.html", 405)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page("errors/csrf.html", 400)

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        """A ``Host`` outside TRUSTED_HOSTS: Flask refused to route the request, so there is no
        URL adapter; the page's links are built on SITE_URL's instead."""
        from flask.globals import request_ctx

        from manifesto.core.urls import site_adapter

        if request_ctx.url_adapter is None:
            request_ctx.url_adapter = site_adapter()
        return _page("errors/generic.html", 400)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        if error.code and error.code >= 500:
            return _page("errors/500.html", error.code)
        return _page("errors/generic.html", error.code or 400)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    @app.errorhandler(sa.exc.DisconnectionError)
    def database_unavailable(error):
        db.session.rollback()
        g.db_down = True  # the page must not ask the database anything (e.g. who is logged in)
        app.logger.error("database unavailable: %s", type(error).__name__)
        response = _page("errors/503.html", 503, db_down=True)
        return response[0], 503, {"Retry-After": "30"}

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        return _page("errors/500.html", 500)

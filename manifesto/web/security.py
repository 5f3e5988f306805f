"""Who is signed in, and the headers every response carries."""

from __future__ import annotations

import functools

from flask import Flask, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from manifesto.core.keyed import client_hash
from manifesto.extensions import db, login_manager
from manifesto.models import Role, User
from manifesto.web.headers import PRIVATE

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def requesting_client() -> str:
    """The requesting address as a keyed hash, for the rules that count clients (sign flags,
    login and reset limits): the one place that reads ``request.remote_addr`` for them."""
    return client_hash(request.remote_addr)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if g.get("db_down"):
        return None
    number, _sep, nonce = (user_id or "").partition(":")
    try:
        user = db.session.get(User, int(number))
    except (TypeError, ValueError):
        return None
    except SQLAlchemyError:
        # Pages still render (as anonymous) and say the service is unavailable.
        db.session.rollback()
        g.db_down = True
        return None
    if user is None or not nonce or user.session_nonce != nonce:
        # Logged out, the password changed or the account deactivated since: the cookie is
        # anonymous, and emptied so that it is not renewed (a permanent session is re-sent on
        # every answer) but deleted.
        if session.get("_user_id") == user_id:
            session.clear()
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def coordinator_required(view):
    """Logged in (else to the login page) and a coordinator (else 403)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def ambassador_required(view):
    """Logged in (else to the login page) as an ambassador of a city (else 403).

    The view reads the city from ``current_user.ambassador_city``: never from the URL, so an
    ambassador cannot reach another city's data by changing an id.
    """

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != Role.AMBASSADOR or current_user.ambassador_city_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def signed_in_user() -> User | None:
    """The logged-in user for templates, or None (``load_user`` copes with a database away)."""
    return current_user if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    from manifesto.core.labels import context as label_context

    app.context_processor(lambda: {"signed_in_user": signed_in_user})
    app.context_processor(label_context)

    hsts = app.config.get("HSTS_SECONDS") or 0

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
            response.headers.setdefault("X-Frame-Options", "DENY")  # for browsers before CSP 2
        if "Cache-Control" not in response.headers and signed_in_user() is not None:
            # Every page a signed-in person sees carries their name and a form token: for
            # their browser only, and not kept on disk.
            response.headers.update(PRIVATE)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(hsts)}; includeSubDomains")
        return response

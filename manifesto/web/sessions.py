"""The session cookie: none under ``/api/``, and never on a public answer.

The API's answers, the badges and the pages anonymous visitors get alike are public
(``Cache-Control: public``) and may be kept by shared caches. A logged-in person's session is
permanent, and Flask re-sends such a cookie with every response to refresh its expiry: a badge
fetched in that browser would carry ``Set-Cookie`` with the person's session, and a cache that
kept it would hand the session to whoever asks next.

- An ``/api/`` request gets Flask's null session: read as empty, never saved, no cookie, no
  ``Vary``. The API never needs to know who is asking (Flask-Login would otherwise read the
  session and add ``Vary: Cookie``, splitting the cache per visitor).
- Any other public answer leaves the session as it was: not refreshed, no ``Set-Cookie``. If
  the request did change the session (a message shown, a form token made) or something set a
  cookie, the answer was not the same for everyone after all: it becomes
  ``private, no-store`` and the cookie goes out with it.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin

from manifesto.web.headers import PRIVATE


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def is_public(response) -> bool:
    """Marked for shared caches (``Cache-Control: public``)."""
    return bool(response.cache_control.public)


class AppSessions(SessionInterface):
    """Wraps the app's own session interface (Flask's signed cookie)."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if is_api(request.path):
            return self.inner.make_null_session(app)
        return self.inner.open_session(app, request)

    def make_null_session(self, app: Flask):
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def save_session(self, app: Flask, session: SessionMixin, response) -> None:
        if is_public(response):
            if not session.modified and "Set-Cookie" not in response.headers:
                return  # the same bytes for everyone: the cookie is neither renewed nor sent
            response.headers.update(PRIVATE)
        self.inner.save_session(app, session, response)


def init_app(app: Flask) -> None:
    if not isinstance(app.session_interface, AppSessions):
        app.session_interface = AppSessions(app.session_interface)

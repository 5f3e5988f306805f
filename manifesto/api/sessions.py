"""No session under ``/api/``.

The API's answers are public and may be kept by shared caches. A logged-in coordinator's
session is permanent, and Flask refreshes such a cookie on every response: an API answer
fetched in that browser would carry ``Set-Cookie`` with the coordinator's session, and a cache
that kept it would hand the session to whoever asks next. Flask-Login also reads the session
on every response, which adds ``Vary: Cookie`` and splits the cache per visitor.

So an ``/api/`` request gets Flask's null session: read as empty, never saved, no cookie, no
``Vary``. The API never needs to know who is asking.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class NoSessionForApi(SessionInterface):
    """Wraps the app's own session interface; only ``/api/`` requests are different."""

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
        self.inner.save_session(app, session, response)


def init_app(app: Flask) -> None:
    if not isinstance(app.session_interface, NoSessionForApi):
        app.session_interface = NoSessionForApi(app.session_interface)

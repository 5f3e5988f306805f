"""Absolute URLs, all from one setting: ``SITE_URL``.

Every absolute link the app writes (e-mails, the API's ``next`` links, ``hreflang``
alternates, badge snippets, the OpenAPI ``servers``) is built here from ``SITE_URL``, never
from the request's ``Host`` or forwarded headers: a forged ``Host`` on a password reset must
not put the attacker's address in the e-mailed link. The builder is Werkzeug's, bound once to
``SITE_URL``; it works in a request and outside one (the CLI, the outbox worker).

Query arguments are passed as a mapping (``query=``), never spread into keywords: a visitor's
``?endpoint=x`` or ``?_external=1`` is then just a query argument, as it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter

_ADAPTER = "manifesto.site_url_adapter"


def site_url() -> str:
    """``SITE_URL`` without a trailing slash, e.g. ``https://manifesto.example.org``."""
    return current_app.config["SITE_URL"]


def site_adapter() -> MapAdapter:
    """Werkzeug's URL builder bound to ``SITE_URL`` (made once per app)."""
    app = current_app._get_current_object()
    adapter = app.extensions.get(_ADAPTER)
    if adapter is None:
        parts = urlsplit(app.config["SITE_URL"])
        adapter = app.url_map.bind(parts.netloc, script_name="/", url_scheme=parts.scheme)
        app.extensions[_ADAPTER] = adapter
    return adapter


def absolute_url(endpoint: str, /, query: Mapping[str, str] | None = None, **values) -> str:
    """The absolute URL of ``endpoint`` on ``SITE_URL`` (``lang_code`` defaults to the page's
    language, as ``url_for`` does); ``query`` is appended as the query string."""
    return _build(endpoint, values, query, external=True)


def path_for(endpoint: str, /, query: Mapping[str, str] | None = None, **values) -> str:
    """The same as ``absolute_url`` without scheme and host (``/en/sign?ref=…``)."""
    return _build(endpoint, values, query, external=False)


def _build(endpoint: str, values: dict, query: Mapping[str, str] | None, external: bool) -> str:
    app = current_app._get_current_object()
    values = dict(values)
    app.inject_url_defaults(endpoint, values)
    adapter = site_adapter()
    url = adapter.build(endpoint, values, force_external=external)
    if query:
        # Built apart from the route's values, so that none can stand for a route argument.
        # Quoted as Werkzeug quotes a query string (a "/" or ":" stays as it is).
        url += ("&" if "?" in url else "?") + urlencode(
            [(k, v) for k, v in query.items() if v is not None], safe="!$'()*,/:;?@")
    return url


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(absolute_url=absolute_url)
